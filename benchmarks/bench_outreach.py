"""Outreach benchmark: how long the contact plan takes to build, next to reading what it is made of.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, or uses
``--db-file``; reads the plan's inputs once (open items, segments, channels, credits), then builds
the 8-week plan several times (escalation, repeats, channels, statements), applies the pressure
limit and call spreading, and sums the expected collections (as the page does on every rerun); then
the busiest day's work list, the busiest letter day's letters as the PDF to print, a
statement run of the 500 largest balances, one collector's work list, the credit-hold list, and (on a
generated ledger) every debtor recorded as placed on hold and released, and every debtor shared out
among five collectors and one reassigned. The
baseline is reading the open items from the database in the same run.

    python benchmarks/bench_outreach.py [--invoices 1000000] [--customers 50000] [--repeats 3]
                                        [--db-file ledger.duckdb]
"""

from __future__ import annotations

import statistics
import tempfile

from apptest_bench import ledger_arguments, open_ledger, timed

from arboard import aging, collectors, creditholds, explorer, fx, letters, outreach, profiles, statement, unapplied

TEAM = ["Katrin Vogel", "Julien Moreau", "Elena Ruiz", "Oliver Hughes", "Consumer desk"]


def main() -> None:
    args = ledger_arguments(__doc__, db_file="an existing arboard DuckDB file (nothing is generated; a file from an "
                                             "older arboard gets the columns added since, as the app would add them)")
    with tempfile.TemporaryDirectory() as tmp:
        engine, as_of = open_ledger(args, tmp)
        settings = outreach.PlanSettings()
        outreach.open_items_for_plan(engine, as_of)  # warm the database's caches for both sides
        reads = [timed(lambda: outreach.open_items_for_plan(engine, as_of))[1] for _ in range(args.repeats)]
        # The debtor profiles first (part of the inputs), for the credit-hold list too.
        prof, t_prof = timed(lambda: profiles.debtor_profiles(engine, as_of))
        # The cash on account matched to open items (arboard.unapplied), part of the inputs: the plan counts
        # the sure matches as applied.
        cash, t_cash = timed(lambda: unapplied.match_payments(engine, as_of))
        inputs, t_inputs = timed(lambda: outreach.plan_inputs(engine, as_of, profile_frame=prof, cash=cash.lines))
        t_inputs += t_prof + t_cash
        paid = inputs.paid_by_cash(settings)
        builds = []
        for _ in range(args.repeats):
            raw, t = timed(lambda: inputs.build(as_of, settings))
            builds.append(t)
        done, t_finish = timed(lambda: outreach.finish_plan(raw, as_of, settings, spread=True))
        handed, t_handed = timed(lambda: inputs.handed_over(as_of, settings))
        rates = outreach.response_rates(engine, as_of)
        _, t_expected = timed(lambda: outreach.expected_collections(done.plan, rates))
        busiest = done.plan.groupby(done.plan["date"].dt.date).size()
        fx_rates = fx.load(engine)
        work, t_work = timed(lambda: outreach.work_list(done.plan, busiest.idxmax(), rates=fx_rates))
        calls, t_calls = timed(lambda: outreach.work_list(done.plan, busiest.idxmax(), channel="phone",
                                                           rates=fx_rates))
        in_writing = letters.letters_of(done.plan)
        letter_day = in_writing["date"].value_counts().idxmax().date()
        mail, t_mail = timed(lambda: outreach.work_list(done.plan, letter_day, channel="letter", rates=fx_rates))
        found, t_found = timed(lambda: letters.addresses(engine, mail["customer_id"]))
        letters.letters_pdf(mail.head(1), found)  # the font is read once per process
        pdf, t_pdf = timed(lambda: letters.letters_pdf(letters.with_addresses(mail, found), found))
        largest = aging.aging_by_customer(engine, as_of)["customer_id"].head(500).tolist()
        run, t_run = timed(lambda: statement.account_statements(engine, largest, as_of))
        run_pdf, t_run_pdf = timed(lambda: letters.statements_pdf(run))
        who, t_who = timed(lambda: collectors.assigned(engine))
        mine, t_mine = timed(lambda: outreach.work_list(done.plan, busiest.idxmax(), rates=fx_rates, collectors=who,
                                                         collector=who.iloc[0] if len(who) else None))
        # The credit-hold list from the same inputs (the page shares them with the plan), then the register.
        due, t_due = timed(lambda: creditholds.due_for_hold(inputs.prepared(settings), prof, inputs.playbooks,
                                                             as_of, settings=settings))
        holds, t_list = timed(lambda: creditholds.worklist(due, creditholds.placed(engine, as_of), prof,
                                                            exempt=creditholds.exemptions(engine), groups=inputs.groups,
                                                            collectors=who))
        team = placing = None
        if not args.db_file:  # the register writes: only into the ledger generated here
            n_place, t_place = timed(lambda: creditholds.place(engine, holds["customer_id"], on=as_of, today=as_of,
                                                                reasons=dict(zip(holds["customer_id"], holds["why"],
                                                                                 strict=True))))
            _, t_release = timed(lambda: creditholds.release(engine, holds["customer_id"], on=as_of, today=as_of))
            placing = (n_place, t_place, t_release)
        if not args.db_file:  # the share-out writes: only into the ledger generated here
            debtors, t_debtors = timed(lambda: explorer.debtor_table(engine, as_of))
            shared, t_share = timed(lambda: collectors.share(debtors, TEAM, by="overdue"))
            _, t_assign = timed(lambda: collectors.assign(engine, shared))
            _, t_one = timed(lambda: collectors.assign(engine, shared.index[:1].tolist(), collector="Someone new"))
            team = (len(debtors), t_debtors, t_share, t_assign, t_one)
        engine.dispose()
    read, build = statistics.median(reads), statistics.median(builds)
    print(f"as of {as_of}: {len(inputs.items):,} open items, {len(raw):,} contacts planned before the pressure "
          f"limit, {len(done.plan):,} after it; {handed['customer_id'].nunique():,} debtors past a hand-over")
    print(f"reading the open items (baseline):   {read:6.2f} s")
    print(f"reading all the plan's inputs:       {t_inputs:6.2f} s, of which matching the cash on account "
          f"{t_cash:.2f} s ({len(cash.proposals):,} payments; {paid['invoice_id'].nunique():,} open items paid by "
          "the sure matches)")
    print(f"building the plan (median of {args.repeats}):   {build:6.2f} s  = {build / read:.1f}x the baseline")
    print(f"pressure limit + call spreading:     {t_finish:6.2f} s")
    print(f"debtors past a hand-over:            {t_handed:6.2f} s")
    print(f"expected collections (each rerun):   {t_expected:6.2f} s")
    print(f"page's first load (inputs + build + finish): {t_inputs + build + t_finish:.2f} s; then cached")
    print(f"work list of the busiest day ({busiest.idxmax()}): all {len(work):,} contacts {t_work:.2f} s, "
          f"its {len(calls):,} calls {t_calls:.2f} s (cached per day and channel on the page)")
    print(f"letters of the busiest letter day ({letter_day}): {len(mail):,} letters {t_mail:.2f} s, their addresses "
          f"{t_found:.2f} s, the PDF to print {t_pdf:.2f} s ({t_pdf / max(len(mail), 1) * 1000:.1f} ms a letter, "
          f"{len(pdf) / 2**20:.1f} MiB)")
    print(f"statement run of the {len(run):,} largest balances: {sum(len(st.lines) for st in run):,} open items "
          f"{t_run:.2f} s, the PDF {t_run_pdf:.2f} s ({t_run_pdf / max(len(run), 1) * 1000:.1f} ms a statement, "
          f"{len(run_pdf) / 2**20:.1f} MiB)")
    print(f"collectors: who works which debtor {t_who:.2f} s ({len(who):,} debtors assigned); one collector's "
          f"work list of the busiest day {t_mine:.2f} s ({len(mine):,} contacts)")
    print(f"credit holds: who meets a rule {t_due:.2f} s ({len(due):,} debtors), the list against the register "
          f"{t_list:.2f} s" + (f"; recording all {placing[0]:,} as placed {placing[1]:.2f} s, as released "
                               f"{placing[2]:.2f} s" if placing else ""))
    if team:
        n, t_debtors, t_share, t_assign, t_one = team
        print(f"sharing all {n:,} debtors with a balance out among {len(TEAM)} collectors: the debtor list "
              f"{t_debtors:.2f} s, the share-out {t_share:.2f} s, writing it {t_assign:.2f} s; one debtor "
              f"reassigned {t_one:.2f} s (its sales move across the rollup by attribute)")


if __name__ == "__main__":
    main()
