"""The ``arboard`` command: the same library the dashboard uses, for scripts and schedules."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from arboard import (
    activity,
    briefing,
    cashdecisions,
    collectors,
    creditholds,
    db,
    disputes,
    disputestatus,
    events,
    explorer,
    exports,
    forecast,
    fx,
    generate,
    holds,
    impairments,
    importer,
    instalments,
    interest,
    interestclaims,
    kpis,
    letters,
    logbook,
    openitems,
    outreach,
    profiles,
    promises,
    provision,
    readers,
    scenarios,
    segments,
    sender,
    statement,
    summary,
    unapplied,
)
from arboard.aging import AgingSpec
from arboard.errors import ArboardError
from arboard.kpis import KpiSettings
from arboard.mapping import MappingSpec
from arboard.words import counted, first_few

app = typer.Typer(help="arboard: accounts-receivable collections from the command line.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  rich_markup_mode="markdown")  # docstrings wrapped in the source read as one paragraph
# No console markup: what is printed holds the user's data (names, ids, file names), and "[/x]" in a
# debtor's name would be read as a closing tag (a MarkupError, not a message).
out = Console(markup=False)
err = Console(stderr=True, markup=False)

ApplyCash = Literal["high", "medium", "low", "none"]  # the least confidence of a match counted as applied
DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: ARBOARD_DB_URL, "
                                              "secrets.toml, else the embedded DuckDB file).")]
CurrencyOption = Annotated[str | None, typer.Option(help="Currency. 'all' adds every currency up in the reporting "
                                                     "currency set with 'arboard rates', else at face value. "
                                                     "Default: 'all' once rates are set, else the largest.")]


def _fail(exc: ArboardError, code: int = 1) -> None:
    err.print(Text.assemble(("Error:", "bold red"), f" {exc}"), highlight=False)
    raise typer.Exit(code)


def _open(url: str | None):
    try:
        return db.open_database(url)
    except ArboardError as exc:
        _fail(exc)


def _history_note(engine, what: str) -> None:
    """On stderr, as the pages warn: an open-items report has no history for ``what``."""
    if summary.ledger_summary(engine).open_items_only:
        err.print(f"Note: this ledger holds open items only (no invoice settled): balances and aging "
                  f"are exact, but {what} need the settled invoices too (or import each new aging report with "
                  "--open-items: what it no longer lists is settled on its date).")


@app.command("generate")
def generate_cmd(
    customers: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 5_000,
    invoices: Annotated[int, typer.Option(min=1, help="Number of invoices.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same ledger).")] = 7,
    end: Annotated[str | None, typer.Option(help="Last day of the history, YYYY-MM-DD (default: today).")] = None,
    months: Annotated[int, typer.Option(min=24, help="Months of history.")] = 27,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a database that already holds invoices.")]
    = False,
    rates: Annotated[bool, typer.Option("--rates/--no-rates", help="Save the sample's exchange rates into EUR "
                                        "when none are saved, so its currencies add up.")] = True,
    db_url: DbOption = None,
) -> None:
    """Write a realistic, seeded sample ledger into an empty database (or --replace)."""
    end_date = _date_option(end, "--end") or date.today()
    engine = _open(db_url)
    spec = generate.SampleSpec(customers=customers, invoices=invoices, seed=seed, end=end_date, months=months)
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        task = bar.add_task("Generating invoices", total=invoices)
        try:
            counts = generate.write_sample(engine, spec, replace=replace, rates=rates,
                                           progress=lambda n, _t: bar.update(task, completed=n))
        except ArboardError as exc:
            _fail(exc)
    out.print(", ".join(f"{k}: {v:,}" for k, v in counts.items()) + f" written to {db.redact(engine.url)}")


def _parse_date_formats(values: list[str]) -> dict[str, str]:
    formats = {}
    for item in values:
        col, sep, fmt = item.rpartition("=")
        if not sep or not col:
            raise ArboardError(f"--date-format takes COLUMN=FORMAT (e.g. 'Invoice Date=D/M/YYYY'), not {item!r}.")
        formats[col] = fmt
    return formats


@app.command("import")
def import_cmd(
    file: Annotated[Path | None, typer.Argument(help="CSV, Excel (.xlsx/.xls/.ods) or Parquet file.")] = None,
    db_url: DbOption = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping JSON: {kind, columns, date_formats, ...}.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Empty the table first instead of upserting.")] = False,
    kind: Annotated[str | None, typer.Option(help="invoices, customers, payments or contacts (default: guessed).")]
    = None,
    date_format: Annotated[list[str] | None, typer.Option("--date-format", help="COLUMN=FORMAT, e.g. "
                                                          "'Date=D/M/YYYY'; repeatable.")] = None,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Load valid rows even if some are rejected.")]
    = False,
    report: Annotated[Path, typer.Option(help="Where to write the row-level report (CSV).")]
    = Path("import-report.csv"),
    source_url: Annotated[str | None, typer.Option(help="Import from another database (SQLAlchemy URL).")] = None,
    table: Annotated[str | None, typer.Option(help="With --source-url: a table name or a SELECT query.")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name (default: the first with data).")] = None,
    open_items: Annotated[bool, typer.Option(
        "--open-items", help="The invoices file lists every invoice open on --open-as-of (an aging report): the "
                             "invoices open in arboard it leaves out were settled by then.")] = False,
    open_as_of: Annotated[str | None, typer.Option(
        "--open-as-of", help="The report's date for open amounts and --open-items (default today): what an open "
                             "amount says was paid is a payment of that day, what the list leaves out is settled "
                             "on it.")] = None,
) -> None:
    """Import a ledger file (or a table from another database) in one transaction."""
    open_on = _date_option(open_as_of, "--open-as-of")
    try:
        if open_items and replace:
            raise ArboardError("--open-items and --replace exclude each other: a list of open items updates the "
                               "ledger it settles.")
        if (file is None) == (source_url is None):
            raise ArboardError("Give either a FILE or --source-url with --table.")
        if source_url and not table:
            raise ArboardError("--source-url needs --table (a table name or a SELECT query).")
        engine = db.open_database(db_url)
        with Progress(TextColumn("{task.description}", markup=False), BarColumn(), TimeElapsedColumn(),
                      console=err) as bar:
            task = bar.add_task("Reading", total=1.0)
            raw = readers.read_sql(source_url, table) if source_url else readers.read_path(file, sheet=sheet)
            spec = MappingSpec.from_file(mapping) if mapping else None
            if date_format:
                if spec is None:
                    plan = importer.plan_import(raw, kind=kind, saved=importer.load_saved(engine, raw.columns))
                    spec = plan.spec
                spec.date_formats.update(_parse_date_formats(date_format))
            result = importer.run_import(
                engine, raw, spec=spec, kind=kind,
                mode="replace" if replace else "open-items" if open_items else "append",
                skip_invalid=skip_invalid, open_on=open_on,
                progress=lambda msg, frac: bar.update(task, description=msg, completed=frac))
    except ArboardError as exc:
        if exc.report is not None and len(exc.report):
            report.write_bytes(exports.to_csv_bytes(exc.report))
            _print_report(exc.report, err)
            err.print(f"Full report ({counted(len(exc.report), 'row')}): {report}")
        _fail(exc)
    table_out = Table(title=f"Imported {result.kind} from {result.source}")
    for col in ("rows read", "inserted", "updated", "rejected", "suspicious", "new customers"):
        table_out.add_column(col, justify="right")
    table_out.add_row(*(f"{v:,}" for v in (result.rows_read, result.inserted, result.updated, result.rejected,
                                          result.suspicious, result.customers_added)))
    out.print(table_out)
    for warning in result.warnings:
        out.print(Text(f"! {warning}", style="bold yellow"))
    for note in result.notes:
        out.print(Text(f"• {note}"))  # Text: a note may quote the file
    if len(result.report):
        report.write_bytes(exports.to_csv_bytes(result.report))
        out.print(f"Report of rejected/suspicious rows ({len(result.report):,}): {report}")


def _print_report(frame, console: Console, limit: int = 15) -> None:
    t = Table(title="Row-level report (first rows)")
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.head(limit).itertuples(index=False):
        t.add_row(*(Text(str(v)) for v in row))  # Text: values from files are never read as markup
    console.print(t)


def _date_option(value: str | None, option: str) -> date | None:
    """The date an option gives (None when it is not given), or exit 2 saying what is wrong."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        _fail(ArboardError(f"{option} must be a date like 2026-11-23, not {value!r}."), 2)


def _as_of(value: str | None, engine) -> date:
    return _date_option(value, "--as-of") or summary.ledger_summary(engine).last_activity or date.today()


def _currency(value: str | None, engine) -> str | None:
    """The --currency asked for (None: all). Without one, as the pages start: all currencies in the
    reporting currency once rates are saved, else the largest (never added up at face value unasked)."""
    known = [c for c, _ in openitems.currencies(engine)]
    if value and value.lower() == "all":
        return None
    if value:
        if value.upper() not in known:
            _fail(ArboardError(f"No invoices in {value!r}; the ledger has {', '.join(known) or 'none'}."), 2)
        return value.upper()
    if fx.load(engine).active:
        return None
    return known[0] if known else None


def _config(engine, name: str | None):
    try:
        return segments.load_config(engine, name) if name else segments.SegmentConfig()
    except ArboardError as exc:
        _fail(exc, 2)


def _scenario(engine, name: str | None) -> scenarios.Scenario | None:
    if not name or name == scenarios.BASELINE:
        return None
    try:
        return scenarios.load_scenario(engine, name)
    except ArboardError as exc:
        _fail(exc, 2)


def _aging_spec(edges: str, basis: str) -> AgingSpec:
    try:
        return AgingSpec(edges=tuple(int(e) for e in edges.split(",")), basis=basis)  # type: ignore[arg-type]
    except ValueError as exc:
        _fail(ArboardError(f"--edges/--basis: {exc}"), 2)


@app.command("report")
def report_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    currency: CurrencyOption = None,
    window: Annotated[int, typer.Option(min=1, help="DSO/CEI window in days.")] = 90,
    cei_variant: Annotated[str, typer.Option(help="'total' sales or 'average' (sales / months).")] = "total",
    edges: Annotated[str, typer.Option(help="Aging bucket edges in days.")] = "30,60,90,120",
    basis: Annotated[str, typer.Option(help="Aging basis: due or invoice (date).")] = "due",
) -> None:
    """Print the collection KPIs and the aging as of a date."""
    engine = _open(db_url)
    if fmt not in ("json", "csv"):
        _fail(ArboardError("--format must be json or csv."), 2)
    if cei_variant not in ("total", "average"):
        _fail(ArboardError("--cei-variant must be total or average."), 2)
    settings = KpiSettings(window_days=window, cei_average_sales=cei_variant == "average",
                           aging=_aging_spec(edges, basis))
    cur = _currency(currency, engine)
    result = kpis.kpis(engine, _as_of(as_of, engine), settings=settings, currency=cur, rates=fx.load(engine))
    result["all_currencies"] = cur is None  # "currency" is then the reporting currency (or None: face value)
    _history_note(engine, "DSO, CEI and days to pay")
    _emit(result, fmt)


def _emit(result: dict, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
        return
    rows = []
    for key, value in result.items():
        if isinstance(value, list):
            for item in value:
                name = item.get("bucket") or item.get("group")
                rows.extend((f"{key}:{name}:{k}", v) for k, v in item.items() if k not in ("bucket", "group"))
        elif isinstance(value, dict):
            rows.extend((f"{key}:{k}", v) for k, v in value.items())
        else:
            rows.append((key, value))
    sys.stdout.write(exports.to_csv_bytes(pd.DataFrame(rows, columns=["key", "value"])).decode("utf-8-sig"))


@app.command("segments")
def segments_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    config: Annotated[str | None, typer.Option(help="A saved segment configuration (default: the defaults).")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="json (group totals) or csv (one row per debtor).")] = "json",
    lookback: Annotated[int, typer.Option(min=30, help="Days of behaviour to look at.")] = 365,
) -> None:
    """Split debtors into the five groups of the playbook."""
    engine = _open(db_url)
    if fmt not in ("json", "csv"):
        _fail(ArboardError("--format must be json or csv."), 2)
    cfg = _config(engine, config)
    day = _as_of(as_of, engine)
    prof = profiles.debtor_profiles(engine, day, lookback_days=lookback)
    groups = segments.assign(prof, cfg)
    _history_note(engine, "the groups (every debtor is in no_information)")
    # open_ar adds up a debtor's currencies: in this currency, or at face value when it is None.
    rates, currencies = fx.load(engine), [c for c, _ in openitems.currencies(engine)]
    unit = rates.unit(currencies)
    if fmt == "json":
        result = {"as_of": day.isoformat(), "config": config or "default", "open_ar_currency": unit,
                  **segments.summary(prof, groups)}
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        table = prof.assign(group=groups, amounts_in=rates.amounts_in(currencies))[
            ["customer_id", "name", "group", "open_ar", "overdue_ar", "amounts_in", "days_beyond_terms",
             "response_rate"]]
        sys.stdout.write(exports.to_csv_bytes(table).decode("utf-8-sig"))


def _check_out(out_file: Path, *, pdf: bool = False) -> bool:
    """Validate an export path (.csv, .xlsx, and .pdf when ``pdf``); True when it asks for Excel."""
    allowed = (".csv", ".xlsx", ".pdf") if pdf else (".csv", ".xlsx")
    if out_file.suffix.lower() not in allowed:
        _fail(ArboardError("--out must end in " + ", ".join(allowed[:-1]) + f" or {allowed[-1]}."), 2)
    return out_file.suffix.lower() == ".xlsx"


def _write(out_file: Path, data: bytes) -> None:
    try:
        out_file.write_bytes(data)
    except OSError as exc:
        _fail(ArboardError(f"The file cannot be written: {exc.strerror or exc}", where=str(out_file)))


@app.command("plan")
def plan_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.xlsx (FILE.pdf: the day's letters, "
                                                          "with --day and --channel letter)")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    weeks: Annotated[int, typer.Option(min=1, max=26, help="Weeks ahead to plan.")] = 8,
    db_url: DbOption = None,
    config: Annotated[str | None, typer.Option(help="A saved segment configuration.")] = None,
    max_per_week: Annotated[int, typer.Option(min=1, help="Contacts per debtor per 7 days at most.")] = 2,
    contact_days: Annotated[str, typer.Option(help="Days contacts go out, e.g. Mon-Fri or Mon,Wed,Fri.")]
    = "Mon-Fri",
    agents: Annotated[int, typer.Option(min=0, help="Agents on the phone.")] = 2,
    calls_per_agent: Annotated[int, typer.Option(min=1, help="Calls per agent per day.")] = 25,
    spread_calls: Annotated[bool, typer.Option(help="Move calls beyond the daily capacity to later days.")] = True,
    remind_disputed: Annotated[bool, typer.Option(help="Also remind disputed invoices (default: left out).")]
    = False,
    wait_for_promises: Annotated[bool, typer.Option(help="No reminder of an invoice with a running promise to pay "
                                                         f"(until the promised date + {promises.PROMISE_GRACE_DAYS} "
                                                         "days).")] = True,
    call_broken_promises: Annotated[bool, typer.Option(help="Call a debtor on the next contact day when a promise to "
                                                            "pay ends with the invoice open (unless spoken to "
                                                            "since).")] = True,
    repeat_days: Annotated[int, typer.Option(help="Repeat a playbook's last step every N days while overdue "
                                                  "(0: never; a hand-over never repeats).")] = 14,
    instalments_offered: Annotated[int, typer.Option(help="Monthly instalments a payment-plan offer proposes.")]
    = instalments.DEFAULT_COUNT,
    on_day: Annotated[str | None, typer.Option("--day", help="YYYY-MM-DD: only that day's work list, the largest "
                                                          "balances first.")] = None,
    channel: Annotated[str | None, typer.Option(help="With --day: only phone, letter, email, sms or portal "
                                                     "contacts.")] = None,
    collector: Annotated[str | None, typer.Option(help="With --day: only the debtors this collector works "
                                                       f"('{collectors.NO_COLLECTOR}': nobody's).")] = None,
    calls_per_collector: Annotated[bool, typer.Option("--calls-per-collector", help="Each collector calls their own "
                                                      "debtors, --calls-per-agent a day at most; the agents call "
                                                      "the debtors nobody works.")] = False,
    apply_cash: Annotated[ApplyCash, typer.Option(help="Count cash on account as applied where `arboard unapplied` "
                                                       "matches it this surely: its invoices get no reminder "
                                                       "(none: remind as the ERP stands).")] = "high",
) -> None:
    """Export the outreach plan: one row per planned contact with the rendered message (or one day's work list,
    or that day's letters to print as a PDF)."""
    xlsx = _check_out(out_file, pdf=True)
    pdf = out_file.suffix.lower() == ".pdf"
    if pdf and (not on_day or channel != "letter"):
        _fail(ArboardError("A PDF holds the letters of one day: use it with --day and --channel letter."), 2)
    work_day = _date_option(on_day, "--day")
    if channel and (not on_day or channel not in set(outreach.CHANNELS) - {"preferred"}):
        _fail(ArboardError("--channel goes with --day and is one of phone, letter, email, sms, portal."), 2)
    if collector is not None and not on_day:
        _fail(ArboardError("--collector goes with --day: one collector's work list."), 2)
    try:
        settings = outreach.PlanSettings(weeks=weeks, max_contacts_per_7_days=max_per_week,
                                         contact_days=outreach.parse_days(contact_days), agents=agents,
                                         calls_per_agent_per_day=calls_per_agent, remind_disputed=remind_disputed,
                                         pause_promised=wait_for_promises, call_broken_promises=call_broken_promises,
                                         repeat_last_step_days=repeat_days,
                                         instalments_offered=instalments_offered,
                                         calls_per_collector=calls_per_collector,
                                         apply_cash="" if apply_cash == "none" else apply_cash.capitalize())
    except ArboardError as exc:
        _fail(exc, code=2)
    engine = _open(db_url)
    settings = dataclasses.replace(settings, interest=interest.load(engine))  # the saved terms (`arboard interest`)
    cfg = _config(engine, config)
    day = _as_of(as_of, engine)
    inputs = outreach.plan_inputs(engine, day, config=cfg)
    _history_note(engine, "the groups (every debtor gets the no-information playbook)")
    rates = fx.load(engine)
    company = sender.load(engine)
    who = collectors.assigned(engine)
    done = outreach.finish_plan(inputs.build(day, settings), day, settings, spread=spread_calls, rates=rates,
                                collectors=who)
    handed = inputs.handed_over(day, settings)
    if work_day is not None:
        end = outreach.plan_end(day, settings)
        if not day < work_day <= end:
            _fail(ArboardError(f"--day must fall in the plan: {day + timedelta(days=1)} to {end}."), 2)
        table = outreach.work_list(done.plan, work_day, channel=channel, rates=rates, pay_link=company.pay_link,
                                   collectors=who, collector=collector)
        found = letters.addresses(engine, letters.letters_of(table)["customer_id"])
        table = letters.with_addresses(table, found, sender=company)
    else:
        table = outreach.export_table(outreach.render_messages(done.plan, pay_link=company.pay_link))
    if pdf:
        try:
            _write(out_file, letters.letters_pdf(table, found, sender=company))
        except ArboardError as exc:
            _fail(exc)
    else:
        _write(out_file, exports.to_xlsx_bytes(table, sheet="Work list" if work_day else "Plan",
                                               money_columns=outreach.MONEY_COLUMNS)
               if xlsx else exports.to_csv_bytes(table))
    if work_day is not None:
        what = counted(len(table), f"{channel} contact" if channel else "contact")
        what += f" for {collector}" if collector else ""
        out.print(f"{what} on {work_day}, the largest balances first, written to {out_file}")
        missing = letters.missing_addresses(table)
        if missing:
            out.print(f"{counted(len(missing), 'letter has', 'letters have')} no postal address on file: "
                      f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
        if pdf and not company.is_set:
            out.print("The letters have no letterhead: set it with `arboard sender --name ...`.")
    else:
        out.print(f"{counted(len(table), 'planned contact')} over {weeks} weeks written to {out_file}")
    if len(done.calls_left_out):
        left = len(done.calls_left_out)
        out.print(f"Left out: {counted(left, 'call')} that {'does' if left == 1 else 'do'} "
                  f"not fit at {counted(agents, 'agent')} x {calls_per_agent} calls a day; raise --agents or "
                  "--calls-per-agent, or plan more --weeks.")
    if len(handed):
        out.print(f"{counted(handed['customer_id'].nunique(), 'debtor is', 'debtors are')} past a hand-over step and "
                  "get no more reminders (their claims are taken to be with the agency).")
    paid = inputs.paid_by_cash(settings)
    if len(paid):
        out.print(f"{counted(paid['invoice_id'].nunique(), 'invoice')} of "
                  f"{counted(paid['customer_id'].nunique(), 'debtor')} most likely paid by cash on account (not "
                  "applied in the ERP yet) get no reminder for what it pays: `arboard unapplied` lists them.")


@app.command("statement")
def statement_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="FILE.pdf (to send), FILE.csv or FILE.xlsx (its lines)")],
    customer_id: Annotated[str | None, typer.Argument(help="The debtor's customer id.")] = None,
    all_overdue: Annotated[bool, typer.Option("--all-overdue", help="Instead of one debtor: every debtor with an "
                                                                   "overdue balance, largest first.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
) -> None:
    """Statements of account: every open item, the balance by age, how to pay (one debtor, or a run)."""
    xlsx = _check_out(out_file, pdf=True)
    if bool(customer_id) == all_overdue:
        _fail(ArboardError("Name one debtor, or ask for --all-overdue."), 2)
    engine = _open(db_url)
    day = _as_of(as_of, engine)
    ids = [customer_id] if customer_id else statement.overdue_debtors(engine, day)
    try:
        runs = statement.account_statements(engine, ids, day)
        if out_file.suffix.lower() == ".pdf":
            _write(out_file, letters.statements_pdf(runs, sender=sender.load(engine)))
    except ArboardError as exc:
        _fail(exc)
    if out_file.suffix.lower() != ".pdf":
        lines = pd.concat([statement.export_lines(st) for st in runs] or [pd.DataFrame()], ignore_index=True)
        _write(out_file, exports.to_xlsx_bytes(lines, sheet="Statement", money_columns=("amount", "open_amount"))
               if xlsx else exports.to_csv_bytes(lines))
    unaddressed = [st.customer["customer_id"] for st in runs if not letters.address_lines(st.customer)]
    if customer_id:
        st = runs[0]
        balances = ", ".join(f"{r.currency} {r.balance:,.2f} (overdue {r.overdue:,.2f})"
                             for r in st.totals.itertuples(index=False)) or "nothing open"
        out.print(f"Statement of {customer_id} as of {day}: {counted(len(st.lines), 'open item')}, {balances}; "
                  f"written to {out_file}")
    else:
        out.print(f"{counted(len(runs), 'statement')} of debtors with an overdue balance as of {day} written to "
                  f"{out_file}")
    if unaddressed and out_file.suffix.lower() == ".pdf":
        out.print(f"{len(unaddressed):,} with no postal address on file (the statement says so where it would be): "
                  f"{', '.join(unaddressed[:10])}{' ...' if len(unaddressed) > 10 else ''}")


@app.command("sender")
def sender_cmd(
    name: Annotated[str | None, typer.Option(help="Your company's name (letterhead, footer).")] = None,
    address: Annotated[list[str] | None, typer.Option(help="An address line (repeat: street, postal code and "
                                                           "city).")] = None,
    country: Annotated[str | None, typer.Option(help="Your country (two letters): letters abroad print the "
                                                     "debtor's country.")] = None,
    contact: Annotated[str | None, typer.Option(help="Phone, e-mail, web site (one line).")] = None,
    payment: Annotated[str | None, typer.Option(help="Bank details for the footer (one line).")] = None,
    pay_link: Annotated[str | None, typer.Option(help="The pay link messages carry; {customer_id} stands for the "
                                                      "debtor.")] = None,
    db_url: DbOption = None,
) -> None:
    """Who letters, statements and messages come from. Without options: show it."""
    engine = _open(db_url)
    current = sender.load(engine)
    given = {"name": name, "address": tuple(address) if address is not None else None, "country": country,
             "contact": contact, "payment": payment, "pay_link": pay_link}
    changes = {k: v for k, v in given.items() if v is not None}
    if changes:
        try:
            current = sender.save(engine, dataclasses.replace(current, **changes))
        except ArboardError as exc:
            _fail(exc, 2)
    for label, value in [("Name", current.name), ("Address", " / ".join(current.address)),
                         ("Country", current.country), ("Contact", current.contact), ("Payment", current.payment),
                         ("Pay link", current.pay_link)]:
        out.print(f"{label:9} {value or '(not set)'}", markup=False, highlight=False)


@app.command("interest")
def interest_cmd(
    rate: Annotated[float | None, typer.Option(help="Interest on overdue invoices, percent a year (e.g. 12.15: a "
                                                    "reference rate of 4.15 plus 8 points); 0: none.")] = None,
    consumer_rate: Annotated[float | None, typer.Option(help="The same for consumers (customer type B2C).")] = None,
    compensation: Annotated[float | None, typer.Option(help="A fixed sum per overdue invoice of a business debtor "
                                                            "(the EU's 40 in euros); 0: none.")] = None,
    grace_days: Annotated[int | None, typer.Option(help="Interest runs from this many days after the due "
                                                        "date.")] = None,
    rate_change: Annotated[list[str] | None, typer.Option("--rate-change", help="\"YYYY-MM-DD RATE [CONSUMER "
                                                                                "RATE]\": from that day on, "
                                                                                "interest runs at this rate (the "
                                                                                "reference rate changed); takes the "
                                                                                "place of a change on the same "
                                                                                "day. Repeat for more.")] = None,
    no_rate_changes: Annotated[bool, typer.Option("--no-rate-changes", help="Forget the rate changes: --rate "
                                                                            "applies to every day.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx: what each debtor owes in "
                                                               "interest and compensation; with --paid-since also "
                                                               "FILE.pdf: the claims to print, one per "
                                                               "debtor.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    paid_since: Annotated[str | None, typer.Option("--paid-since", help="YYYY-MM-DD: instead of what is overdue, "
                                                                        "what the payments made late from this day "
                                                                        "to --as-of earn (the interest invoice "
                                                                        "of a month, say).")] = None,
    lines: Annotated[bool, typer.Option("--lines", help="--out has one line per invoice (per payment with "
                                                        "--paid-since) instead of one per debtor.")] = False,
    no_compensation: Annotated[bool, typer.Option("--no-compensation", help="With --paid-since: leave the "
                                                                            "compensation out (a reminder claimed "
                                                                            "it already).")] = False,
    record: Annotated[bool, typer.Option("--record", help="With --paid-since: record the claims as sent, so that "
                                                          "no later claim asks for the same payments (`arboard "
                                                          "interest-claims` lists and withdraws them).")] = False,
    claimed_on: Annotated[str | None, typer.Option("--claimed-on", help="With --record: YYYY-MM-DD, the day the "
                                                                        "claims went out (default: today).")] = None,
    by: Annotated[str | None, typer.Option(help="With --record: who sent them.")] = None,
    db_url: DbOption = None,
) -> None:
    """Late-payment interest and compensation: set the terms, show them, and what they come to per debtor.

    The playbook steps that claim interest (the firm letters, by default) put them on the message. With
    --paid-since, what the invoices paid late in a period earn instead: what is left to claim, leaving
    out the payments a claim recorded as sent (--record) asked for already.
    """
    since = _date_option(paid_since, "--paid-since")
    xlsx = _check_out(out_file, pdf=since is not None) if out_file else False
    as_pdf = bool(out_file) and out_file.suffix.lower() == ".pdf"
    today = date.today()
    sent_on = _date_option(claimed_on, "--claimed-on") or today
    for given_alone, option in ((no_compensation, "--no-compensation"), (record, "--record")):
        if given_alone and since is None:
            _fail(ArboardError(f"{option} goes with --paid-since."), 2)
    if (claimed_on or by) and not record:
        _fail(ArboardError("--claimed-on and --by go with --record."), 2)
    engine = _open(db_url)
    terms = interest.load(engine)
    if no_rate_changes and rate_change:
        _fail(ArboardError("--no-rate-changes or --rate-change, not both."), 2)
    given = {"rate": rate, "consumer_rate": consumer_rate, "compensation": compensation, "grace_days": grace_days}
    changes = {k: v for k, v in given.items() if v is not None}
    if changes or rate_change or no_rate_changes:
        try:
            new = dataclasses.replace(terms, **changes)
            if rate_change or no_rate_changes:
                new = dataclasses.replace(new, changes=interest.parse_changes(
                    "\n".join(rate_change or ()), rate=new.rate, consumer_rate=new.consumer_rate,
                    keep=() if no_rate_changes else new.changes))
            terms = interest.save(engine, new)
        except ArboardError as exc:
            _fail(exc, 2)
    out.print(terms.describe(), markup=False, highlight=False)
    if not terms.is_set:
        if out_file:
            _fail(ArboardError("Nothing is claimed: set --rate or --compensation first."), 2)
        return
    day = _as_of(as_of, engine)
    if since is not None:
        if no_compensation:
            terms = dataclasses.replace(terms, compensation=0.0)
        try:
            if record:  # refused before anything is written
                by = interestclaims.check(since=since, until=day, claimed_on=sent_on, today=today, by=by)
            claims = interest.paid_late_by_debtor(engine, since=since, until=day, terms=terms, rates=fx.load(engine))
            listed = interest.paid_late(engine, since=since, until=day, terms=terms) if lines else claims
        except ArboardError as exc:
            _fail(exc, 2)
        sent = int(interestclaims.claimed(engine, since=since, until=day)["payments"].sum())
        when, owe = f"Paid late from {since} to {day}", "earned" if not sent else "left to claim"
        none = "no payment came late" if not sent else "nothing is left to claim"
        if sent:
            when += (f" (left out: {counted(sent, 'late payment')} claimed already, see arboard "
                     "interest-claims)")
    else:
        claims = interest.by_debtor(engine, day, terms=terms, rates=fx.load(engine))
        listed = interest.by_invoice(engine, day, terms=terms) if lines else claims
        when, owe, none = f"As of {day}", "owe", "no undisputed invoice is overdue"
    if as_pdf:  # (with --paid-since only) the claims to print, one per debtor, the largest first
        if claims.empty:
            _fail(ArboardError(f"No payment came late from {since} to {day}: there is no claim to print."), 1)
        _write(out_file, letters.interest_claims_pdf(
            interest.claims(engine, claims["customer_id"].unique().tolist(), since=since, until=day, terms=terms),
            sender=sender.load(engine)))
    elif out_file:
        _write(out_file, exports.to_xlsx_bytes(listed, sheet="Interest", money_columns=interest.ALL_MONEY_COLUMNS)
               if xlsx else exports.to_csv_bytes(listed))
    said = "; ".join(f"{r.currency} {r.interest:,.2f} interest, {r.compensation:,.2f} compensation"
                     for r in interest.totals(claims).itertuples())
    said = f"{counted(claims['customer_id'].nunique(), 'debtor')} {owe} {said}" if said else none
    out.print(f"{when}: {said}" + (f"; written to {out_file}" if out_file else "."), markup=False, highlight=False)
    if record:
        try:
            batch, debtors, n = interestclaims.record(engine, since=since, until=day, terms=terms, claimed_on=sent_on,
                                                      today=today, by=by)
        except ArboardError as exc:
            _fail(exc, 1)
        out.print(f"Recorded as sent on {sent_on}: the claims to {counted(debtors, 'debtor')} for "
                  f"{counted(n, 'late payment')}; no later claim asks for them again. To withdraw: arboard "
                  f"interest-claims --withdraw {batch}", markup=False, highlight=False)


RECORDINGS_SHOWN = 20


@app.command("interest-claims")
def interest_claims_cmd(
    withdraw: Annotated[str | None, typer.Option(help="The id of a recording to withdraw (the claims did not go "
                                                      "out): its payments are to claim again.")] = None,
    debtor: Annotated[str | None, typer.Option(help="Only the claims sent to this debtor.")] = None,
    db_url: DbOption = None,
) -> None:
    """The interest claims recorded as sent (`arboard interest --paid-since … --record`), newest first,
    or withdraw one."""
    engine = _open(db_url)
    if withdraw:
        try:
            n = interestclaims.withdraw(engine, withdraw.strip())
        except ArboardError as exc:
            _fail(exc, 2)
        out.print(f"Withdrawn: {counted(n, 'late payment')} to claim again.", markup=False, highlight=False)
        return
    listed = interestclaims.batches(engine, customer_id=debtor)
    if listed.empty:
        out.print("No interest claims are recorded as sent" + (f" to {debtor}." if debtor else "."), markup=False,
                  highlight=False)
        return
    shown = listed["batch_id"].unique()[:RECORDINGS_SHOWN]
    if len(shown) < listed["batch_id"].nunique():
        out.print(f"The latest {len(shown)} of {listed['batch_id'].nunique():,} recordings:", markup=False,
                  highlight=False)
    for batch_id in shown:  # one block per recording: its id to withdraw it, then its figures per currency
        mine = listed[listed["batch_id"] == batch_id]
        first = mine.iloc[0]
        out.print(f"\n{batch_id}: sent on {first.claimed_on:%Y-%m-%d}" + (f" by {first.claimed_by}" if
                                                                         first.claimed_by else "")
                  + f", for the payments of {first.period}", markup=False, highlight=False)
        out.print(_figures_table(None, mine, {
            "currency": ("Currency", str), "debtors": ("Debtors", "{:,}".format),
            "payments": ("Late payments", "{:,}".format), "interest": ("Interest", "{:,.2f}".format),
            "compensation": ("Compensation", "{:,.2f}".format)}))


@app.command("provision")
def provision_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD, the balance-sheet date (default: the "
                                                               "latest date in the data).")] = None,
    currency: CurrencyOption = None,
    lookback: Annotated[int | None, typer.Option(help="How many month ends the loss rates observe.")] = None,
    outcome: Annotated[int | None, typer.Option(help="Months each observed month end is followed for.")] = None,
    doubtful_days: Annotated[int | None, typer.Option(help="Still open this many days past due counts as "
                                                           "lost.")] = None,
    outlook: Annotated[float | None, typer.Option(help="Percent more (or, negative, less) on every historical "
                                                       "rate, for the outlook.")] = None,
    rate: Annotated[list[str] | None, typer.Option("--rate", help="A bucket's loss rate set by hand, e.g. "
                                                                  "'Over 120=75' (percent; repeat for several).")]
    = None,
    clear_rates: Annotated[bool, typer.Option("--clear-rates", help="Drop the rates set by hand: every bucket "
                                                                    "from history.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx: the provision per "
                                                               "debtor.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    db_url: DbOption = None,
) -> None:
    """The bad-debt provision (allowance for doubtful accounts) by the provision-matrix method.

    Each aging bucket's loss rate is what the ledger lost of what sat in that bucket at past month ends;
    options given change the policy saved for the team.
    """
    if fmt not in ("text", "json"):
        _fail(ArboardError("--format must be text or json."), 2)
    xlsx = _check_out(out_file) if out_file else False
    engine = _open(db_url)
    policy = provision.load(engine)
    given = {"lookback_months": lookback, "outcome_months": outcome, "doubtful_days": doubtful_days,
             "outlook": outlook}
    changes = {k: v for k, v in given.items() if v is not None}
    if rate or clear_rates:
        by_hand = {} if clear_rates else dict(policy.rates)
        for text in rate or []:
            label, sep, value = text.rpartition("=")
            try:
                by_hand[label.strip()] = float(value)
            except ValueError:
                sep = ""
            if not sep:
                _fail(ArboardError(f"--rate takes a bucket and a percent, like 'Over 120=75', not {text!r}."), 2)
        changes["rates"] = by_hand
    if changes:
        try:
            policy = provision.save(engine, dataclasses.replace(policy, **changes))
        except ArboardError as exc:
            _fail(exc, 2)
    day, cur = _as_of(as_of, engine), _currency(currency, engine)
    rates = fx.applied(fx.load(engine), cur)
    result = provision.matrix(engine, day, policy=policy, currency=cur, rates=rates)
    before = provision.matrix(engine, provision.previous_month_end(day), policy=policy, currency=cur, rates=rates)
    unit = cur or rates.reporting or "several currencies at face value"
    if out_file:
        debtors = provision.by_debtor(engine, result)
        _write(out_file, exports.to_xlsx_bytes(debtors, sheet="Provision", money_columns=provision.MONEY_COLUMNS)
               if xlsx else exports.to_csv_bytes(debtors))
    table = result.in_percent()
    if fmt == "json":
        data = {"as_of": day.isoformat(), "currency": unit, "policy": policy.describe(day),
                "open": kpis.json_value(result.open), "provision": kpis.json_value(result.provision),
                "coverage_pct": kpis.json_value(result.coverage * 100 if result.coverage is not None else None),
                "written_off_12m": kpis.json_value(result.written_off_12m) if result.writeoffs_from else None,
                "previous": {"as_of": before.as_of.isoformat(), "provision": kpis.json_value(before.provision)},
                "buckets": _records(table.drop(columns="observations")),
                "specific": _records(result.specific.assign(assessed_on=result.specific["assessed_on"].astype(str)))}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(policy.describe(day), markup=False, highlight=False)
    pct = lambda v: "" if pd.isna(v) else f"{v:.2f}%"  # noqa: E731
    out.print(_figures_table(f"As of {day}, in {unit}", table, {
        "bucket": ("Bucket", str), "open": ("Open", "{:,.2f}".format), "historical_rate": ("Lost before", pct),
        "applied_rate": ("Rate", pct), "provision": ("Provision", "{:,.2f}".format),
        "source": ("From", str)}))
    if len(result.specific):
        # The reason goes in the first column: it wraps, and is never read as markup.
        why = result.specific.assign(who=result.specific["customer_id"] + ": " + result.specific["reason"])
        out.print(_figures_table(f"Provided for one by one, in {unit}", why, {
            "who": ("Debtor: why", str), "open": ("Open", "{:,.2f}".format), "rate": ("Rate", pct),
            "provision": ("Provision", "{:,.2f}".format)}))
    share = f" ({result.coverage:.1%})" if result.coverage is not None else ""
    move = result.provision - before.provision
    out.print(f"Provision: {unit} {result.provision:,.2f} on {result.open:,.2f} open{share}; at "
              f"{before.as_of} {before.provision:,.2f}, so {'+' if move >= 0 else '−'}{abs(move):,.2f} to book.",
              markup=False, highlight=False)
    if result.writeoffs_from:
        out.print(f"Written off in the 12 months to {day}: {result.written_off_12m:,.2f}.", highlight=False)
    else:
        out.print("No payments are loaded, so write-offs cannot be told from payments: only invoices still open "
                  f"{policy.doubtful_days} days past due count as lost.", highlight=False)
    if result.without_history:
        out.print("No history for " + ", ".join(result.without_history) + ": provided at 0% until a rate is set "
                  "with --rate.", markup=False, highlight=False)
    if out_file:
        out.print(f"The provision per debtor is written to {out_file}.", markup=False, highlight=False)


@app.command("specific-provision")
def specific_provision_cmd(
    customer_id: Annotated[str, typer.Argument(help="The debtor's customer number.")],
    rate: Annotated[float, typer.Option(help="Percent of the debtor's open invoices to provide for.")] = 100.0,
    reason: Annotated[str, typer.Option(help="Why (an insolvency filed, a claim with the lawyers): "
                                             "required.")] = "",
    on: Annotated[str | None, typer.Option("--on", help="YYYY-MM-DD, from when (default: today).")] = None,
    by: Annotated[str | None, typer.Option(help="Who decided, for the register.")] = None,
    end: Annotated[bool, typer.Option("--end", help="End the debtor's specific provision on --on: back to the "
                                                    "provision matrix.")] = False,
    db_url: DbOption = None,
) -> None:
    """Provide for one debtor at a rate of its own, outside the provision matrix (or end it).

    A new rate for a debtor already provided for replaces the old one from --on. The register keeps
    every assessment; `arboard provision` shows those in force.
    """
    today = date.today()
    day = _date_option(on, "--on") or today
    engine = _open(db_url)
    try:
        if end:
            impairments.end(engine, customer_id, on=day, today=today, by=by)
        else:
            impairments.assess(engine, customer_id, rate=rate, reason=reason, on=day, today=today, by=by)
    except ArboardError as exc:
        _fail(exc, 2)
    said = "back in the provision matrix" if end else f"provided for at {rate:g}% of its open invoices"
    latest = _as_of(None, engine)
    later = f" The provision counts it once the as-of date reaches {day} (the data ends {latest})." \
        if day > latest else ""
    out.print(f"{customer_id.strip()}: {said} from {day}.{later}", markup=False, highlight=False)


@app.command("log-contact")
def log_contact_cmd(
    customer_id: Annotated[str, typer.Argument(help="The debtor's customer number.")],
    channel: Annotated[str, typer.Option(help="email, sms, letter, phone or portal.")],
    kind: Annotated[str, typer.Option(help="reminder, call, letter, promise_to_pay, payment_plan or dispute.")],
    outcome: Annotated[str | None, typer.Option(help="no_response, responded, promised, paid or bounced.")] = None,
    contact_date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    invoice: Annotated[list[str] | None, typer.Option("--invoice", help="An invoice it was about (repeat for "
                                                                         "several).")] = None,
    promised_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD the debtor promised to pay by.")] = None,
    promised_amount: Annotated[float | None, typer.Option(help="The amount promised (one invoice only; "
                                                                "several are each promised in full).")] = None,
    by: Annotated[str | None, typer.Option(help="Who in the team made the contact (their activity counts it).")]
    = None,
    reason: Annotated[str | None, typer.Option(help="A dispute's reason (Price difference, Not delivered, ...); "
                                                    "with --kind dispute and its invoices.")] = None,
    note: Annotated[str | None, typer.Option(help="What was said, for whoever contacts the debtor next (at most "
                                                  f"{logbook.NOTE_MAX} characters).")] = None,
    db_url: DbOption = None,
) -> None:
    """Log a contact with a debtor: a call and its outcome, a promise to pay, a dispute (see arboard.logbook).

    A dispute about invoices disputes them at once: they leave the reminders until it is resolved
    (arboard resolve-dispute) or the ERP's flag changes."""
    today = date.today()
    entry = logbook.Entry(_date_option(contact_date, "--date") or today, channel, kind, outcome,
                          tuple(invoice or ()), _date_option(promised_date, "--promised-date"), promised_amount, by,
                          reason, note)
    engine = _open(db_url)
    try:
        ids = logbook.log(engine, customer_id, entry, today=today)
    except ArboardError as exc:
        _fail(exc)
    out.print(f"{counted(len(ids), 'contact')} logged with {customer_id} on {entry.contact_date}: {', '.join(ids)}",
              highlight=False)
    if kind == "dispute" and entry.invoice_ids:
        out.print(f"Disputed now: {', '.join(entry.invoice_ids)}; out of the reminders until resolved "
                  "(arboard resolve-dispute) or the ERP's flag changes.", highlight=False)


@app.command("resolve-dispute")
def resolve_dispute_cmd(
    invoices: Annotated[list[str], typer.Argument(help="The disputed invoices settled.")],
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD it was settled (default: today).")] = None,
    by: Annotated[str | None, typer.Option(help="Who in the team settled it.")] = None,
    note: Annotated[str | None, typer.Option(help="How it was settled (proof of delivery sent, price confirmed).")]
    = None,
    db_url: DbOption = None,
) -> None:
    """Record disputes as settled: the invoices are due again and the plan reminds them (see
    arboard.disputestatus). A credit note agreed instead is loaded from the ERP and settles the invoice."""
    today = date.today()
    engine = _open(db_url)
    try:
        n = disputestatus.resolve(engine, invoices, on=_date_option(on, "--on") or today, today=today, by=by,
                                  note=note)
    except ArboardError as exc:
        _fail(exc)
    out.print(f"{counted(n, 'dispute')} resolved; reminders resume from the next contact day.",
              highlight=False)


@app.command("mark-disputed")
def mark_disputed_cmd(
    invoices: Annotated[list[str] | None, typer.Argument(help="The invoices to mark (default: list them).")] = None,
    all_listed: Annotated[bool, typer.Option("--all", help="Mark every invoice listed.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    by: Annotated[str | None, typer.Option(help="Who in the team marked them.")] = None,
    reason: Annotated[str | None, typer.Option(help="The dispute's reason, for all of them (e.g. 'Price "
                                                    "difference').")] = None,
    db_url: DbOption = None,
) -> None:
    """Open invoices a dispute contact in the log names but the invoices file does not flag (an ERP
    export without the flag, a contacts log from the CRM): listed, or marked disputed from the date of
    that contact with their numbers or --all, so that the reminders leave them out."""
    engine = _open(db_url)
    day, today = _as_of(as_of, engine), date.today()
    listed = disputes.unmarked(engine, day)
    if not invoices and not all_listed:
        out.print(counted(len(listed), "open invoice with a dispute contact is",
                          "open invoices with a dispute contact are")
                  + f" not disputed as of {day.isoformat()}"
                  + ("; mark them with their numbers or --all." if len(listed) else "."), highlight=False)
        if len(listed):
            t = Table(title="Dispute contacts not marked" + (f" (first 15 of {len(listed):,})" if len(listed) > 15
                                                             else ""))
            for label in ("Invoice", "Debtor ID", "Debtor", "Open", "Disputed on"):
                t.add_column(label, justify="right" if label == "Open" else "left", no_wrap=label != "Debtor")
            for row in listed.head(15).itertuples(index=False):
                t.add_row(Text(str(row.invoice_id)), Text(str(row.customer_id)), Text(str(row.name)),
                          f"{row.open_amount:,.2f} {row.currency}", f"{row.raised:%Y-%m-%d}")
            out.print(t)
        return
    try:
        n = disputestatus.mark_contacted(engine, listed["invoice_id"].tolist() if all_listed else invoices or [],
                                         as_of=day, today=today, by=by, reason=reason)
    except ArboardError as exc:
        _fail(exc)
    out.print(f"{counted(n, 'invoice')} marked disputed from their dispute contacts; the reminders "
              "leave them out.", highlight=False)


@app.command("payment-plan")
def payment_plan_cmd(
    customer_id: Annotated[str, typer.Argument(help="The debtor's customer number.")],
    invoice: Annotated[list[str], typer.Option("--invoice", help="An invoice the plan covers (repeat for several).")],
    first: Annotated[str, typer.Option(help="YYYY-MM-DD of the first instalment.")],
    count: Annotated[int, typer.Option("--instalments", help="How many instalments.")] = instalments.DEFAULT_COUNT,
    every_months: Annotated[int, typer.Option(help="Months between instalments (1 to 3).")] = 1,
    agreed_on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD it was agreed (default: today).")]
    = None,
    channel: Annotated[str, typer.Option(help="email, sms, letter, phone or portal.")] = "phone",
    by: Annotated[str | None, typer.Option(help="Who in the team agreed the plan (their activity counts it).")]
    = None,
    note: Annotated[str | None, typer.Option(help="What was agreed besides the schedule, for whoever contacts the "
                                                  "debtor next.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the schedule; log nothing.")] = False,
    db_url: DbOption = None,
) -> None:
    """Agree a payment plan: the invoices' open balance in instalments, each invoice promised for the
    instalment that pays it off (see arboard.instalments)."""
    today = date.today()
    on = _date_option(agreed_on, "--date") or today
    start = _date_option(first, "--first")
    engine = _open(db_url)
    try:
        if dry_run:
            agreed = logbook.plan_for(engine, customer_id, invoice, on=on, first=start, count=count,
                                      every_months=every_months)
        else:
            agreed = logbook.log_payment_plan(engine, customer_id, invoice, on=on, first=start, count=count,
                                              every_months=every_months, channel=channel, by=by, note=note,
                                              today=today)
    except ArboardError as exc:
        _fail(exc)
    for row in logbook.plan_table(agreed).itertuples(index=False):
        out.print(f"{row.instalment:>3}  {row.due}  {row.amount:>14,.2f} {agreed.currency}  {row.pays_off}",
                  highlight=False, markup=False)
    out.print(("Not logged (--dry-run)." if dry_run else
               f"Logged: {counted(len(agreed.contact_ids), 'invoice')} promised for their instalment."),
              highlight=False)


@app.command("promises")
def promises_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    broken_only: Annotated[bool, typer.Option("--broken-only", help="List only the promises broken lately.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx with every promise listed.")]
    = None,
) -> None:
    """Running promises to pay on open invoices (no reminder until they end), and those broken lately."""
    xlsx = _check_out(out_file) if out_file else False
    engine = _open(db_url)
    day = _as_of(as_of, engine)
    table = promises.promises(engine, day)
    n = promises.summary(table)
    out.print(f"As of {day.isoformat()}: {counted(n['running'], 'running promise')} "
              f"({counted(n['running_debtors'], 'debtor')}); "
              f"{n['broken']:,} broken in the last {promises.BROKEN_LISTED_DAYS} days ("
              f"{counted(n['broken_debtors'], 'debtor')}).", highlight=False)
    kept = promises.kept_rate(engine, day)
    if kept["due"]:
        out.print(f"Kept: {kept['kept']:,} of the {counted(kept['due'], 'promise')} whose promised date and "
                  f"grace ended in the last {promises.KEPT_WINDOW_DAYS} days ({100 * kept['rate']:.1f} %).",
                  highlight=False)
    table = promises.only(table, True if broken_only else None)
    if out_file:
        _write(out_file, exports.to_xlsx_bytes(promises.readable(table, labels=True), sheet="Promises",
                                               money_columns=promises.MONEY)
               if xlsx else exports.to_csv_bytes(promises.readable(table, labels=True)))
        out.print(f"{counted(len(table), 'promise')} written to {out_file}")
    elif len(table):
        t = Table(title="Promises" + (f" (first 15 of {len(table):,}; --out lists all)" if len(table) > 15 else ""))
        t.add_column("Debtor", min_width=12, max_width=22, overflow="ellipsis", no_wrap=True)
        for label in ("Invoice", "Open", "Promised for"):
            t.add_column(label, justify="right" if label == "Open" else "left", no_wrap=True)
        t.add_column("State", min_width=7)  # wraps ("broken, spoken to since") rather than cut to "runni…"
        head = table.head(15)
        for row, now in zip(head.itertuples(index=False), promises.state(head), strict=True):
            t.add_row(Text(str(row.name)), Text(str(row.invoice_id)), f"{row.open_amount:,.2f} {row.currency}",
                      f"{row.promised_date:%Y-%m-%d}", promises.STATES[now].lower())
        out.print(t)


@app.command("disputes")
def disputes_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    currency: CurrencyOption = None,
    target_days: Annotated[int, typer.Option(min=1, help="Disputes open longer than this are over target.")] = 30,
    over_target_only: Annotated[bool, typer.Option("--over-target-only", help="List only those over target.")]
    = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx with every dispute listed.")]
    = None,
) -> None:
    """The open disputed invoices (left out of reminders), longest in dispute first."""
    xlsx = _check_out(out_file) if out_file else False
    engine = _open(db_url)
    day, cur = _as_of(as_of, engine), _currency(currency, engine)
    rates = fx.applied(fx.load(engine), cur)
    table = disputes.open_disputes(engine, day, currency=cur, rates=rates)
    s = disputes.summary(table, target_days=target_days)
    typical, settled = disputes.resolution_days(engine, day, currency=cur)
    unit = cur or rates.reporting  # the totals' currency (none: several at face value, not printed)
    amount = f" ({s.amount:,.2f} {unit})" if unit else ""
    out.print(f"{counted(s.count, 'open dispute')}{amount} as of {day.isoformat()}; over {target_days} days: "
              f"{s.over_target:,}" + (f" ({s.over_target_amount:,.2f} {unit})" if unit else ""), highlight=False)
    unmarked = disputes.unmarked(engine, day, currency=cur)
    if len(unmarked):
        out.print(f"{counted(len(unmarked), 'more open invoice has', 'more open invoices have')} a dispute contact in "
                  "the log but no dispute flag in the invoices file: see arboard mark-disputed.", highlight=False)
    if settled:
        out.print(f"Disputes settled in the 12 months before took a median of {typical:.0f} days "
                  f"({counted(settled, 'invoice')}).", highlight=False)
    reasons = disputes.by_reason(table, disputes.resolution(engine, day, currency=cur, by_reason=True))
    if not out_file and disputes.reasons_known(reasons):
        days = lambda v: "" if pd.isna(v) else f"{v:.0f}"  # noqa: E731
        out.print(_figures_table("By reason", reasons, {
            "reason": ("Reason", str), "count": ("Open", "{:,}".format),
            "amount": (f"Amount{f' ({unit})' if unit else ''}", "{:,.2f}".format),
            "median_days_open": ("Median days", days), "settled": ("Settled, 12 months", "{:,}".format),
            "median_days_to_settle": ("Days to settle", days)}))
    table = disputes.worklist(table, target_days=target_days, over_target_only=over_target_only)
    if out_file:
        export = table.rename(columns=disputes.LABELS)
        _write(out_file, exports.to_xlsx_bytes(export, sheet="Disputes", money_columns=disputes.MONEY)
               if xlsx else exports.to_csv_bytes(export))
        out.print(f"{counted(len(table), 'dispute')} written to {out_file}")
    elif len(table):
        t = Table(title="Longest in dispute" + (f" (first 15 of {len(table):,}; --out lists all)"
                                                if len(table) > 15 else ""))
        cols = {"days_open": "Days", "invoice_id": "Invoice", "customer_id": "Debtor ID", "name": "Debtor",
                "open_amount": "Open", "due_date": "Due"}
        for col, label in cols.items():
            t.add_column(label, justify="right" if col in ("open_amount", "days_open") else "left",
                         no_wrap=col != "name")
        for row in table.head(15).itertuples(index=False):
            t.add_row(str(row.days_open), Text(str(row.invoice_id)), Text(str(row.customer_id)), Text(str(row.name)),
                      f"{row.open_amount:,.2f}", f"{row.due_date:%Y-%m-%d}")
        out.print(t)


@app.command("unapplied")
def unapplied_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    tolerance: Annotated[float | None, typer.Option(min=0, max=10, help="Percent of an invoice a payment may be "
                                                    "short or over by and still match it (bank charges; default: "
                                                    "the saved rules', at first 1).")] = None,
    discount: Annotated[list[float] | None, typer.Option("--discount", help="A cash discount in percent to try "
                                                         "(repeatable; default: the saved rules', at first 2 and "
                                                         "3).")] = None,
    no_discounts: Annotated[bool, typer.Option("--no-discounts", help="Try no cash discount.")] = False,
    save: Annotated[bool, typer.Option("--save", help="Save these rules for every page, the plan, the forecast and "
                                       "the other commands (decisions are made on their proposals).")] = False,
    lines: Annotated[bool, typer.Option("--lines", help="With --out FILE.csv: the clearing lines (one per item to "
                                        "clear) instead of one row per payment.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx (both sheets: the proposals "
                                                  "and the clearing lines to key into the ERP).")] = None,
    collector: Annotated[list[str] | None, typer.Option("--collector", help="Only the payments of the debtors this "
                                                        f"collector works (repeatable; '{collectors.NO_COLLECTOR}': "
                                                        "nobody's).")] = None,
) -> None:
    """Payments on account and the open items they most likely pay: proposals for cash application."""
    xlsx = _check_out(out_file) if out_file else False
    if discount and no_discounts:
        _fail(ArboardError("Give --discount or --no-discounts, not both."), 2)
    engine = _open(db_url)
    saved = unapplied.saved_settings(engine)
    try:
        rules = unapplied.MatchSettings(tolerance=saved.tolerance if tolerance is None else tolerance,
                                        discounts=() if no_discounts else tuple(discount) if discount
                                        else saved.discounts)
    except ArboardError as exc:
        _fail(exc, 2)
    day = _as_of(as_of, engine)  # a bad date fails before anything is saved
    if save:
        unapplied.save_settings(engine, rules)
        out.print(f"Saved the match rules for every page and command: {unapplied.settings_words(rules)}.",
                  highlight=False)
    elif rules != saved:
        out.print(f"Not the saved rules ({unapplied.settings_words(saved)}): the pages, the plan and the forecast "
                  "match with those; --save makes these the rules.", highlight=False)
    rates = fx.load(engine)
    cash = unapplied.match_payments(engine, day, settings=rules, rates=rates).worked_by(collector or ())
    table, clearing, s = cash.proposals, cash.lines, unapplied.summary(cash, rates=rates)
    unit = rates.unit(table["currency"].dropna())
    amount = (lambda v: f" ({v:,.2f} {unit})") if unit else (lambda v: "")
    whose = f" for the debtors of {', '.join(collector)}" if collector else ""
    if not s.count:
        out.print(f"No payment on account as of {day.isoformat()}{whose}: every payment is applied to an invoice.",
                  highlight=False)
    else:
        out.print(f"{counted(s.count, 'payment')} on account{amount(s.amount)} as of {day.isoformat()}{whose}, the "
                  f"oldest {counted(s.oldest_days, 'day')} on account. {s.matched:,} match open items"
                  f"{amount(s.matched_amount)}, {s.sure:,} of them with high confidence.", highlight=False)
        if s.confirmed or s.rejected or s.outdated:
            out.print(f"Decided: {s.confirmed:,} confirmed, {s.rejected:,} rejected"
                      + (f", {s.outdated:,} to decide again (the proposal changed)" if s.outdated else "")
                      + " (arboard cash-decision"
                      + ("; take-back --outdated forgets those to decide again" if s.outdated else "") + ").",
                      highlight=False)
        if s.matched:
            cleared = f"{s.overdue_cleared:,.2f} {unit} of" if unit else "part of"
            out.print(f"Applied, they clear {cleared} the overdue balance; "
                      f"{counted(s.debtors_cleared, 'debtor has', 'debtors have')} nothing overdue left.",
                      highlight=False)
        if not out_file:
            counts = table.groupby("match", sort=False).agg(count=("payment_id", "size"),
                                                            confidence=("confidence", "first"))
            out.print(_figures_table("By match", counts.reset_index(), {
                "match": ("Match", str), "confidence": ("Confidence", str), "count": ("Payments", "{:,}".format)}))
    if out_file:
        sheets = unapplied.labelled(cash)
        if xlsx:
            data = exports.to_xlsx_sheets(sheets, money_columns=unapplied.MONEY + unapplied.LINE_MONEY)
        else:
            data = exports.to_csv_bytes(sheets["Clearing lines" if lines else "Proposals"])
        _write(out_file, data)
        what = counted(len(clearing), "clearing line") if lines and not xlsx else counted(len(table), "payment")
        out.print(f"{what} written to {out_file}")
    elif len(table):
        shown = table[table["invoice_count"] > 0].head(15)
        t = Table(title="Surest first" + (f" (first 15 of {s.matched:,}; --out lists all)" if s.matched > 15 else ""),
                  box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
        for label in ("Payment", "Debtor", "Amount", "Match", "Items to clear"):
            t.add_column(label, justify="right" if label == "Amount" else "left", overflow="fold",
                         no_wrap=label in ("Payment", "Amount"))
        for row in shown.itertuples(index=False):
            t.add_row(Text(str(row.payment_id)), Text(str(row.name)), f"{row.amount:,.2f} {row.currency or ''}",
                      row.match, Text(row.invoices))
        if len(shown):
            out.print(t)


CASH_DECISIONS = {"confirm": "confirmed", "reject": "rejected", "take-back": None}


@app.command("cash-decision")
def cash_decision_cmd(
    decision: Annotated[str, typer.Argument(help="confirm (the payment pays the items proposed), reject (it does "
                                            "not), or take-back (forget the decision).")],
    payments: Annotated[list[str] | None, typer.Argument(help="The payments on account decided on.")] = None,
    outdated: Annotated[bool, typer.Option("--outdated", help="With take-back: every decision whose proposal "
                                                               "has changed since (Outdated), no payment named.")]
    = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD of the proposals (default: the latest "
                                              "date in the data).")] = None,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD of the decision (default: today).")] = None,
    by: Annotated[str | None, typer.Option(help="Who in the team decided.")] = None,
    note: Annotated[str | None, typer.Option(help="Why (a remittance advice, the debtor's word).")] = None,
    db_url: DbOption = None,
) -> None:
    """Confirm or reject what payments on account most likely pay (the proposals of `arboard unapplied`, saved
    rules): confirmed ones count as applied everywhere, rejected ones nowhere (see arboard.cashdecisions)."""
    if decision not in CASH_DECISIONS:
        _fail(ArboardError(f"Decide {decision!r}? Choose confirm, reject or take-back."), 2)
    kind = CASH_DECISIONS[decision]
    if outdated and (kind is not None or payments):
        _fail(ArboardError("--outdated goes with take-back and no payment: it takes back every outdated decision."),
              2)
    if not payments and not outdated:
        _fail(ArboardError("Name the payments whose decision to take back, or take back every outdated one with "
                           "--outdated." if kind is None else f"Name the payments to {decision}."), 2)
    engine = _open(db_url)
    try:
        if outdated:
            day = _as_of(as_of, engine)
            ids = cashdecisions.take_back_outdated(engine, unapplied.match_payments(engine, day).proposals)
            out.print(f"{counted(len(ids), 'outdated decision')} taken back ({first_few(ids)}): the proposals count "
                      "by their confidence again." if ids else
                      f"No decision is outdated as of {day.isoformat()}: nothing taken back.", highlight=False)
            return
        if kind is None:
            n = cashdecisions.remove(engine, payments)
            out.print(f"{counted(n, 'decision')} taken back: the proposals count by their confidence again.",
                      highlight=False)
            return
        today = date.today()
        cash = unapplied.match_payments(engine, _as_of(as_of, engine))
        n = cashdecisions.record(engine, cash.proposals, payments, kind, decided_on=_date_option(on, "--on") or today,
                                 today=today, by=by, note=note)
    except ArboardError as exc:
        _fail(exc)
    items = cash.proposals.set_index("payment_id")["invoices"]
    out.print(f"{counted(n, 'proposal')} {kind}: " + "; ".join(f"{p} ({items[p]})" for p in dict.fromkeys(payments))
              + (". Every page counts them as applied." if kind == "confirmed" else ". No page counts them."),
              highlight=False)


@app.command("export")
def export_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.xlsx")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    group: Annotated[str | None, typer.Option(help="Only this segment: " + ", ".join(segments.SUBGROUPS) + ", or "
                                              "no_information.")] = None,
    min_overdue: Annotated[float, typer.Option(help="Only debtors with at least this much overdue.")] = 0.0,
    collector: Annotated[str | None, typer.Option(help="Only the debtors this collector works "
                                                       f"('{collectors.NO_COLLECTOR}': nobody's).")] = None,
    promise: Annotated[str | None, typer.Option(help="Only debtors with a promise to pay that is 'broken' (lately, "
                                                "nobody spoke with them since), 'spoken' (broken, followed up) or "
                                                "'running'.")] = None,
    over_limit: Annotated[bool, typer.Option("--over-limit", help="Only debtors whose open balance is at or over "
                                                                 "their credit limit.")] = False,
    currency: CurrencyOption = None,
    sheet_per_group: Annotated[bool, typer.Option("--sheet-per-group", help="Excel: one sheet per segment.")]
    = False,
    db_url: DbOption = None,
) -> None:
    """Export the debtor list (balances, aging, segment, behaviour, the overdue cash on account most likely
    pays) as CSV or formatted Excel."""
    xlsx = _check_out(out_file)
    known = {*segments.SUBGROUPS, "no_information"}
    if group and group not in known:
        _fail(ArboardError(f"Unknown group {group!r}; use one of {', '.join(sorted(known))}."), 2)
    if promise and promise not in explorer.PROMISE_STATES:
        *first, last = explorer.PROMISE_STATES
        _fail(ArboardError(f"--promise takes {', '.join(first)} or {last}, not {promise!r}."), 2)
    engine = _open(db_url)
    day = _as_of(as_of, engine)
    table = explorer.debtor_table(engine, day, currency=_currency(currency, engine), rates=fx.load(engine),
                                  cash=unapplied.match_payments(engine, day))
    table = explorer.filter_debtors(table, explorer.Filters(groups=(group,) if group else (),
                                                            promise=(promise,) if promise else (),
                                                            collectors=(collector,) if collector else (),
                                                            min_utilisation=1.0 if over_limit else None))
    table = table[table["overdue"] >= min_overdue]
    _write(out_file, explorer.to_xlsx(table, sheet_per_group=sheet_per_group) if xlsx
           else exports.to_csv_bytes(table))
    out.print(f"{counted(len(table), 'debtor')} written to {out_file}")


@app.command("activity")
def activity_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="FILE.xlsx (five sheets) or FILE.csv (the contacts; "
                                                         "the dispute decisions go to FILE-disputes.csv, the holds "
                                                         "on reminders to FILE-holds.csv, the interest claims sent "
                                                         "to FILE-interest.csv, the decisions on cash on account to "
                                                         "FILE-cash.csv)")],
    since: Annotated[str | None, typer.Option(help="First day entered, YYYY-MM-DD (default: 6 days before "
                                                   "--until).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day entered, YYYY-MM-DD (default: today, UTC).")] = None,
    db_url: DbOption = None,
) -> None:
    """Export what the team entered in arboard on these days (contacts logged, promises, payment plans,
    disputes raised, resolved or marked, reminders put on hold or resumed, interest claims recorded as
    sent, what payments on account pay confirmed or rejected), to take back to the ERP or CRM. The
    contacts' columns are those arboard's own contacts import recognises."""
    xlsx = _check_out(out_file)
    last = _date_option(until, "--until") or activity.today()
    first = _date_option(since, "--since") or last - timedelta(days=6)
    engine = _open(db_url)
    try:
        contacts = activity.contacts_logged(engine, since=first, until=last)
        decisions = activity.dispute_decisions(engine, since=first, until=last)
        held = activity.holds(engine, since=first, until=last)
        claimed = activity.interest_claims(engine, since=first, until=last)
        applied = activity.cash_decided(engine, since=first, until=last)
    except ArboardError as exc:
        _fail(exc, 2)
    _write(out_file, activity.to_xlsx(contacts, decisions, held, claimed, applied) if xlsx
           else exports.to_csv_bytes(contacts))
    written = [str(out_file)]
    for suffix, table in (("-disputes", decisions), ("-holds", held), ("-interest", claimed), ("-cash", applied)):
        if not xlsx and len(table):
            other = out_file.with_name(out_file.stem + suffix + ".csv")
            _write(other, exports.to_csv_bytes(table))
            written.append(str(other))
    out.print(f"Entered {first.isoformat()} to {last.isoformat()}: {counted(len(contacts), 'contact')} logged, "
              f"{counted(len(decisions), 'dispute decision')}, {counted(len(held), 'hold')} on reminders put or "
              f"lifted, {counted(len(claimed), 'interest claim')} sent, "
              f"{counted(len(applied), 'payment on account', 'payments on account')} decided; written to "
              f"{' and '.join(written)}",
              highlight=False)


@app.command("collectors")
def collectors_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    currency: CurrencyOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx instead of the table.")]
    = None,
    db_url: DbOption = None,
) -> None:
    """The team: each collector's portfolio (debtors with a balance, open, overdue, over 90 days, broken
    promises) and what each did in the last 30 days (contacts, calls, debtors reached, invoices promised);
    --out writes both side by side, with the overdue share."""
    xlsx = _check_out(out_file) if out_file else False
    engine = _open(db_url)
    cur, day = _currency(currency, engine), _as_of(as_of, engine)
    table = explorer.debtor_table(engine, day, currency=cur, rates=fx.load(engine))
    result = collectors.team(table, collectors.activity(engine, day))
    if out_file:
        _write(out_file, exports.to_xlsx_bytes(result, sheet="Team", money_columns=("total", "overdue", "over_90"))
               if xlsx else exports.to_csv_bytes(result))
        out.print(f"{counted(len(result), 'collector')} written to {out_file}")
        return
    unit = cur or fx.applied(fx.load(engine), cur).amounts_in(c for c, _ in openitems.currencies(engine))
    count, money = "{:,}".format, "{:,.2f}".format
    out.print(_figures_table(f"Portfolios as of {day} ({unit})", result, {
        "collector": ("Collector", str), "debtors": ("Debtors", count), "total": ("Open", money),
        "overdue": ("Overdue", money), "over_90": ("Over 90 days", money),
        "broken_promises": ("Broken promises", count)}))
    out.print(_figures_table(f"The 30 days to {day}", result[result["collector"] != collectors.NO_COLLECTOR], {
        "collector": ("Collector", str), "contacts": ("Contacts", count), "calls": ("Calls", count),
        "debtors_reached": ("Debtors reached", count), "invoices_promised": ("Invoices promised", count)}))


def _figures_table(title: str | None, frame: pd.DataFrame, columns: dict) -> Table:
    """A table of names and figures: the first column (names) wraps, figures are never cut short.

    ``columns``: column → (label, format function).
    """
    t = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))  # fits 80 characters
    cells = [[fmt(v) for v in frame[col]] for col, (_label, fmt) in columns.items()]
    for k, ((label, _fmt), texts) in enumerate(zip(columns.values(), cells, strict=True)):
        if k == 0:
            t.add_column(label, justify="left", overflow="fold", min_width=min(10, max(map(len, texts), default=1)))
        else:
            t.add_column(label, justify="right", overflow="fold", min_width=max(map(len, texts), default=1))
    for row in zip(*cells, strict=True):
        t.add_row(Text(row[0]), *row[1:])  # Text: names from files are never read as markup
    return t


@app.command("assign")
def assign_cmd(
    customer_ids: Annotated[list[str] | None, typer.Argument(help="Debtors (customer ids) to assign.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="The collector who works them from now on.")] = None,
    nobody: Annotated[bool, typer.Option("--nobody", help="Nobody works them from now on.")] = False,
    share_among: Annotated[str | None, typer.Option(help="Instead of ids: share the debtors with an open balance "
                                                   "that nobody works among these collectors, comma-separated, "
                                                   "evening out their loads.")] = None,
    by: Annotated[str, typer.Option(help="With --share-among: even out the overdue balance, the open balance "
                                         "(total) or the number of debtors.")] = "overdue",
    reshare: Annotated[bool, typer.Option("--reshare", help="With --share-among: share these collectors' own "
                                                            "debtors out afresh too.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="With --share-among: the date of the balances "
                                                              "(default: the latest date in the data).")] = None,
    db_url: DbOption = None,
) -> None:
    """Set who works which debtor (a customers file with a collector column does the same on import)."""
    ids = list(customer_ids or [])
    if share_among is None and (bool(to) == nobody or not ids):
        _fail(ArboardError("Name the debtors and one of --to NAME or --nobody; or use --share-among NAMES."), 2)
    if share_among is not None and (ids or to or nobody):
        _fail(ArboardError("--share-among picks the debtors itself: give no ids, --to or --nobody with it."), 2)
    if by not in collectors.SHARE_BY:
        _fail(ArboardError(f"--by is one of {', '.join(collectors.SHARE_BY)}, not {by!r}."), 2)
    engine = _open(db_url)
    try:
        if share_among is None:
            changed = collectors.assign(engine, ids, collector=None if nobody else to)
            out.print(f"{changed:,} of {counted(len(set(ids)), 'debtor')} assigned to {to or 'nobody'}.")
            return
        team = [collectors.check_name(n) for n in share_among.split(",") if n.strip()]
        table = explorer.debtor_table(engine, _as_of(as_of, engine), rates=fx.load(engine))
        mine = table[table["collector"].isna() | table["collector"].isin(team)]
        plan = collectors.share(mine, team, by=by, only_unassigned=not reshare, loads_from=table)
        changed = collectors.assign(engine, plan)
    except ArboardError as exc:
        _fail(exc)
    out.print(f"{counted(changed, 'debtor')} assigned; each collector's portfolio now:")
    count, money = "{:,}".format, "{:,.2f}".format
    out.print(_figures_table(None, collectors.preview(table, plan), {
        "collector": ("Collector", str), "debtors_before": ("Debtors before", count),
        "debtors_after": ("Debtors after", count), "overdue_before": ("Overdue before", money),
        "overdue_after": ("Overdue after", money)}))


@app.command("forecast")
def forecast_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    currency: CurrencyOption = None,
    backtest: Annotated[bool, typer.Option("--backtest", help="Set the forecast against what actually came in "
                                           "(needs 13 weeks of data after --as-of; by default it is 13 "
                                           "weeks before the data ends).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="json or csv (one row per week).")] = "json",
) -> None:
    """The 13-week cash forecast: expected receipts per week, or a backtest with its error."""
    engine = _open(db_url)
    if fmt not in ("json", "csv"):
        _fail(ArboardError("--format must be json or csv."), 2)
    day, cur = _as_of(as_of, engine), _currency(currency, engine)
    rates = fx.applied(fx.load(engine), cur)
    if backtest:
        # What came in is known up to the end of the data: the forecast is made that many weeks before.
        latest = (day if as_of is None else _as_of(None, engine)) - timedelta(weeks=forecast.WEEKS)
        if as_of is None:
            day = latest
        elif day > latest:
            _fail(ArboardError(f"A backtest needs {forecast.WEEKS} weeks of data after --as-of, and the data ends "
                               f"on {latest + timedelta(weeks=forecast.WEEKS)}: use --as-of {latest} or earlier."), 2)
        bt = forecast.backtest(engine, day, currency=cur, rates=rates)
        table, head = bt.table, {"mae_per_week": bt.mae_per_week, "total_expected": bt.total_expected,
                                 "total_actual": bt.total_actual, "doubtful_cleared": bt.doubtful_cleared}
    else:
        paid = unapplied.match_payments(engine, day).paid()  # the cash is in already
        expected = forecast.expected_payments(engine, day, currency=cur, rates=rates, paid=paid)
        table, head = forecast.weekly(expected, day), forecast.outlook(expected, day)
        _history_note(engine, "the debtors' usual delays (every invoice is expected on its due date)")
    if fmt == "csv":
        sys.stdout.write(exports.to_csv_bytes(table).decode("utf-8-sig"))
        return
    result = {"as_of": day.isoformat(), "currency": cur or rates.reporting, "all_currencies": cur is None,
              **{k: kpis.json_value(v) for k, v in head.items()}, "weeks": _records(table)}
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


def _records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON rows, rounded as ``report`` rounds (cents, hundredths) and dates as YYYY-MM-DD."""
    return [{k: v.strftime("%Y-%m-%d") if isinstance(v, date) else kpis.json_value(v) for k, v in row.items()}
            for row in frame.to_dict("records")]


@app.command("whatif")
def whatif_cmd(
    scenario: Annotated[str | None, typer.Argument(help="A saved scenario (omit to list them).")] = None,
    compare_with: Annotated[str | None, typer.Option("--compare", help="A second saved scenario to set beside it.")]
    = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    currency: CurrencyOption = None,
    window: Annotated[int, typer.Option(min=1, help="DSO window in days.")] = 90,
    config: Annotated[str | None, typer.Option(help="The saved segment configuration of the baseline.")] = None,
) -> None:
    """Project a saved what-if scenario: DSO, best possible DSO, days delinquent and cash released (JSON)."""
    engine = _open(db_url)
    if not scenario:
        for name in scenarios.scenario_names(engine):
            desc = "; ".join(scenarios.load_scenario(engine, name).describe()) if name != scenarios.BASELINE else ""
            out.print(f"{name}" + (f": {desc}" if desc else ""))
        return
    chosen = [_scenario(engine, scenario) or scenarios.Scenario()]
    if compare_with:
        chosen.append(_scenario(engine, compare_with) or scenarios.Scenario())
    day = _as_of(as_of, engine)
    sim = scenarios.Simulator(engine, day, base_config=_config(engine, config),
                              settings=KpiSettings(window_days=window), currency=_currency(currency, engine),
                              rates=fx.load(engine), paid=unapplied.match_payments(engine, day).paid())
    projections = [sim.project(s) for s in chosen]
    result = {"as_of": sim.as_of.isoformat(), "currency": sim.currency or sim.rates.reporting,
              "all_currencies": sim.currency is None, "window_days": window,
              "paid_on_account": round(projections[0].paid_on_account, 2), "paid_items": projections[0].paid_items,
              "scenarios": [{"name": p.scenario.name, "levers": p.scenario.describe(),
                             "cash_released": round(p.cash_released, 2), "metrics": _records(p.metrics),
                             "groups": _records(p.groups)} for p in projections]}
    if len(projections) == 2:
        result["comparison"] = _records(scenarios.compare(*projections))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


@app.command("summary")
def summary_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="FILE.pdf")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
    = None,
    db_url: DbOption = None,
    currency: CurrencyOption = None,
    window: Annotated[int, typer.Option(min=1, help="DSO window in days.")] = 90,
    config: Annotated[str | None, typer.Option(help="A saved segment configuration.")] = None,
    scenario: Annotated[str | None, typer.Option(help="A saved what-if scenario to add to the page.")] = None,
) -> None:
    """Write the one-page PDF summary for a meeting (KPIs, trend, aging, groups, forecast, what-if)."""
    if out_file.suffix.lower() != ".pdf":
        _fail(ArboardError("--out must end in .pdf."), 2)
    engine = _open(db_url)
    try:
        data = briefing.build(engine, _as_of(as_of, engine), currency=_currency(currency, engine),
                              window_days=window, config=_config(engine, config), config_name=config,
                              scenario=_scenario(engine, scenario))
    except ArboardError as exc:
        _fail(exc)
    _write(out_file, data)
    out.print(f"One-page summary written to {out_file}")


@app.command("refresh")
def refresh_cmd(db_url: DbOption = None) -> None:
    """Rebuild derived data (balance events) after tables were written by another tool."""
    engine = _open(db_url)
    events.refresh(engine)
    out.print(f"Rebuilt the balance events of {db.redact(engine.url)}.")


@app.command("remove-sample")
def remove_sample_cmd(db_url: DbOption = None) -> None:
    """Remove the sample ledger (the one a first start creates), so that your own files load on a clean
    slate. Settings stay: playbooks, thresholds, scenarios, the sender, saved column mappings."""
    engine = _open(db_url)
    try:
        removed = generate.remove_sample(engine)
    except ArboardError as exc:
        _fail(exc)
    out.print("Removed the sample ledger: " + ", ".join(counted(n, name.rstrip("s")) for name, n in removed.items())
              + ".", highlight=False)


@app.command("info")
def info_cmd(db_url: DbOption = None) -> None:
    """Say which database is in use and how many rows each table holds."""
    url, origin = db.resolve_url(db_url)
    engine = _open(db_url)
    out.print(f"Database: {db.redact(url)} (from {origin}), data version {db.data_version(engine)}")
    for name, n in db.row_counts(engine).items():
        out.print(f"  {name}: {n:,}")
    worked = summary.worked_out(engine)
    if worked["paid_dates"]:
        out.print(f"  {counted(worked['paid_dates'], 'paid date')} worked out from the payments (the invoice files "
                  "gave none)")
    if worked["open_items_settled"]:
        out.print(f"  {counted(worked['open_items_settled'], 'invoice')} settled on the date of an open-items report "
                  "they were missing from")
    if worked["open_amount_payments"]:
        out.print(f"  {counted(worked['open_amount_payments'], 'payment')} recorded from the open amounts of "
                  "invoices files")
    with engine.connect() as conn:
        last = summary.last_report_date(conn)
    if last:
        out.print(f"  last report of open items or open amounts: {last.isoformat()} (the next one is dated on or "
                  "after it)")


@app.command("rates")
def rates_cmd(
    reporting: Annotated[str | None, typer.Option(help="Reporting currency, e.g. EUR; 'none' adds currencies up "
                                                       "at face value again.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="A rate as CUR=VALUE: one unit of CUR in the "
                                                                "reporting currency, e.g. --set SEK=0.087. "
                                                                "Repeat for each currency.")] = None,
    db_url: DbOption = None,
) -> None:
    """Show or set the reporting currency and exchange rates that add up a debtor's currencies."""
    engine = _open(db_url)
    current = fx.load(engine)
    if reporting is not None or set_:
        chosen = current.reporting if reporting is None else (None if reporting.strip().lower() == "none"
                                                               else reporting)
        if set_ and not chosen:
            _fail(ArboardError("Rates need a reporting currency: add --reporting EUR (or another code)."), 2)
        new_rates: dict[str, object] = dict(current.carried_to(chosen))
        for item in set_ or []:
            code, sep, value = item.partition("=")
            if not sep:
                _fail(ArboardError(f"--set takes CUR=VALUE, e.g. SEK=0.087, not {item!r}."), 2)
            new_rates[code.strip().upper()] = value
        try:
            current = fx.save(engine, chosen, new_rates)
        except ArboardError as exc:
            _fail(exc, 2)
    if not current.active:
        out.print("No reporting currency: amounts that add up currencies are at face value.")
        return
    out.print(f"Reporting currency: {current.reporting}")
    missing = current.missing(c for c, _ in openitems.currencies(engine))
    for code in sorted({*current.per_unit, *missing}):
        rate = current.per_unit.get(code)
        out.print(f"  1 {code} = {rate:.6g} {current.reporting}" if rate is not None
                  else f"  {code}: no rate (counts at face value)", highlight=False, markup=False)


hold_app = typer.Typer(help="Keep debtors or single invoices out of the outreach plan for a while.",
                       no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(hold_app, name="hold")


@hold_app.command("add")
def hold_add_cmd(
    customer_id: Annotated[str, typer.Argument(help="The debtor's customer number.")],
    invoice: Annotated[str | None, typer.Option(help="Only this invoice of the debtor.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day without contacts, YYYY-MM-DD (default: until "
                                                    "lifted).")] = None,
    reason: Annotated[str, typer.Option(help="Why, for the team.")] = "",
    db_url: DbOption = None,
) -> None:
    """Put a debtor, or one of its invoices, on hold."""
    end = _date_option(until, "--until")
    engine = _open(db_url)
    try:
        hold_id = holds.add(engine, customer_id, invoice_id=invoice, until=end, reason=reason, today=date.today())
    except ArboardError as exc:
        _fail(exc, 2)
    out.print(f"On hold{' until ' + end.isoformat() if end else ' until lifted'}: {invoice or customer_id} "
              f"(hold {hold_id})", highlight=False, markup=False)


@hold_app.command("list")
def hold_list_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today).")] = None,
    db_url: DbOption = None,
) -> None:
    """List the holds that still keep contacts out."""
    engine = _open(db_url)
    day = date.today() if as_of is None else _as_of(as_of, engine)
    current = holds.active(engine, day)
    if current.empty:
        out.print("No debtor or invoice is on hold.")
        return
    for h in current.itertuples():
        out.print(f"{h.hold_id}  {h.customer_id}  {h.invoice_id or 'every invoice'}  "
                  f"until {h.until.isoformat() if h.until else 'lifted'}  {h.reason or ''}".rstrip(),
                  markup=False, highlight=False)


@hold_app.command("lift")
def hold_lift_cmd(hold_id: Annotated[str, typer.Argument(help="The hold's id (see arboard hold list).")],
                  db_url: DbOption = None) -> None:
    """Lift a hold: its contacts are planned again."""
    engine = _open(db_url)
    try:
        holds.lift(engine, hold_id)
    except ArboardError as exc:
        _fail(exc, 2)
    out.print(f"Hold {hold_id} lifted.")


credit_app = typer.Typer(help="Credit holds: whom to block from further sales on credit, and the register of "
                         "holds placed and released.", no_args_is_help=True,
                         rich_markup_mode="markdown")
app.add_typer(credit_app, name="credit-hold")

AsOfOption = Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the latest date in the data).")]
LimitOption = Annotated[float, typer.Option("--limit-use", help="Hold a debtor whose open balance is over this "
                                            "percentage of its credit limit; 0 leaves the limit out.")]
StepsOption = Annotated[bool, typer.Option("--steps/--no-steps", help="Hold a debtor an item of which reached a "
                                           "playbook step with the credit-hold action.")]
ListedOption = Annotated[bool, typer.Option("--all-listed", help="Instead of ids: every debtor the list gives this "
                                            "status (with --as-of, --limit-use, --steps and --config as for list).")]
OnOption = Annotated[str | None, typer.Option(help="The day it was done in the ERP, YYYY-MM-DD (default: today).")]
ByOption = Annotated[str | None, typer.Option(help="Who did it.")]
ConfigOption = Annotated[str | None, typer.Option("--config", help="A saved segment configuration (default: the "
                                                  "default thresholds).")]


def _hold_list(engine, as_of: str | None, limit_use: float, steps: bool, config: str | None):
    """(as-of date, the credit-hold list) under the options given, or exit 2 saying what is wrong."""
    day = _as_of(as_of, engine)
    try:
        rules = creditholds.HoldRules.of(steps, limit_use)
    except ArboardError as exc:
        _fail(exc, 2)
    return day, creditholds.build(engine, day, rules=rules, config=_config(engine, config))


@credit_app.command("list")
def credit_list_cmd(
    as_of: AsOfOption = None,
    limit_use: LimitOption = 100.0,
    steps: StepsOption = True,
    status: Annotated[str | None, typer.Option(help="Only 'place' (to place on hold), 'release' (can be "
                                               "released), 'on_hold' or 'exempt'.")] = None,
    config: ConfigOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="FILE.csv or FILE.xlsx instead of the table "
                                                  "(for the ERP's order block).")] = None,
    db_url: DbOption = None,
) -> None:
    """Who to place on credit hold, who can be released and who stays on hold, as of a date."""
    if status and status not in creditholds.STATUSES:
        _fail(ArboardError(f"--status is one of {', '.join(creditholds.STATUSES)}, not {status!r}."), 2)
    xlsx = _check_out(out_file) if out_file else False
    engine = _open(db_url)
    day, table = _hold_list(engine, as_of, limit_use, steps, config)
    if status:
        table = table[table["status"] == status]
    if out_file:
        export = creditholds.for_export(table, group_labels=segments.SUBGROUP_LABELS)
        _write(out_file, exports.to_xlsx_bytes(export, sheet="Credit holds", money_columns=creditholds.MONEY)
               if xlsx else exports.to_csv_bytes(export))
        out.print(f"{counted(len(table), 'debtor')} written to {out_file}")
        return
    s = creditholds.summary(table)
    out.print(f"As of {day}: {s.counts['place']:,} to place on hold, {s.counts['release']:,} can be released, "
              f"{s.counts['on_hold']:,} on hold, {s.counts['exempt']:,} exempt.", highlight=False)
    for key, label in creditholds.STATUSES.items():
        part = table[table["status"] == key]
        if part.empty:
            continue
        out.print(_figures_table(f"{label} ({len(part):,})", part.head(50), {
            "customer_id": ("Debtor", str), "overdue_ar": ("Overdue", "{:,.2f}".format),
            "utilisation": ("Limit used", lambda v: "" if pd.isna(v) else f"{v:.0%}"),
            "reached_on": ("Hold step reached", lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}"),
            "placed_on": ("On hold since", lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}")}))
        if len(part) > 50:
            out.print(f"… and {len(part) - 50:,} more (--out writes them all).")


def _hold_targets(engine, ids: list[str], listed: bool, status: str, options: tuple) -> dict[str, str | None]:
    """The debtors named, or those the list gives this status: id → the rules it meets."""
    if bool(ids) == listed:
        _fail(ArboardError(f"Name the debtors, or use --all-listed for every debtor listed as "
                           f"“{creditholds.STATUSES[status].lower()}”."), 2)
    if ids:
        return dict.fromkeys(ids)
    _day, table = _hold_list(engine, *options)
    mine = table[table["status"] == status]
    return dict(zip(mine["customer_id"], mine["why"], strict=True))


_RECORDED = {"place": ("placed on hold", "already were"), "release": ("released", "were not on hold")}


def _record_holds(status: str, customer_ids: list[str] | None, listed: bool, on: str | None, options: tuple,
                  db_url: str | None, write) -> None:
    """Write to the register for the debtors named or listed with ``status``: ``write(engine, ids, day)``
    returns how many it recorded."""
    day = _date_option(on, "--on") or date.today()
    engine = _open(db_url)
    ids = _hold_targets(engine, list(customer_ids or []), listed, status, options)
    done_words, skipped = _RECORDED[status]
    if not ids:
        out.print(f"Nobody is to be {done_words}.")
        return
    try:
        done = write(engine, ids, day)
    except ArboardError as exc:
        _fail(exc, 2)
    out.print(f"{done:,} of {counted(len(ids), 'debtor')} recorded as {done_words} on {day}"
              + (f"; {len(ids) - done:,} {skipped}." if done < len(ids) else "."), highlight=False)


@credit_app.command("place")
def credit_place_cmd(
    customer_ids: Annotated[list[str] | None, typer.Argument(help="Debtors (customer ids) placed on hold.")] = None,
    all_listed: ListedOption = False,
    on: OnOption = None,
    reason: Annotated[str, typer.Option(help="Why, for the register (default with --all-listed: the rules each "
                                        "debtor meets).")] = "",
    by: ByOption = None,
    by_hand: Annotated[bool, typer.Option("--by-hand", help="Held by decision, not on a rule (needs --reason): "
                                          "stays on hold until released, rather than being listed for release "
                                          "once no rule applies.")] = False,
    as_of: AsOfOption = None,
    limit_use: LimitOption = 100.0,
    steps: StepsOption = True,
    config: ConfigOption = None,
    db_url: DbOption = None,
) -> None:
    """Record that debtors were placed on credit hold (those already on hold are left as they are)."""
    _record_holds("place", customer_ids, all_listed, on, (as_of, limit_use, steps, config), db_url,
                  lambda engine, ids, day: creditholds.place(engine, ids, on=day, today=date.today(),
                                                             reason=reason or None, by=by,
                                                             reasons={c: w for c, w in ids.items() if w},
                                                             by_hand=list(ids) if by_hand else ()))


@credit_app.command("release")
def credit_release_cmd(
    customer_ids: Annotated[list[str] | None, typer.Argument(help="Debtors (customer ids) released.")] = None,
    all_listed: ListedOption = False,
    on: OnOption = None,
    by: ByOption = None,
    as_of: AsOfOption = None,
    limit_use: LimitOption = 100.0,
    steps: StepsOption = True,
    config: ConfigOption = None,
    db_url: DbOption = None,
) -> None:
    """Record that debtors' credit holds were released."""
    _record_holds("release", customer_ids, all_listed, on, (as_of, limit_use, steps, config), db_url,
                  lambda engine, ids, day: creditholds.release(engine, ids, on=day, today=date.today(), by=by))


@credit_app.command("exempt")
def credit_exempt_cmd(
    customer_ids: Annotated[list[str], typer.Argument(help="Debtors (customer ids) never to be held.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. a key account or a group company.")] = "",
    by: Annotated[str | None, typer.Option(help="Who decided it.")] = None,
    lift: Annotated[bool, typer.Option("--lift", help="End their exemptions instead: the rules apply again.")]
    = False,
    on: Annotated[str | None, typer.Option(help="From when (YYYY-MM-DD, default today); with --lift, when it "
                                                "ended.")] = None,
    db_url: DbOption = None,
) -> None:
    """Exempt debtors from credit holds: the list names them apart instead of asking for a hold."""
    day = _date_option(on, "--on")
    engine = _open(db_url)
    try:
        if lift:
            done = creditholds.lift_exemption(engine, customer_ids, on=day, by=by)
            out.print(f"{counted(done, 'exemption')} lifted.")
            return
        done = creditholds.exempt(engine, customer_ids, reason=reason or None, by=by, on=day)
    except ArboardError as exc:
        _fail(exc, 2)
    out.print(f"{counted(done, 'debtor')} exempted from credit holds"
              + (f"; {len(set(customer_ids)) - done:,} already were." if done < len(set(customer_ids)) else "."))


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except ArboardError as exc:  # a safety net: commands report their own errors with a specific exit code
        err.print(Text.assemble(("Error:", "bold red"), f" {exc}"), highlight=False)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover - `python -m arboard.cli`
    main()
