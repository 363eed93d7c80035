"""Per-group outreach playbooks and the contact plan they produce.

A playbook is an ordered list of steps relative to the due date (negative = before it), each with a
channel, a tone, a message template and optional actions (payment plan, credit hold, hand-over).
The defaults follow the playbook in ``shared/domain.md``: digital and friendly for debtors who
simply forget, an early personal call and a payment plan for those short of cash, a firm escalating
cadence ending in a hand-over for those who will not pay, a multichannel first contact that also
confirms contact details for those we know nothing about.

:func:`build_plan` turns playbooks, the open invoices and the debtors' groups into one row per
planned contact: one contact per debtor, step and day, listing all the debtor's open items. Missing
contact data always wins: no e-mail address, no e-mail.
"""

from __future__ import annotations

import bisect
import itertools
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import events, fx, instalments, promises, schema, sender, unapplied
from arboard.db import fetch_frame
from arboard.errors import ArboardError
from arboard.holds import active as active_holds
from arboard.holds import held_until
from arboard.interest import InterestTerms, earlier_rates, rates_on
from arboard.interest import charges as interest_charges
from arboard.messages import MessageContext, TemplateProblem, render, sms_segments
from arboard.openitems import open_items, payments_on_account, worked_by
from arboard.sender import PAY_LINK
from arboard.words import first_few

CHANNELS = ("email", "sms", "letter", "phone", "portal", "preferred")
TONES = ("friendly", "neutral", "firm")
ACTIONS = ("payment_plan", "credit_hold", "hand_over")
ACTION_LABELS = {"payment_plan": "offer a payment plan", "credit_hold": "credit hold", "hand_over": "hand over"}
# Where a channel cannot be used for lack of contact data, the next one that can.
FALLBACK = {"email": ("sms", "letter"), "sms": ("email", "letter"), "phone": ("letter",),
            "portal": ("email", "sms", "letter"), "letter": ()}
UNIT_COSTS = {"email": 0.01, "sms": 0.08, "portal": 0.01, "letter": 1.20, "phone": 4.50}
MAX_FEE = 1_000.0


@dataclass(frozen=True)
class Step:
    """One step of a playbook."""

    offset_days: int
    channel: str
    tone: str
    template: str
    actions: tuple[str, ...] = ()
    name: str = ""
    fee: float = 0.0  # a dunning fee charged with this step, in the debtor's currency (shown on the message)
    # The step claims late-payment interest and compensation on what is overdue (arboard.interest: the
    # company's terms; nothing while none are set).
    interest: bool = False

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ArboardError(f"Unknown channel {self.channel!r}; use one of {', '.join(CHANNELS)}.")
        if self.tone not in TONES:
            raise ArboardError(f"Unknown tone {self.tone!r}; use one of {', '.join(TONES)}.")
        bad = set(self.actions) - set(ACTIONS)
        if bad:
            raise ArboardError(f"Unknown action{'s' if len(bad) > 1 else ''} {', '.join(sorted(bad))}; "
                               f"use {', '.join(ACTIONS)}.")
        if not -60 <= self.offset_days <= 365:
            raise ArboardError("A step's offset must be between 60 days before and 365 days after the due date.")
        if not 0 <= self.fee <= MAX_FEE:
            raise ArboardError(f"A step's fee must be between 0 and {MAX_FEE:,.0f}.")


@dataclass(frozen=True)
class Playbook:
    """The steps for one group, in order of their offsets."""

    group: str
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        return json.dumps({"group": self.group, "steps": [asdict(s) for s in self.steps]}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Playbook:
        data = json.loads(text)
        return cls(data["group"], tuple(Step(**{**s, "actions": tuple(s.get("actions", ()))}) for s in data["steps"]))


_FRIENDLY = ("Hello {{ debtor_name }}, a friendly reminder: {{ open_amount }} falls due on {{ oldest_due_date }}. "
             "Pay in one click: {{ pay_link }}")
_FORGOT = ("Hello {{ debtor_name }}, it looks like {{ open_amount }} slipped through (due {{ oldest_due_date }}). "
           "Pay here: {{ pay_link }}")
_LIST = ("{% for i in invoices %}\n- {{ i.number }}, {{ 'dated' if i.credit else 'due' }} {{ i.due_date }}: "
         "{{ i.amount }}{% if i.promised_for %} (promised for {{ i.promised_for }}){% endif %}{% endfor %}\n")
_NEUTRAL = ("Dear {{ debtor_name }},\n\nour records show {{ open_amount }} overdue since {{ oldest_due_date }}:"
            + _LIST + "\nPlease pay at {{ pay_link }} or tell us if something is wrong with an invoice.")
_PLAN = ("Dear {{ debtor_name }},\n\nwe would like to help you settle {{ open_amount }}. We can spread it over "
         "{{ instalments|length }} monthly instalments:\n{% for i in instalments %}- {{ i.amount }} by "
         "{{ i.due_date }}\n{% endfor %}\nAccept this plan or choose another at {{ pay_link }}, or call us back."
         "\n\nWhat is open:" + _LIST)
# What a step charges on top of the balance: a fee, and late-payment interest with the compensation for
# recovery costs at the steps that claim them (Step.interest); each line only when it is not empty.
_CHARGES = ("{% if fee or interest or compensation %}\n{% if fee %}Dunning fee: {{ fee }}. {% endif %}"
        "{% if interest %}Late-payment interest at {{ interest_rate }} a year{% if earlier_rates %} ({% for r in "
        "earlier_rates %}{{ r.rate }} until {{ r.until }}{{ ', ' if not loop.last }}{% endfor %}){% endif %}: "
        "{{ interest }}. {% endif %}"
        "{% if compensation %}Compensation for recovery costs: {{ compensation }}. {% endif %}"
        "Total due: {{ total_due }}.\n{% endif %}")
_FIRM = ("Dear {{ debtor_name }},\n\n{{ open_amount }} is overdue since {{ oldest_due_date }} despite our "
         "reminders:" + _LIST + _CHARGES + "\nPay within 7 days at {{ pay_link }}; otherwise we will take further "
         "steps.")
_FINAL = ("Dear {{ debtor_name }},\n\nfinal notice: unless {{ total_due }} is paid within 10 days, we will hand "
          "the claim to a collection agency and hold further deliveries." + "\n" + _LIST + _CHARGES)
_CONFIRM = ("Hello {{ debtor_name }}, {{ open_amount }} falls due on {{ oldest_due_date }}. Please confirm this is "
            "the best way to reach you, and pay at {{ pay_link }}")
_CALL = "Call script: introduce yourself, confirm {{ open_amount }} open since {{ oldest_due_date }}, ask what " \
        "would help, offer a payment plan, agree a date."
_BROKEN = ("Call script: {{ debtor_name }} promised to pay {{ promised_amount }} by {{ promised_date }} and the "
           "payment has not arrived. Confirm {{ open_amount }} open since {{ oldest_due_date }}, ask what happened, "
           "agree a new date or a payment plan, and log the new promise.\n" + _LIST)
# A call script is for the collector, not the debtor: a call that goes out in writing (no phone number, or
# the debtor opted out of calls) says instead what the call would have asked, to the debtor (see build_plan).
_CALL_WRITTEN = ("Dear {{ debtor_name }},\n\nwe would like to talk with you about {{ open_amount }} open since "
                 "{{ oldest_due_date }}:" + _LIST + _CHARGES + "\nPlease call us to agree how and when it will be paid "
                 "(we can spread it over instalments), or pay at {{ pay_link }}.")
_BROKEN_WRITTEN = ("Dear {{ debtor_name }},\n\nyou promised to pay {{ promised_amount }} by {{ promised_date }}, and "
                   "we have not received the payment. {{ open_amount }} is open since {{ oldest_due_date }}:"
                   + _LIST + "\nPlease pay at {{ pay_link }}, or call us today to agree a new date.")
# How a step's name says its channel, "Welcome and confirm details (SMS)": a contact that goes out on
# another channel (no mobile number on file) says that one instead.
NAMED_CHANNEL = {"email": "e-mail", "sms": "SMS", "letter": "letter", "phone": "call", "portal": "portal"}
WRITTEN_INSTEAD = {"call": ("Please contact us", _CALL_WRITTEN), "broken_promise": ("Your promise to pay",
                                                                                    _BROKEN_WRITTEN)}

# Not a playbook step: a call on the first contact day after a promise to pay ends with the invoice still
# open, whatever level the debtor's reminders are at (PlanSettings.call_broken_promises). Collection
# suites raise a collector's task on a broken promise for the same reason: it is news, and it needs a talk.
# Its wording and channel can be changed and are saved like a playbook's (save_promise_call).
BROKEN_PROMISE_CALL = Step(0, "phone", "firm", _BROKEN, name="Broken promise: call")
PROMISE_CALL_KEY = "broken_promise_call"  # its versions in the playbooks table

DEFAULT_PLAYBOOKS: dict[str, Playbook] = {
    "willing_and_able": Playbook("willing_and_able", (
        Step(-3, "preferred", "friendly", _FRIENDLY, name="Pre-due nudge with pay link"),
        Step(3, "preferred", "friendly", _FORGOT, name="Friendly reminder"),
        Step(14, "email", "neutral", _NEUTRAL, name="Second reminder"),
    )),
    "unable_to_pay": Playbook("unable_to_pay", (
        Step(-5, "preferred", "friendly", _FRIENDLY, name="Early heads-up"),
        Step(2, "phone", "neutral", _CALL, ("payment_plan",), name="Personal call"),
        Step(5, "email", "neutral", _PLAN, ("payment_plan",), name="Payment-plan offer"),
        Step(30, "letter", "firm", _FIRM, name="Formal reminder"),
    )),
    "wont_pay": Playbook("wont_pay", (
        Step(1, "email", "neutral", _NEUTRAL, name="Reminder"),
        Step(7, "sms", "firm", "{{ debtor_name }}: {{ open_amount }} overdue. Pay now: {{ pay_link }}",
             name="SMS"),
        Step(14, "phone", "firm", _CALL, name="Call"),
        Step(21, "letter", "firm", _FIRM, ("credit_hold",), name="Firm letter, credit hold", interest=True),
        Step(45, "letter", "firm", _FINAL, ("hand_over",), name="Final notice, hand-over", interest=True),
    )),
    "no_information": Playbook("no_information", (
        Step(-7, "email", "friendly", _CONFIRM, name="Welcome and confirm details (e-mail)"),
        Step(-7, "sms", "friendly", _CONFIRM, name="Welcome and confirm details (SMS)"),
        Step(3, "letter", "neutral", _NEUTRAL, name="Reminder by letter"),
        Step(14, "phone", "neutral", _CALL, name="Call"),
    )),
    "to_watch": Playbook("to_watch", (
        Step(3, "preferred", "neutral", _FORGOT, name="Reminder"),
        Step(14, "email", "neutral", _NEUTRAL, name="Second reminder"),
        Step(30, "phone", "firm", _CALL, name="Call"),
        Step(45, "letter", "firm", _FIRM, name="Formal reminder", interest=True),
    )),
}
GROUP_DEFAULT_CHANNEL = {"willing_and_able": "email", "unable_to_pay": "phone", "wont_pay": "email",
                         "no_information": "email", "to_watch": "email"}


# --- versioned storage ----------------------------------------------------------------------

def save_playbook(engine: Engine, playbook: Playbook) -> int:
    """Save a new version of a group's playbook; return its version number."""
    t = schema.playbooks
    with engine.begin() as conn:
        last = conn.execute(sa.select(sa.func.max(t.c.version)).where(t.c.group_key == playbook.group)).scalar() or 0
        conn.execute(sa.insert(t).values(group_key=playbook.group, version=last + 1, spec=playbook.to_json(),
                                         saved_at=datetime.now(UTC).replace(tzinfo=None)))
    return last + 1


def load_playbooks(engine: Engine) -> dict[str, Playbook]:
    """The latest saved version of each group's playbook, defaults for the rest."""
    t = schema.playbooks
    latest = sa.select(t.c.group_key, sa.func.max(t.c.version).label("v")).group_by(t.c.group_key).subquery()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.group_key, t.c.spec).join(
            latest, sa.and_(latest.c.group_key == t.c.group_key, latest.c.v == t.c.version))).all()
    out = dict(DEFAULT_PLAYBOOKS)
    for group, spec in rows:
        if group != PROMISE_CALL_KEY:
            out[group] = Playbook.from_json(spec)
    return out


def load_promise_call(engine: Engine) -> Step:
    """The latest saved version of the call about a broken promise, :data:`BROKEN_PROMISE_CALL` when none."""
    t = schema.playbooks
    with engine.connect() as conn:
        spec = conn.execute(sa.select(t.c.spec).where(t.c.group_key == PROMISE_CALL_KEY)
                            .order_by(t.c.version.desc()).limit(1)).scalar()
    return Playbook.from_json(spec).steps[0] if spec else BROKEN_PROMISE_CALL


def save_promise_call(engine: Engine, step: Step) -> int:
    """Save a new version of the call about a broken promise (:func:`promise_call_from_table`)."""
    return save_playbook(engine, Playbook(PROMISE_CALL_KEY, (step,)))


def promise_call_from_table(table: pd.DataFrame) -> Step:
    """Read the edited call about a broken promise back from a one-row steps table.

    It goes out on the first contact day after the promise ends, so its offset is not the user's;
    it cannot hand a claim over (a hand-over belongs to a playbook's ladder, which it is not on).
    """
    steps = playbook_from_table(PROMISE_CALL_KEY, table.assign(offset_days=0)).steps
    if len(steps) != 1:
        raise ArboardError("The call about a broken promise is one step.")
    if "hand_over" in steps[0].actions:
        raise ArboardError("The call about a broken promise cannot hand the claim over; put a hand-over step "
                           "in the group's playbook.")
    return steps[0]


def playbook_versions(engine: Engine, group: str) -> pd.DataFrame:
    """Saved versions of a group's playbook, newest first: ``version, saved_at, steps``."""
    t = schema.playbooks
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.version, t.c.saved_at, t.c.spec).where(t.c.group_key == group)
                            .order_by(t.c.version.desc())).all()
    return pd.DataFrame([(v, s, len(json.loads(j)["steps"])) for v, s, j in rows],
                        columns=["version", "saved_at", "steps"])


# --- channels ---------------------------------------------------------------------------------

def resolve_channel(step_channel: str, *, group: str, best_channel: str | None, has_email: bool,
                    has_phone: bool, opted_out: frozenset[str] = frozenset()) -> str | None:
    """The channel a step will really use for one debtor.

    ``preferred`` is the debtor's most responsive channel, else the group's default. Then missing
    contact data and consent win: a channel the debtor cannot be reached on, or has opted out of,
    falls back (e-mail → SMS → letter; phone → letter). Returns None when nothing is left (a debtor
    who opted out of letters too is not contacted).
    """
    channel = step_channel
    if channel == "preferred":
        channel = best_channel if best_channel in FALLBACK else GROUP_DEFAULT_CHANNEL.get(group, "email")
    reachable = {"email": has_email, "sms": has_phone, "phone": has_phone, "portal": has_email or has_phone,
                 "letter": True}
    reachable = {c: ok and c not in opted_out for c, ok in reachable.items()}
    for option in (channel, *FALLBACK.get(channel, ())):
        if reachable[option]:
            return option
    return None


def _renamed_for_channel(plan: pd.DataFrame) -> pd.Series:
    """The plan's step names, with a channel named in one (:data:`NAMED_CHANNEL`) changed to the channel
    the contact really goes out on."""
    step = plan["step"]
    moved = plan[(plan["step_channel"] != plan["channel"]).to_numpy()]
    renamed = []  # (new name, rows): two steps may take one name ("(e-mail)" and "(SMS)", both by letter)
    for (name, was, now), rows in moved.groupby(["step", "step_channel", "channel"], observed=True).groups.items():
        said = f" ({NAMED_CHANNEL.get(was, was)})"
        if isinstance(name, str) and name.endswith(said):
            renamed.append((name[: -len(said)] + f" ({NAMED_CHANNEL.get(now, now)})", rows))
    if not renamed:
        return step
    out = step.astype(object)  # a copy
    for name, rows in renamed:
        out.loc[rows] = name
    return out.astype("category") if isinstance(step.dtype, pd.CategoricalDtype) else out


# --- the plan -----------------------------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WORKING_WEEK = (0, 1, 2, 3, 4)


def parse_days(text: str) -> tuple[int, ...]:
    """Weekdays from text such as ``"Mon,Tue,Wed"`` or ``"Mon-Fri"`` (Monday is 0).

    Raises
    ------
    ArboardError
        On a name that is not a weekday, or when no day is left.
    """
    days: set[int] = set()
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        ends = [e.strip()[:3].title() for e in part.split("-")]
        if any(e not in WEEKDAYS for e in ends) or len(ends) > 2:
            raise ArboardError(f"“{part}” is not a weekday or a range of weekdays; use Mon, Tue, … Sun or Mon-Fri.")
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    if not days:
        raise ArboardError("Choose at least one day of the week for contacts.")
    return tuple(sorted(days))


@dataclass(frozen=True)
class PlanSettings:
    """Capacity, costs, the contact-pressure guard and the days contacts go out.

    ``contact_days`` are weekdays (Monday is 0); ``holidays`` are dates without contacts. Disputed
    invoices are left out of reminders and of the items messages list (as a dunning block does)
    unless ``remind_disputed`` is set. An invoice with a running promise to pay waits until the
    promise ends (:mod:`arboard.promises`) unless ``pause_promised`` is off; when it ends with the
    invoice open, the debtor gets a call (:data:`BROKEN_PROMISE_CALL`) unless
    ``call_broken_promises`` is off. Cash on account whose match is at least as sure as
    ``apply_cash`` counts as applied (:func:`settle_cash`): what it most likely pays gets no reminder.
    """

    weeks: int = 8
    agents: int = 2
    calls_per_agent_per_day: int = 25
    max_contacts_per_7_days: int = 2
    unit_costs: tuple[tuple[str, float], ...] = tuple(UNIT_COSTS.items())
    contact_days: tuple[int, ...] = WORKING_WEEK
    holidays: tuple[date, ...] = ()
    remind_disputed: bool = False  # disputed invoices go to dispute resolution, not to reminders
    pause_promised: bool = True  # no reminder of an invoice the debtor promised to pay, until the promise ends
    call_broken_promises: bool = True  # a call (BROKEN_PROMISE_CALL) when a promise ends with its invoice open
    # Once a debtor is at the last step of their playbook, it repeats at this interval while anything stays
    # overdue (0: never); a hand-over is never repeated: the claim is with the agency.
    repeat_last_step_days: int = 14
    # How many monthly instalments a payment-plan offer proposes ({{ instalments }} in its message).
    instalments_offered: int = instalments.DEFAULT_COUNT
    # Each collector calls their own debtors, calls_per_agent_per_day at most; the agents call the rest.
    calls_per_collector: bool = False
    # Late-payment interest and compensation claimed at the steps that say so (Step.interest); the
    # company's terms, saved in the database (arboard.interest.load).
    interest: InterestTerms = InterestTerms()
    # The least confidence of a match of cash on account (arboard.unapplied) that counts as applied when
    # planning: "High", "Medium", "Low", or "" for none (a debtor is then reminded of what they paid).
    apply_cash: str = "High"

    def __post_init__(self) -> None:
        if self.apply_cash not in ("", *unapplied.CONFIDENCES[:-1]):
            raise ArboardError("Count cash on account as applied for High, Medium or Low matches, or none.")
        if not self.contact_days or not set(self.contact_days) <= set(range(7)):
            raise ArboardError("Choose at least one day of the week for contacts.")
        if not (self.repeat_last_step_days == 0 or 7 <= self.repeat_last_step_days <= 365):
            raise ArboardError("Repeat the last step every 7 to 365 days, or 0 for never.")
        if not 1 <= self.instalments_offered <= instalments.MAX_COUNT:
            raise ArboardError(f"Offer 1 to {instalments.MAX_COUNT} instalments.")

    @property
    def calendar(self) -> dict:
        """The contact days as numpy's business-day arguments (``weekmask``, ``holidays``)."""
        return {"weekmask": [d in self.contact_days for d in range(7)],
                "holidays": np.array(self.holidays, dtype="datetime64[D]")}


def plan_end(as_of: date, settings: PlanSettings) -> date:
    """The last day a plan made as of ``as_of`` covers."""
    return as_of + timedelta(days=7 * settings.weeks)


def on_contact_days(days: pd.Series, settings: PlanSettings, *, before_due: bool = False) -> pd.Series:
    """Move planned dates that fall on a day without contacts to a day with them.

    Forward to the next contact day; for steps before the due date backward, so that a pre-due
    reminder never arrives after the due date it announces.
    """
    if (len(set(settings.contact_days)) == 7 and not settings.holidays) or days.empty:
        return days
    rolled = np.busday_offset(days.to_numpy().astype("datetime64[D]"), 0, roll="backward" if before_due else "forward",
                              **settings.calendar)
    return pd.Series(rolled.astype(days.dtype), index=days.index)


def open_items_for_plan(engine: Engine, as_of: date, *, customer_id: str | None = None) -> pd.DataFrame:
    """Open invoices as of ``as_of`` with the customer's contact data (of one customer).

    ``amount`` is what is still open on each invoice that day: its amount less the payments applied
    to it by then. A debtor who paid part of an invoice is reminded of the rest, not of the whole.
    Credit notes are not dunned.
    """
    events.ensure_current(engine)  # partial payments come from the derived balance events
    cust = schema.customers
    items = open_items(as_of, customer_id=customer_id)
    q = (sa.select(items.c.invoice_id, items.c.customer_id, items.c.due_date, items.c.open_amount.label("amount"),
                   items.c.currency, sa.func.coalesce(cust.c.name, items.c.customer_id).label("name"), cust.c.email,
                   cust.c.phone, cust.c.locale, cust.c.opt_out, items.c.disputed, cust.c.customer_type)
         .select_from(items.outerjoin(cust, cust.c.customer_id == items.c.customer_id))
         .where(items.c.amount > 0, items.c.open_amount > 0.004)
         .order_by(items.c.due_date, items.c.invoice_id))  # messages list items in a stable order
    with engine.connect() as conn:
        df = fetch_frame(conn, q)
    df["due_date"] = pd.to_datetime(df["due_date"])
    return df


def open_credits_for_plan(engine: Engine, as_of: date, *, customer_id: str | None = None) -> pd.DataFrame:
    """What the debtors have to their credit as of ``as_of``: open credit notes and payments on account.

    Returns ``customer_id, currency, reference, date, amount, id, payment`` with negative amounts;
    a reminder lists them and asks for the balance (see :func:`build_plan`). ``id`` is the credit
    note's or payment's own, ``payment`` true for a payment on account.
    """
    events.ensure_current(engine)
    pay = schema.payments
    items = open_items(as_of, customer_id=customer_id)
    notes = (sa.select(items.c.customer_id, items.c.currency, (items.c.invoice_id + " (credit note)"),
                       items.c.invoice_date, items.c.open_amount, items.c.invoice_id, sa.false())
             .where(items.c.amount < 0, items.c.open_amount < -0.004))
    on_account = (payments_on_account(as_of, customer_id=customer_id)
                  .with_only_columns(pay.c.customer_id, pay.c.currency, (pay.c.payment_id + " (payment on account)"),
                                     pay.c.payment_date, -sa.cast(pay.c.amount, sa.Float), pay.c.payment_id,
                                     sa.true())
                  .where(pay.c.amount > 0))
    names = ["customer_id", "currency", "reference", "date", "amount", "id", "payment"]
    # Two queries, not a UNION ALL: DuckDB planned the union of these two in minutes at 10M invoices.
    with engine.connect() as conn:
        parts = [fetch_frame(conn, q, names) for q in (notes, on_account)]
    df = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values(["customer_id", "date", "reference"], kind="stable").reset_index(drop=True)


def settle_cash(items: pd.DataFrame, credits: pd.DataFrame, applied: unapplied.Applied
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The open items and credits of a plan once the cash on account is applied as proposed.

    Parameters
    ----------
    items, credits
        From :func:`open_items_for_plan` and :func:`open_credits_for_plan`.
    applied
        The proposals taken (:func:`arboard.unapplied.as_applied`).

    Returns
    -------
    tuple of pandas.DataFrame
        The items less what the payments apply to them (those paid in full left out), and the credits
        with the credit notes used up left out and each payment taken reduced to what it leaves on
        account. A payment of one debtor that pays another's invoice clears that invoice.
    """
    if applied.lines.empty:
        return items, credits
    paid = items["invoice_id"].map(applied.items).fillna(0.0)
    items = items.assign(amount=(items["amount"] - paid).round(2))
    items = items[items["amount"] > 0.004]
    if len(credits):
        notes = ~credits["payment"].astype(bool)
        used = credits["id"].map(applied.items).where(notes)  # a credit note's line is negative, as it is
        left = credits["id"].map(applied.left).where(~notes)
        amount = (credits["amount"] - used.fillna(0.0)).where(left.isna(), -left)
        credits = credits.assign(amount=amount.round(2))
        credits = credits[credits["amount"] < -0.004]
    return items.reset_index(drop=True), credits.reset_index(drop=True)


def build_plan(items: pd.DataFrame, groups: pd.Series, best_channel: pd.Series, playbooks: dict[str, Playbook],
               as_of: date, *, settings: PlanSettings = PlanSettings(),
               holds: pd.DataFrame | None = None, credits: pd.DataFrame | None = None,
               promised: pd.DataFrame | None = None, prepared: pd.DataFrame | None = None,
               promise_call: Step = BROKEN_PROMISE_CALL) -> pd.DataFrame:
    """One row per planned contact in the next ``settings.weeks`` weeks.

    Parameters
    ----------
    items
        From :func:`open_items_for_plan` (:func:`settle_cash` takes off what cash on account most likely
        pays; :class:`PlanInputs` does so per ``settings.apply_cash``).
    groups, best_channel
        Per customer id: the segment and the most responsive channel.
    holds
        Active holds (:func:`arboard.holds.active`), with any running promises to pay
        (:func:`arboard.promises.pauses`): an invoice on hold is left out of the contacts dated up
        to the hold's end; a reminder step it reached meanwhile goes out on the next contact day.
    credits
        From :func:`open_credits_for_plan`. A reminder (a step from the due date on) lists the
        debtor's credits in its currency and asks for the balance; when they cover everything
        overdue, the reminder is not sent (as dunning runs do on a balance that is not positive).
    promised
        Running and lately broken promises to pay (:func:`arboard.promises.promises`): with
        ``settings.call_broken_promises``, a promise that ends in the plan's weeks, or ended before
        them and was not followed up, brings a call (:func:`_promise_calls`). Their pauses come in
        ``holds``.
    promise_call
        What that call is (:func:`load_promise_call`): its channel, tone, wording.
    prepared
        The items as :func:`_plan_items` prepares them for these groups, holds and settings, when the
        caller has them already (:class:`PlanInputs` shares them with :func:`handed_over`).

    Returns
    -------
    pandas.DataFrame
        ``date, customer_id, name, group, step, step_no, channel, tone, actions, contact, currency,
        amount, invoices`` (the open invoice numbers the contact is about), ..., ``promised`` (on a call
        about broken promises, step 0: ``(invoice, promised date, amount promised)`` of each), sorted
        by date. A call step that goes out on another channel (no phone number, calls opted out)
        carries :data:`WRITTEN_INSTEAD`'s wording, not the collector's script; of two contacts of one
        day on one channel, one goes (a call about a broken promise first, else the later step).
        ``offer_count``: the instalments a payment-plan offer proposes (``settings.instalments_offered``).
    """
    end = pd.Timestamp(plan_end(as_of, settings))
    start = pd.Timestamp(as_of)
    df = _plan_items(items, groups, holds, settings) if prepared is None else prepared
    # The debtor's details once per account, joined to the contacts at the end: carrying seven text
    # columns through every filter and merge of item rows took seconds at 10M invoices.
    details = df.drop_duplicates("account").set_index("account")[list(_DETAILS)]
    df = df[["invoice_id", "account", "due_date", "amount", "group", "held"]]
    steps = _Steps(playbooks, promise_call)
    rows = []
    for group, book in playbooks.items():
        mine = df.loc[df["group"] == group, ["account", "due_date", "amount", "held"]]
        if mine.empty:
            continue
        # A reminder step an item reached while held (or while its promise to pay ran) goes out on the
        # first contact day after: the playbook resumes where the item is, and escalation keeps the
        # firmest of them. Heads-ups before the due date are not caught up.
        held = mine["held"]
        resume = on_contact_days((held + pd.Timedelta(days=1)).where(held < end), settings)
        for no, step in enumerate(book.steps, start=1):
            when = on_contact_days(mine["due_date"] + pd.Timedelta(days=step.offset_days), settings,
                                   before_due=step.offset_days < 0)
            if step.offset_days >= 0:
                when = when.where(~(when <= held), resume)
            due = (when > start) & (when <= end) & ~(when <= held)
            hit = mine[due].assign(date=when[due])
            if hit.empty:
                continue
            # One contact per debtor, step and day, listing everything that step is about.
            rows.append(steps.stamp(_per_contact(hit, hit.index.to_numpy()), group, no))
    columns = ["date", "customer_id", "name", "group", "step", "step_no", "channel", "tone", "actions", "contact",
               "currency", "amount", "invoices", "oldest_due", "locale", "template", "statement", "total_due", "fee",
               "interest", "compensation", "interest_rate", "interest_earlier", "offset_days", "promised",
               "offer_count"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    # With no step due in the plan's weeks, a last level reached before them still repeats: a debtor's
    # own plan (its timeline) had none of the calls the whole ledger's plan makes.
    made = pd.concat(rows, ignore_index=True) if rows else _no_contacts(df)
    plan = _escalate(made, df, steps, start, end, settings)
    calls = _promise_calls(plan, df, promised, steps, start, end, settings)
    if len(calls):
        # The call is about everything overdue: it takes the place of the account's reminder that day
        # (two calls to one debtor on one day, or a call and a letter saying the same, would be noise).
        same = pd.MultiIndex.from_frame(plan[["account", "date"]]).isin(
            pd.MultiIndex.from_frame(calls[["account", "date"]]))
        plan = pd.concat([plan[~(same & (plan["offset_days"] >= 0).to_numpy())], calls], ignore_index=True)
    if plan.empty:
        return pd.DataFrame(columns=columns)
    numbers = df["invoice_id"].to_numpy(dtype=object).tolist()
    plan["invoices"] = [", ".join([numbers[i] for i in ids]) for ids in plan["ids"]]
    plan = steps.attach(plan.join(details, on="account"))
    plan["promised"] = _promised(plan, numbers, promised)
    best = plan["customer_id"].map(best_channel)
    has_email = plan["email"].notna().to_numpy()
    has_phone = plan["phone"].notna().to_numpy()
    # A few distinct opt-out lists and channel situations among hundreds of thousands of contacts at
    # 10M invoices: each is worked out once.
    opt_codes, opt_texts = pd.factorize(plan["opt_out"])  # -1: no opt-out recorded
    opted_lists = [frozenset(x.strip().lower() for x in o.split(",")) for o in opt_texts] + [frozenset()]
    resolved: dict[tuple, str | None] = {}

    def channel_of(*case) -> str | None:
        if case not in resolved:
            c, g, b, e, p, o = case
            resolved[case] = resolve_channel(c, group=g, best_channel=b if isinstance(b, str) else None,
                                             has_email=e, has_phone=p, opted_out=opted_lists[o])
        return resolved[case]

    plan["channel"] = [channel_of(*case) for case in zip(
        plan["step_channel"].to_numpy(dtype=object), plan["group"].to_numpy(dtype=object),
        best.to_numpy(dtype=object), has_email.tolist(), has_phone.tolist(), opt_codes.tolist(), strict=True)]
    plan = plan[plan["channel"].notna()]  # opted out of everything: not contacted
    written = ((plan["step_channel"] == "phone") & (plan["channel"] != "phone")).to_numpy()
    if written.any():  # a call script must not reach the debtor: what the call would have asked, in writing
        broken = written & (plan["step_no"] == 0).to_numpy()
        for mask, key in ((written & ~broken, "call"), (broken, "broken_promise")):
            for column, value in zip(("step", "template"), WRITTEN_INSTEAD[key], strict=True):
                if isinstance(plan[column].dtype, pd.CategoricalDtype) and value not in plan[column].cat.categories:
                    plan[column] = plan[column].cat.add_categories([value])
                plan.loc[mask, column] = value
    plan["step"] = _renamed_for_channel(plan)
    plan["contact"] = np.select([plan["channel"] == "email", plan["channel"].isin(["sms", "phone"])],
                                [plan["email"].fillna(""), plan["phone"].fillna("")], "postal address on file")
    # Accounts are numbered in the order of debtor and currency (_plan_items).
    plan = plan.sort_values(["date", "account", "step_no"]).reset_index(drop=True)
    # Two steps of one day that end up on one channel (a welcome by e-mail and by SMS, both by letter for a
    # debtor with neither) would send the same debtor the same thing twice: one goes, the call about a
    # broken promise (step 0) before any other, else the later step's.
    rank = plan["step_no"].where(plan["step_no"] != 0, np.iinfo(np.int64).max)
    keep = ~plan.assign(_rank=rank).sort_values("_rank", kind="stable") \
        .duplicated(["account", "date", "channel"], keep="last").sort_index()
    plan = plan[keep.to_numpy()].reset_index(drop=True)
    plan["statement"], owed = _statements(plan, df, credits)
    plan = plan[(plan["offset_days"] < 0).to_numpy() | (owed > 0.004)]  # credits cover what is overdue
    claims = np.array([s.interest for *_x, s in steps.rows], dtype=bool)[plan["step_key"].to_numpy()]
    plan["interest"], plan["compensation"], plan["interest_rate"] = 0.0, 0.0, 0.0
    plan["interest_earlier"] = [()] * len(plan)
    terms = settings.interest
    if terms.is_set and claims.any():
        charged = plan[claims]
        # Disputed invoices are listed when the plan reminds them; they accrue nothing all the same.
        disputed = frozenset(items.loc[items["disputed"].fillna(False).astype(bool), "invoice_id"]) \
            if settings.remind_disputed and "disputed" in items else frozenset()
        plan.loc[claims, "interest"], plan.loc[claims, "compensation"] = interest_charges(
            charged["statement"], charged["date"], charged["consumer"], terms, disputed=disputed)
        # The rate in force on the day the message goes out (earlier days may have earned at earlier rates).
        plan["interest_rate"] = rates_on(plan["date"], plan["consumer"], terms) * (plan["interest"] > 0)
        if terms.changes:  # and the rates before it the interest ran at too, for the message to name
            plan.loc[claims, "interest_earlier"] = pd.Series(earlier_rates(
                charged["statement"], charged["date"], charged["consumer"], terms, disputed=disputed),
                index=charged.index, dtype=object)
    plan["total_due"] = owed[plan.index] + plan["fee"] + plan["interest"] + plan["compensation"]
    plan["offer_count"] = settings.instalments_offered  # what its messages' payment-plan offers propose
    return plan.reset_index(drop=True)[columns]


class _Steps:
    """The steps of the playbooks, numbered: contacts carry a step's number while the plan is built,
    and what the step says (name, tone, actions, template, channel) is attached once at the end.
    Text columns repeated on every contact made each filter and merge copy them (a template is
    hundreds of characters, on each of 800,000 contacts at 10M invoices)."""

    def __init__(self, playbooks: dict[str, Playbook], promise_call: Step = BROKEN_PROMISE_CALL):
        self.playbooks = playbooks
        self.groups = list(playbooks)
        self.rows = [(group, no, step) for group, book in playbooks.items()
                     for no, step in enumerate(book.steps, start=1)]
        self.rows += [(group, 0, promise_call) for group in playbooks]  # step 0: not the playbook's
        self.key = {(group, no): k for k, (group, no, _s) in enumerate(self.rows)}

    def stamp(self, agg: pd.DataFrame, group: str, no: int) -> pd.DataFrame:
        """Mark contacts as made by step ``no`` of ``group``'s playbook."""
        k = self.key[(group, no)]
        step = self.rows[k][2]
        agg["group"] = pd.Categorical.from_codes(np.full(len(agg), self.groups.index(group)), categories=self.groups)
        agg["step_key"], agg["step_no"], agg["fee"], agg["offset_days"] = k, no, step.fee, step.offset_days
        return agg

    def attach(self, plan: pd.DataFrame) -> pd.DataFrame:
        """Add what each contact's step says; the template as a category (one copy of each text)."""
        k = plan["step_key"].to_numpy()
        said = {"step": [s.name or f"Step {no}" for _g, no, s in self.rows],
                "tone": [s.tone for *_x, s in self.rows], "actions": [", ".join(s.actions) for *_x, s in self.rows],
                "step_channel": [s.channel for *_x, s in self.rows]}
        out = plan.assign(group=plan["group"].astype("str"),
                          **{col: pd.Series(np.array(values, dtype=object)[k], index=plan.index, dtype="str")
                             for col, values in said.items()})
        texts = list(dict.fromkeys(s.template for *_x, s in self.rows))
        codes = np.array([texts.index(s.template) for *_x, s in self.rows])
        out["template"] = pd.Categorical.from_codes(codes[k], categories=texts)
        return out


# Per debtor (and, for the currency, per account): what a contact says and where it goes.
_DETAILS = ("customer_id", "name", "email", "phone", "opt_out", "currency", "locale", "consumer")


def _no_contacts(items: pd.DataFrame) -> pd.DataFrame:
    """Contacts as :meth:`_Steps.stamp` makes them, none of them."""
    return pd.DataFrame({"account": pd.Series(dtype=np.int64), "date": items["due_date"].iloc[:0],
                         "amount": pd.Series(dtype=float), "oldest_due": items["due_date"].iloc[:0],
                         "ids": pd.Series(dtype=object), "group": pd.Series(dtype=object),
                         "step_key": pd.Series(dtype=np.int64), "step_no": pd.Series(dtype=np.int64),
                         "fee": pd.Series(dtype=float), "offset_days": pd.Series(dtype=np.int64)})


def _per_contact(hit: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """One row per account (debtor and currency) and day from item rows: the amount, the oldest due
    date, the items (``ids``: their ``positions`` among the plan's items, in the order of ``hit``).

    Positions, not invoice numbers, until the end: looking up and hashing the numbers of a million
    open items took seconds at 10M invoices."""
    groups = hit.groupby(["account", "date"], sort=False)
    agg = groups.agg(amount=("amount", "sum"), oldest_due=("due_date", "min")).reset_index()
    agg["ids"] = _tuples_by(groups.ngroup().to_numpy(), positions, len(agg))
    return agg


def _plan_items(items: pd.DataFrame, groups: pd.Series, holds: pd.DataFrame | None,
                settings: PlanSettings) -> pd.DataFrame:
    """The open items a plan is about, with the debtor's group, the end of any hold and the account.

    An account is a debtor in one currency, numbered: reminders, their levels and their totals are
    per account, since amounts in two currencies do not add up (a debtor billed in euros and in
    dollars gets a reminder for each, as from two customer accounts in an ERP).
    """
    if not settings.remind_disputed and "disputed" in items:
        items = items[~items["disputed"].fillna(False).astype(bool)]
    items = _in_message_order(items)
    account = items.groupby(["customer_id", "currency"], dropna=False).ngroup().to_numpy()
    # The group as a category: item rows are filtered and taken many times, and a string column
    # (Arrow-backed) made up a tenth of the build at 10M invoices.
    group = items["customer_id"].map(groups).fillna("no_information").astype("category")
    # Consumers owe interest at their own rate and no compensation (arboard.interest); a debtor whose
    # type is not known is taken for a business, as most ledgers are.
    consumer = items["customer_type"].eq("B2C").to_numpy() if "customer_type" in items else False
    return items.assign(account=account, group=group, consumer=consumer,
                        held=held_until(items, holds if holds is not None else pd.DataFrame()).astype("datetime64[us]"))


def _in_message_order(items: pd.DataFrame) -> pd.DataFrame:
    """Items by due date, then number (the order messages list them), numbered from 0.
    :func:`open_items_for_plan` reads them in that order, so usually only the check runs."""
    due, ids = items["due_date"].to_numpy(), items["invoice_id"].to_numpy(dtype=object)
    if not ((due[1:] > due[:-1]) | ((due[1:] == due[:-1]) & (ids[1:] >= ids[:-1]))).all():
        items = items.sort_values(["due_date", "invoice_id"], kind="stable")
    return items.reset_index(drop=True)


def _levels_at_start(items: pd.DataFrame, playbooks: dict[str, Playbook], start: pd.Timestamp,
                     settings: PlanSettings) -> pd.DataFrame:
    """Per account with an overdue level reached by ``start``: ``level`` (the highest offset reached)
    and, when that is their playbook's last level, ``first_due``/``last_due`` (when an item first and
    last reached it). Items on hold when the plan starts do not count."""
    items = items.loc[~(items["held"] >= start), ["account", "group", "due_date"]]
    reached = []
    for group, book in playbooks.items():
        offsets = sorted({s.offset_days for s in book.steps if s.offset_days >= 0})
        mine = items[items["group"] == group]
        if not offsets or mine.empty:
            continue
        for off in offsets:
            when = on_contact_days(mine["due_date"] + pd.Timedelta(days=off), settings)
            hit = when <= start
            reached.append(pd.DataFrame({"account": mine.loc[hit, "account"], "level": off,
                                         "when": when[hit] if off == offsets[-1] else pd.NaT}))
    if not reached:
        return pd.DataFrame(columns=["level", "first_due", "last_due"], index=pd.Index([], name="account"))
    return pd.concat(reached).groupby("account").agg(level=("level", "max"), first_due=("when", "min"),
                                                     last_due=("when", "max"))


def _escalate(plan: pd.DataFrame, items: pd.DataFrame, steps: _Steps, start: pd.Timestamp,
              end: pd.Timestamp, settings: PlanSettings) -> pd.DataFrame:
    """Make a debtor's reminders escalate and never step back, then repeat the last step.

    Steps from the due date on are dunning levels, as in Odoo/OCA follow-ups: a debtor is at the
    highest level any of their items has reached (per account: a debtor billed in two currencies
    has two, each with its own reminders). A contact goes out when an item lifts the debtor
    to a higher level (it lists everything overdue); an item reaching a level the debtor is already
    at or past joins that contact instead of sending a milder message after a firmer one. Levels
    reached before the plan starts count as sent. At the last level the step repeats every
    ``settings.repeat_last_step_days`` days from when it was last due, unless it hands the claim over.
    Steps before the due date (heads-ups about what falls due) are left as they are.
    """
    pre, dun = plan[plan["offset_days"] < 0], plan[plan["offset_days"] >= 0]
    key = ["account", "date"]
    at_start = _levels_at_start(items, steps.playbooks, start, settings)
    level0 = at_start["level"]
    if not dun.empty:
        days = dun.groupby(key, sort=False)["offset_days"].max().rename("top").reset_index().sort_values(key)
        days["before"] = days.groupby("account")["top"].cummax().groupby(days["account"]).shift()
        days["before"] = np.fmax(days["before"], days["account"].map(level0)).fillna(-1)
        lifted = days.loc[days["top"] > days["before"], key + ["top"]]
        # Items whose own (milder) step falls on a contact day are listed by that contact too.
        dun = dun.merge(lifted, on=key)
        day_no = dun.groupby(key, sort=False).ngroup().to_numpy()
        days_ids = _tuples_by(day_no, dun["ids"].to_numpy(dtype=object), int(day_no.max()) + 1 if len(dun) else 0)
        same_day = [tuple(dict.fromkeys(i for ids in day for i in ids)) for day in days_ids]
        dun["ids"] = [same_day[d] for d in day_no]
        dun = dun[dun["offset_days"] == dun["top"]].drop(columns="top").reset_index(drop=True)
        row_no, pos = _flatten(dun["ids"])
        dun["amount"] = np.bincount(row_no, weights=items["amount"].to_numpy(dtype=float)[pos], minlength=len(dun))
        dun["oldest_due"] = (pd.Series(items["due_date"].to_numpy()[pos]).groupby(row_no).min()
                             .reindex(range(len(dun))).to_numpy())
    repeats = _repeats(dun, items, steps, start, end, settings, at_start["last_due"].dropna())
    parts = [p for p in (pre, dun, repeats) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else plan.iloc[:0].copy()


def _promise_calls(plan: pd.DataFrame, items: pd.DataFrame, promised: pd.DataFrame | None, steps: _Steps,
                   start: pd.Timestamp, end: pd.Timestamp, settings: PlanSettings) -> pd.DataFrame:
    """Calls about broken promises to pay: :data:`BROKEN_PROMISE_CALL` per account and day.

    A promise that ends in the plan's weeks with its invoice open (the plan assumes nothing more is
    paid, as for every step) brings a call on the first contact day after it ends; one that ended
    before the plan starts, on the first contact day of the plan, unless someone spoke with the
    debtor since (``followed_up``). A call listing several invoices whose promises end the same day
    is one call; it takes the place of the account's reminder that day (:func:`build_plan`). An
    invoice on hold then is called about when the hold ends. A debtor past a hand-over step (before
    the plan or in it) gets no call: the claim is with the agency, and a hand-over that falls on the
    day of a call goes out instead of it.
    """
    if not settings.call_broken_promises or promised is None or promised.empty:
        return plan.iloc[:0]
    todo = promised[promised["followed_up"].isna()]
    ends = pd.Series(todo["runs_until"].to_numpy(), index=todo["invoice_id"].to_numpy())
    mine = items[items["invoice_id"].isin(ends.index)]  # open and reminded (not disputed, unless set so)
    if mine.empty:
        return plan.iloc[:0]
    ended = pd.Series(mine["invoice_id"].map(ends).to_numpy(dtype="datetime64[us]"), index=mine.index)
    when = on_contact_days(ended.clip(lower=start) + pd.Timedelta(days=1), settings)
    held = mine["held"]
    when = when.where(~(when <= held), on_contact_days(held + pd.Timedelta(days=1), settings))
    hit = mine[when <= end].assign(date=when[when <= end])
    # Past a hand-over: before the plan starts (as handed_over() finds), or by the day of the call.
    gone = _past_hand_over(items[items["account"].isin(hit["account"].unique())], steps.playbooks, start,
                           settings).index
    over = [k for k, (_g, _no, step) in enumerate(steps.rows) if "hand_over" in step.actions]
    handed = plan[plan["step_key"].isin(over)].groupby("account")["date"].min()
    hit = hit[~hit["account"].isin(gone)]
    if len(handed):
        hit = hit[~(hit["date"] >= hit["account"].map(handed).astype(hit["date"].dtype))]
    out = [steps.stamp(_per_contact(part, part.index.to_numpy()), str(group), 0)
           for group, part in hit.groupby("group", observed=True) if len(part)]
    return pd.concat(out, ignore_index=True) if out else plan.iloc[:0]


def _promised(plan: pd.DataFrame, numbers: list, promised: pd.DataFrame | None) -> np.ndarray:
    """Per contact, the broken promises a call (step 0) is about: ``(invoice, promised date, amount)``;
    an empty tuple on every other contact. A promise with no amount recorded is for what is open."""
    out = np.empty(len(plan), dtype=object)
    out[:] = [()] * len(plan)
    calls = np.flatnonzero(plan["step_no"].to_numpy() == 0)
    if not len(calls) or promised is None:
        return out
    terms = dict(zip(promised["invoice_id"], zip(
        promised["promised_date"].dt.date, promised["promised_amount"].fillna(promised["open_amount"]).astype(float),
        strict=True), strict=True))
    ids = plan["ids"].to_numpy()
    out[calls] = [tuple((numbers[i], *terms[numbers[i]]) for i in ids[k] if numbers[i] in terms) for k in calls]
    return out


def _flatten(tuples: pd.Series, dtype=np.int64) -> tuple[np.ndarray, np.ndarray]:
    """Tuples (of item positions, by default) as (row number, value) arrays, row by row in order."""
    lengths = np.fromiter(map(len, tuples), dtype=np.int64, count=len(tuples))
    flat = np.fromiter(itertools.chain.from_iterable(tuples), dtype=dtype, count=int(lengths.sum()))
    return np.repeat(np.arange(len(tuples)), lengths), flat


def handed_over(items: pd.DataFrame, groups: pd.Series, playbooks: dict[str, Playbook], as_of: date, *,
                settings: PlanSettings = PlanSettings(), holds: pd.DataFrame | None = None,
                prepared: pd.DataFrame | None = None) -> pd.DataFrame:
    """Debtors already past a hand-over when the plan starts: the plan sends them nothing more.

    A playbook whose last step hands the claim over (``hand_over``) ends there; debtors who reached
    it before ``as_of`` are taken to be with the agency. Listing them keeps them from looking
    forgotten. ``prepared`` as for :func:`build_plan`.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, name, group, currency, overdue, items, since`` (when the first item reached the
        hand-over), largest overdue first.
    """
    columns = ["customer_id", "name", "group", "currency", "overdue", "items", "since"]
    df = _plan_items(items, groups, holds, settings) if prepared is None else prepared
    done = _past_hand_over(df, playbooks, pd.Timestamp(as_of), settings)
    if done.empty:
        return pd.DataFrame(columns=columns)
    mine = df[df["account"].isin(done.index) & (df["due_date"] < pd.Timestamp(as_of))]
    out = mine.groupby(["customer_id", "currency"]).agg(account=("account", "first"), name=("name", "first"),
                                                         group=("group", "first"),
                                                         overdue=("amount", "sum"), items=("invoice_id", "size"))
    out = out.reset_index().assign(since=lambda t: t["account"].map(done),
                                   group=lambda t: t["group"].astype(str))
    return out.sort_values(["overdue", "customer_id"], ascending=[False, True])[columns].reset_index(drop=True)


def _past_hand_over(items: pd.DataFrame, playbooks: dict[str, Playbook], start: pd.Timestamp,
                    settings: PlanSettings) -> pd.Series:
    """When the first item of each account past its playbook's hand-over step by ``start`` reached it
    (indexed by account): those claims are taken to be with the agency."""
    ends = {g for g, b in playbooks.items() if _hands_over(_last_level(b))}
    first_due = _levels_at_start(items[items["group"].isin(ends)], playbooks, start, settings)["first_due"]
    return first_due.dropna()


def _last_level(book: Playbook) -> list[tuple[int, Step]]:
    """The steps (numbered from 1) at a playbook's highest level from the due date on; empty when none."""
    overdue = [(no, s) for no, s in enumerate(book.steps, start=1) if s.offset_days >= 0]
    top = max((s.offset_days for _no, s in overdue), default=None)
    return [(no, s) for no, s in overdue if s.offset_days == top]


def _hands_over(steps: list[tuple[int, Step]]) -> bool:
    """Whether any of these steps hands the claim over: a playbook ending there sends nothing after it."""
    return any("hand_over" in s.actions for _no, s in steps)


def _repeats(dun: pd.DataFrame, items: pd.DataFrame, steps: _Steps, start: pd.Timestamp,
             end: pd.Timestamp, settings: PlanSettings, last_due: pd.Series) -> pd.DataFrame:
    """The last step again every ``repeat_last_step_days`` for debtors at their playbook's last level."""
    every = settings.repeat_last_step_days
    out = []
    for group, book in steps.playbooks.items():
        last = _last_level(book)
        if not every or not last or _hands_over(last):
            continue
        top = last[0][1].offset_days
        # From the last time the last level was due: in the plan, else before it started.
        in_plan = dun[(dun["group"] == group) & (dun["offset_days"] == top)].groupby("account")["date"].max()
        mine = items[items["group"] == group]
        # The unique ids first: isin against every item row of a large ledger took seconds.
        before = last_due[last_due.index.isin(mine["account"].unique())].astype("datetime64[us]")
        anchor = pd.concat([before, in_plan.astype("datetime64[us]")], axis=1).max(axis=1).dropna()
        if anchor.empty:
            continue
        n = ((end - anchor).dt.days // every).clip(lower=0)
        dates = pd.DataFrame({"account": anchor.index.repeat(n),
                              "k": np.concatenate([np.arange(1, m + 1) for m in n])})
        dates["date"] = anchor.reindex(dates["account"]).to_numpy() + pd.to_timedelta(dates["k"] * every, "D")
        dates = dates[dates["date"] > start]
        dates["date"] = on_contact_days(dates["date"], settings)
        dates = dates[(dates["date"] > start) & (dates["date"] <= end)].drop_duplicates(["account", "date"])
        # Each repeat is about everything overdue that day and not on hold.
        pairs = dates.merge(mine.reset_index(names="pos"), on="account")
        pairs = pairs[(pairs["due_date"] < pairs["date"]) & ~(pairs["date"] <= pairs["held"])]
        if pairs.empty:
            continue
        pairs = pairs.sort_values("pos", kind="stable")  # oldest first (_in_message_order)
        agg = _per_contact(pairs, pairs["pos"].to_numpy())
        out.extend(steps.stamp(agg.copy(), group, no) for no, _step in last)
    return pd.concat(out, ignore_index=True) if out else dun.iloc[:0]


def _statements(plan: pd.DataFrame, items: pd.DataFrame, credits: pd.DataFrame | None = None
                ) -> tuple[list[tuple[tuple[str, date, float], ...]], np.ndarray]:
    """Per contact, the items its message lists: the step's own and, from the due date on, every other
    item of the debtor overdue on the contact day (not on hold then), oldest first, then the debtor's
    credits in the contact's currency, as (number, due date or credit date, amount); and per contact
    the sum of those amounts.

    A reminder that lists everything overdue, less what the debtor has to their credit, is what
    debtors and dunning tools expect; a heads-up before the due date is about what falls due. The
    plan's ``amount`` stays what the step is about.
    """
    n = len(items)
    # Every contact with every item of its account, contact by contact and each account's items in
    # message order (oldest first, _plan_items): a join in numpy, already in the order listed.
    account = items["account"].to_numpy()
    by_account = np.argsort(account, kind="stable")
    counts = np.bincount(account)
    starts = np.cumsum(counts) - counts
    rank = np.empty(n, dtype=np.int64)  # an item's place among its account's items
    rank[by_account] = np.arange(n) - starts[account[by_account]]
    row_account = plan["account"].to_numpy()
    per_row = counts[row_account]
    first = np.cumsum(per_row) - per_row  # each contact's first pair
    row_no = np.repeat(np.arange(len(plan)), per_row)
    pos = by_account[np.repeat(starts[row_account] - first, per_row) + np.arange(int(per_row.sum()))]
    day = plan["date"].to_numpy()[row_no]
    held = items["held"].to_numpy()[pos]
    keep = ((plan["offset_days"].to_numpy() >= 0)[row_no] & (items["due_date"].to_numpy()[pos] < day)
            & ~(day <= held))
    # The step's own items (item positions, _per_contact), wherever their due date falls.
    own_row, own_pos = _flatten(plan["ids"])
    keep[first[own_row] + rank[own_pos]] = True
    row_no, pos = row_no[keep], pos[keep]
    # One tuple per open item, shared by every contact that lists it. Plain object arrays to zip:
    # iterating an Arrow-backed column costs a Python call per value.
    item = pd.Series(list(zip(items["invoice_id"].to_numpy(dtype=object), items["due_date"].dt.date.to_numpy(),
                              items["amount"].to_numpy(dtype=float), strict=True)), dtype=object).to_numpy()
    parts = [(row_no, item[pos], items["amount"].to_numpy(dtype=float)[pos])]
    if credits is not None and len(credits):
        reminders = plan[["customer_id", "currency", "offset_days"]].reset_index(names="row")
        lines = reminders[reminders["offset_days"] >= 0].merge(credits, on=["customer_id", "currency"])
        line_item = pd.Series(list(zip(lines["reference"].to_numpy(dtype=object), lines["date"].dt.date.to_numpy(),
                                       lines["amount"].to_numpy(dtype=float), strict=True)), dtype=object)
        parts.append((lines["row"].to_numpy(), line_item.to_numpy(), lines["amount"].to_numpy(dtype=float)))
    row_no, listed, amounts = (np.concatenate(p) for p in zip(*parts, strict=True))
    owed = np.bincount(row_no, weights=amounts, minlength=len(plan))
    return _tuples_by(row_no, listed, len(plan)), owed


def _tuples_by(rows: np.ndarray, values: np.ndarray, n: int) -> list[tuple]:
    """``values`` gathered per row number 0..n-1 in their order (a groupby with a Python call per group
    costs seconds at 1M invoices)."""
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(n + 1), side="left").tolist()
    listed = values[order].tolist()  # Python objects once; slicing a list is far cheaper than an array
    return [tuple(listed[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def spread_calls(plan: pd.DataFrame, settings: PlanSettings, *, until: date, rates: fx.Rates | None = None,
                 collectors: pd.Series | None = None) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Move phone calls beyond a day's capacity to the next contact days with room.

    Calls are taken day by day, the largest balances first (in the reporting currency of ``rates``
    when given, else at face value), so those keep their day; the rest move to the earliest later
    contact day with room. Calls that find no room up to ``until`` (the end of the plan) are left out.

    With ``settings.calls_per_collector`` and ``collectors`` (customer id → the collector who works
    the debtor, :func:`arboard.collectors.assigned`), each collector calls their own debtors, at most
    ``calls_per_agent_per_day`` a day; the agents call the debtors nobody works. Otherwise the team's
    ``agents × calls_per_agent_per_day`` calls a day are shared by all.

    Returns
    -------
    (plan, moved, left_out)
        The plan sorted as :func:`build_plan` sorts it, the number of calls moved, and the calls left
        out (rows of the plan, on the day the playbook set).
    """
    is_call = (plan["channel"] == "phone").to_numpy()
    per_collector = settings.calls_per_collector and collectors is not None
    pool = settings.agents * settings.calls_per_agent_per_day
    if (pool <= 0 and not per_collector) or not is_call.any():
        return plan, 0, plan.iloc[:0]
    calls = plan[is_call].assign(_worth=_worth(plan[is_call], rates))
    calls = calls.sort_values(["date", "_worth"], ascending=[True, False], kind="stable")
    first = calls["date"].min().to_datetime64().astype("datetime64[D]")
    last = np.datetime64(until, "D")
    days = np.arange(first, max(first, last) + 1)
    days = days[np.is_busday(days, **settings.calendar)]
    wanted = np.searchsorted(days, calls["date"].to_numpy().astype("datetime64[D]"))
    given = np.empty(len(calls), dtype=np.int64)
    if per_collector:
        who = calls["customer_id"].map(collectors).fillna("").to_numpy(dtype=object)
        for name in pd.unique(who):  # each collector's own day; "": the agents' pool
            mine = np.flatnonzero(who == name)
            given[mine] = _fit(wanted[mine], settings.calls_per_agent_per_day if name else pool, len(days))
    else:
        given[:] = _fit(wanted, pool, len(days))
    fits = given < len(days)
    new_dates = pd.Series(pd.NaT, index=calls.index, dtype=plan["date"].dtype)
    new_dates[fits] = days[given[fits]].astype(plan["date"].dtype)
    moved = int((fits & (given != wanted)).sum())
    left_out = plan.loc[calls.index[~fits]]  # in the order of ``calls``: by day, the largest first
    out = plan.copy()
    out.loc[calls.index, "date"] = new_dates
    out = out[out["date"].notna()]
    out = out.sort_values(["date", "customer_id", "step_no"], kind="stable").reset_index(drop=True)
    return out, moved, left_out.reset_index(drop=True)


def _fit(wanted: np.ndarray, capacity: int, n_days: int) -> np.ndarray:
    """The day each call gets (``n_days``: none), in the order given (by day, the largest first): its
    own when it has room, else the earliest later one with room."""
    used = np.zeros(n_days + 1, dtype=np.int64)  # the extra slot collects what does not fit
    given = np.empty(len(wanted), dtype=np.int64)
    if capacity <= 0:
        given[:] = n_days
        return given
    free = 0  # days before it are full; calls come in date order, so it only moves forward
    for i, want in enumerate(wanted):
        day = max(int(want), free)
        while day < n_days and used[day] >= capacity:
            day += 1
        if int(want) <= free:
            free = day
        used[day] += 1
        given[i] = day
    return given


def workload(plan: pd.DataFrame, settings: PlanSettings = PlanSettings(), *,
             collectors: pd.Series | None = None) -> pd.DataFrame:
    """Phone calls per working day against capacity: ``date, calls, capacity, overload``.

    With ``settings.calls_per_collector`` and ``collectors`` (as :func:`spread_calls` takes them), the
    capacity adds each collector's calls to the agents', and a day is overloaded when anyone on it has
    more calls than they can make.
    """
    pool = settings.agents * settings.calls_per_agent_per_day
    phone = plan[plan["channel"] == "phone"]
    calls = phone.groupby("date").size().rename("calls")
    out = calls.reset_index() if len(calls) else pd.DataFrame({"date": [], "calls": []})
    if settings.calls_per_collector and collectors is not None:
        team = collectors.dropna().nunique()
        out["capacity"] = pool + team * settings.calls_per_agent_per_day
        who = phone["customer_id"].map(collectors).fillna("")
        per = phone.groupby([phone["date"], who]).size()
        limit = np.where(per.index.get_level_values(1) == "", pool, settings.calls_per_agent_per_day)
        over = per[per.to_numpy() > limit].index.get_level_values(0).unique()
        out["overload"] = out["date"].isin(over)
    else:
        out["capacity"] = pool
        out["overload"] = out["calls"] > pool
    return out


def costs(plan: pd.DataFrame, settings: PlanSettings = PlanSettings()) -> pd.DataFrame:
    """Contacts and cost per channel: ``channel, contacts, unit_cost, cost``."""
    unit = dict(settings.unit_costs)
    out = plan.groupby("channel").size().rename("contacts").reset_index()
    out["unit_cost"] = out["channel"].map(unit).fillna(0.0)
    out["cost"] = out["contacts"] * out["unit_cost"]
    return out


def _day_numbers(plan: pd.DataFrame) -> np.ndarray:
    """The plan's contact dates as day numbers."""
    return plan["date"].to_numpy().astype("datetime64[D]").astype(np.int64)


def _contacts_in_week(codes: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contacts ordered by debtor code and day, and for each in that order how many of the debtor's
    contacts fall in the 7 days from its own."""
    key = codes.astype(np.int64) * 10**6 + days
    order = np.argsort(key, kind="stable")
    key = key[order]
    return order, np.searchsorted(key, key + 7, side="left") - np.arange(len(key))


def pressure_violations(plan: pd.DataFrame, settings: PlanSettings = PlanSettings()) -> pd.DataFrame:
    """Debtors contacted more than the allowed number of times in any 7 days: the first day of each
    such window with its count (``customer_id, name, window_start, contacts``)."""
    if plan.empty:
        return pd.DataFrame(columns=["customer_id", "name", "window_start", "contacts"])
    order, counts = _contacts_in_week(pd.factorize(plan["customer_id"], sort=True)[0], _day_numbers(plan))
    bad = counts > settings.max_contacts_per_7_days
    rows = plan.iloc[order][bad]
    out = pd.DataFrame({"customer_id": rows["customer_id"].to_numpy(), "name": rows["name"].to_numpy(),
                        "window_start": rows["date"].dt.date.to_numpy(), "contacts": counts[bad]})
    return out.drop_duplicates("customer_id").reset_index(drop=True)


def enforce_pressure(plan: pd.DataFrame, settings: PlanSettings = PlanSettings()) -> pd.DataFrame:
    """Drop contacts beyond the allowed number per debtor in any 7 days.

    Reminders about what is overdue come first, heads-ups before a due date second, the earliest
    first within each: a courtesy nudge about next week's invoice must not take the place of a call
    about one that is 60 days late (on a 1M-invoice ledger, all 730 overdue contacts the limit dropped
    when it kept the earliest ones had been pushed out by such a heads-up).
    """
    if plan.empty:
        return plan
    plan = plan.reset_index(drop=True)
    limit = settings.max_contacts_per_7_days
    codes, day_no = pd.factorize(plan["customer_id"])[0], _day_numbers(plan)
    # Only debtors with a crowded week go through the loop below (a small share of them).
    order, counts = _contacts_in_week(codes, day_no)
    crowded = np.unique(codes[order][counts > limit])
    if not len(crowded):
        return plan
    mine = np.isin(codes, crowded)
    order = np.lexsort((plan["step_no"].to_numpy()[mine], day_no[mine], plan["offset_days"].to_numpy()[mine] < 0,
                        codes[mine]))
    rows = np.flatnonzero(mine)[order]
    # Plain Python lists in the loop: it is sequential (what was kept decides what comes next).
    days, customers = day_no[rows].tolist(), codes[rows].tolist()
    keep = np.ones(len(plan), dtype=bool)
    kept: list[int] = []  # this debtor's kept days, ascending
    previous = -1
    for pos, day, customer in zip(rows.tolist(), days, customers, strict=True):
        if customer != previous:
            kept, previous = [], customer
        # Every 7-day window holding ``day`` must stay within the limit; the fullest starts on a kept day
        # (or on ``day``) at most 6 days before it.
        lo = bisect.bisect_left(kept, day - 6)
        hi = bisect.bisect_right(kept, day + 6)
        near = kept[lo:hi]
        if len(near) >= limit and any(
                bisect.bisect_right(near, start + 6) - bisect.bisect_left(near, start) >= limit
                for start in [*near[:bisect.bisect_right(near, day)], day] if start >= day - 6):
            keep[pos] = False
        else:
            bisect.insort(kept, day)
    return plan[keep].reset_index(drop=True)


def response_rates(engine: Engine, as_of: date, *, lookback_days: int = 365) -> dict[str, float]:
    """Historical share of reminded invoices settled within 30 days of the reminder, per channel."""
    con, inv = schema.contacts, schema.invoices
    paid = sa.and_(inv.c.paid_date.is_not(None), inv.c.paid_date <= con.c.contact_date + sa.literal(30),
                   inv.c.paid_date <= as_of)
    q = (sa.select(con.c.channel, sa.func.count(), sa.func.sum(sa.case((paid, 1), else_=0)))
         .select_from(con.join(inv, inv.c.invoice_id == con.c.invoice_id))
         .where(con.c.contact_date <= as_of, con.c.contact_date > as_of - timedelta(days=lookback_days))
         .group_by(con.c.channel))
    with engine.connect() as conn:
        return {c: float(ok or 0) / n for c, n, ok in conn.execute(q).all() if n}


def expected_collections(plan: pd.DataFrame, rates: dict[str, float], *, fx_rates: fx.Rates | None = None
                         ) -> pd.DataFrame:
    """Expected cash per group: the amounts a group's contacts are about, times the channel's history.

    Each invoice a debtor's contacts list counts once (a debtor reminded three times of the same
    invoice owes it once), at the best rate among the debtor's planned contacts. A channel with no
    past contacts has no rate: a debtor contacted only on such channels is in ``targeted`` and
    ``unknown`` (the amount no history speaks for), not in ``expected`` (NaN when no debtor of the
    group has a rate). A ledger loaded without contacts would otherwise expect nothing at all.
    Amounts add up in the reporting currency of ``fx_rates`` when given, else at face value.
    """
    if plan.empty:
        return pd.DataFrame(columns=["group", "targeted", "expected", "unknown"])
    p = plan.assign(rate=plan["channel"].map(rates).astype(float))
    row_no, flat = _flatten(p["statement"], dtype=object)
    # The contacts listing an item share one tuple for it (_statements): distinct tuples first, a cheap
    # cut of the millions of lines at 10M invoices (exploding them took 4 s), then distinct numbers.
    _, first = np.unique(np.fromiter(map(id, flat), dtype=np.uint64, count=len(flat)), return_index=True)
    rows = row_no[first]
    lines = pd.DataFrame({"customer_id": p["customer_id"].to_numpy(dtype=object)[rows],
                          "number": [flat[i][0] for i in first.tolist()],
                          "amount": [float(flat[i][2]) for i in first.tolist()]})
    if fx_rates is not None and fx_rates.active:
        lines["amount"] = fx_rates.convert(lines["amount"], pd.Series(p["currency"].to_numpy(dtype=object)[rows]))
    lines = lines[lines["amount"] > 0].drop_duplicates(["customer_id", "number"])  # credits are not collected
    per = p.groupby("customer_id").agg(group=("group", "first"), rate=("rate", "max"))
    per["targeted"] = lines.groupby("customer_id")["amount"].sum().reindex(per.index).fillna(0.0)
    per["expected"] = per["targeted"] * per["rate"]
    per["unknown"] = per["targeted"].where(per["rate"].isna(), 0.0)
    out = per.groupby("group").agg(targeted=("targeted", "sum"), unknown=("unknown", "sum"))
    out["expected"] = per.groupby("group")["expected"].sum(min_count=1)
    return out.reset_index()[["group", "targeted", "expected", "unknown"]]


def message_context(row, *, pay_link: str = PAY_LINK) -> MessageContext:
    """What the message of one planned contact (a row of :func:`build_plan`) may say."""
    statement = tuple(row.statement) or ((str(row.invoices), row.oldest_due.date(), float(row.amount)),)
    owed = [d for _n, d, a in statement if a > 0] or [d for _n, d, _a in statement]  # credits are not overdue
    offered = getattr(row, "offer_count", None)  # missing on plans made before instalments were offered
    return MessageContext(debtor_name=str(row.name), open_amount=sum(a for _n, _d, a in statement),
                          currency=str(row.currency), oldest_due_date=min(owed),
                          invoices=statement, pay_link=sender.link(pay_link, row.customer_id),
                          locale=row.locale if isinstance(row.locale, str) else None,
                          fee=float(getattr(row, "fee", 0.0) or 0.0),
                          interest=float(getattr(row, "interest", 0.0) or 0.0),
                          interest_rate=float(getattr(row, "interest_rate", 0.0) or 0.0),
                          interest_earlier=_tuple(getattr(row, "interest_earlier", ())),
                          compensation=float(getattr(row, "compensation", 0.0) or 0.0),
                          # missing (or NaN) on plans made before promise calls said more
                          promised=_tuple(getattr(row, "promised", ())),
                          day=pd.Timestamp(row.date).date() if pd.notna(row.date) else None,
                          offer_count=int(offered) if pd.notna(offered) else instalments.DEFAULT_COUNT)


def _tuple(value: object) -> tuple:
    """A tuple column's cell as a tuple: missing (a plan made before it had the column) or NaN is ()."""
    return value if isinstance(value, tuple) else ()


def _previewed(plan: pd.DataFrame, group: str) -> pd.Series:
    """The contacts a playbook's steps made (``group``), or the calls about broken promises
    (:data:`PROMISE_CALL_KEY`: any group's)."""
    return plan["step_no"] == 0 if group == PROMISE_CALL_KEY else plan["group"] == group


def preview_candidates(plan: pd.DataFrame, group: str, *, limit: int = 500) -> pd.DataFrame:
    """Debtors to preview a playbook's messages with (``group``, or :data:`PROMISE_CALL_KEY` for the
    call about a broken promise): ``customer_id, name``, those it planned contacts for first."""
    mine = _previewed(plan, group)
    ordered = pd.concat([plan[mine], plan[~mine]])
    return ordered.drop_duplicates("customer_id").head(limit)[["customer_id", "name"]]


def preview_contact(plan: pd.DataFrame, customer_id: str, group: str, step_no: int):
    """The planned contact of a debtor to preview a step with: that step's own when planned, else the
    debtor's first (a row as :meth:`pandas.DataFrame.itertuples` gives it, for :func:`message_context`).
    ``group`` :data:`PROMISE_CALL_KEY`: the debtor's call about a broken promise."""
    rows = plan[plan["customer_id"] == customer_id]
    same = rows[_previewed(rows, group) & (rows["step_no"] == (0 if group == PROMISE_CALL_KEY else step_no))]
    return next((same if len(same) else rows).itertuples(index=False))


def render_messages(plan: pd.DataFrame, *, pay_link: str = PAY_LINK) -> pd.DataFrame:
    """Add the rendered ``message`` (and its SMS segment count) to each planned contact.

    A template that cannot be rendered gives its problem as the message, prefixed with "[template
    error]", so a plan is never lost to one bad template.
    """
    messages, segments = [], []
    for row in plan.itertuples(index=False):
        try:
            text = render(row.template, message_context(row, pay_link=pay_link))
        except TemplateProblem as exc:
            text = f"[template error] {exc}"
        messages.append(text)
        segments.append(sms_segments(text) if row.channel == "sms" else 0)
    return plan.assign(message=messages, sms_segments=segments)


# The plan's money columns, formatted as money in exports.
MONEY_COLUMNS = ("amount", "fee", "interest", "compensation", "total_due")

# Plain-language headers for the plan's columns where people read them (pages); files keep the field names.
LABELS = {"date": "Planned for", "customer_id": "Debtor ID", "name": "Debtor", "collector": "Collector",
          "group": "Group", "step": "Step",
          "channel": "Channel", "tone": "Tone", "actions": "Actions", "contact": "Sent to", "currency": "Currency",
          "amount": "Amount", "invoices": "Invoices", "fee": "Fee", "interest": "Interest",
          "compensation": "Compensation", "total_due": "Total due", "message": "Message",
          "last_note": "Last note",
          "contacts": "Contacts", "window_start": "7 days from", "targeted": "Amount contacted",
          "expected": "Expected to come in", "unit_cost": "Unit cost", "cost": "Cost"}


def _worth(plan: pd.DataFrame, rates: fx.Rates | None) -> pd.Series:
    """The balance each contact asks for (``total_due``: everything overdue it lists, less credits,
    plus any fee, interest and compensation; ``amount`` on a plan without it), comparable across
    currencies: in the reporting currency of ``rates`` when given and set, else at face value (a rate
    missing: face value)."""
    due = plan["total_due" if "total_due" in plan else "amount"]
    if rates is None or not rates.active:
        return due.astype(float)
    return rates.convert(due, plan["currency"])


def work_list(plan: pd.DataFrame, day: date, *, channel: str | None = None, rates: fx.Rates | None = None,
              pay_link: str = PAY_LINK, collectors: pd.Series | None = None,
              collector: str | None = None) -> pd.DataFrame:
    """One day's contacts to work through (on one ``channel``, or all), the largest balances first.

    What a collector takes on a morning: the calls with their scripts, the letters to print, the
    e-mails and texts to send. Balances (``total_due``) rank in the reporting currency of ``rates``
    when given, as :func:`spread_calls` ranks calls; ties by debtor.

    Parameters
    ----------
    collectors
        Customer id → collector (:func:`arboard.collectors.assigned`): the list gets a ``collector``
        column, and with ``collector`` holds that collector's debtors only
        (:data:`arboard.openitems.NO_COLLECTOR`: the debtors nobody works).

    Returns
    -------
    pandas.DataFrame
        :func:`export_table` columns, rendered messages included.
    """
    mine = plan[(plan["date"] == pd.Timestamp(day)) & ((plan["channel"] == channel) if channel else True)]
    if collectors is not None:
        mine = mine.assign(collector=mine["customer_id"].map(collectors))
        if collector is not None:
            mine = mine[worked_by(mine["collector"], collector)]
    mine = mine.assign(_worth=_worth(mine, rates)).sort_values(["_worth", "customer_id"], ascending=[False, True],
                                                               kind="stable")
    return export_table(render_messages(mine.drop(columns="_worth"), pay_link=pay_link)).reset_index(drop=True)


def work_days(plan: pd.DataFrame) -> list[date]:
    """The days a plan has contacts on, in order."""
    return sorted(pd.to_datetime(plan["date"]).dt.date.unique())


def export_table(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan as exported: one row per contact with date, debtor, group, step, channel, detail, message."""
    out = plan.assign(date=plan["date"].dt.date)
    who = ["collector"] if "collector" in plan else []  # a work list with the collectors named
    return out[["date", "customer_id", "name", *who, "group", "step", "channel", "tone", "actions", "contact",
                "currency", "amount", "invoices", "fee", "interest", "compensation", "total_due", "message"]]


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A plan table (or part of one) for people: group names and actions in words."""
    from arboard.segments import SUBGROUP_LABELS

    out = table.copy()
    if "group" in out:
        out["group"] = out["group"].map(SUBGROUP_LABELS).fillna(out["group"])
    if "actions" in out:
        out["actions"] = [", ".join(ACTION_LABELS.get(a.strip(), a.strip()) for a in str(v).split(",") if a.strip())
                          for v in out["actions"].fillna("")]
    return out


def make_plan(engine: Engine, as_of: date, *, settings: PlanSettings = PlanSettings(), config=None,
              enforce: bool = True, spread: bool = False, lookback_days: int = 365) -> pd.DataFrame:
    """The whole pipeline as the CLI and the page use it: profiles → groups → playbooks → plan.

    Parameters
    ----------
    config
        A :class:`arboard.segments.SegmentConfig` (default thresholds when None).
    enforce
        Drop contacts beyond the pressure limit (they are listed by :func:`pressure_violations`
        on the plan before enforcement).
    spread
        Move calls beyond the team's daily capacity to later days (:func:`spread_calls`), before
        the pressure limit is applied.
    """
    from arboard import collectors  # who works which debtor: each collector's calls, when they call their own

    inputs = plan_inputs(engine, as_of, config=config, lookback_days=lookback_days)
    return finish_plan(inputs.build(as_of, settings), as_of, settings, enforce=enforce, spread=spread,
                       rates=fx.load(engine),
                       collectors=collectors.assigned(engine) if settings.calls_per_collector else None).plan


PAID_BY_CASH_LABELS = {"invoice_id": "Invoice", "customer_id": "Debtor ID", "name": "Debtor", "currency": "Currency",
                      "due_date": "Due date", "open": "Open", "payment_id": "Payment on account",
                      "applied": "It pays", "match": "Match", "confidence": "Confidence"}


@dataclass
class PlanInputs:
    """What a plan is made from, read once: open items, groups, channels, playbooks, holds, credits."""

    items: pd.DataFrame
    groups: pd.Series
    best_channel: pd.Series
    playbooks: dict[str, Playbook]
    holds: pd.DataFrame
    credits: pd.DataFrame
    promises: pd.DataFrame  # running and lately broken promises to pay (arboard.promises.promises)
    promise_call: Step = BROKEN_PROMISE_CALL  # what the call about a broken promise is (load_promise_call)
    # The clearing lines of the cash on account (arboard.unapplied.match_payments): none, none applied.
    cash: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=unapplied.LINE_COLUMNS))
    # The items prepared for a plan, per the settings they depend on (remind disputed, pause promised, apply
    # cash), and the cash taken as applied: the plan, the hand-over list and the credit-hold list share them
    # (preparing them twice took 0.7 s at 10M invoices).
    _prepared: dict = field(default_factory=dict, repr=False, compare=False)

    def pauses(self, settings: PlanSettings) -> pd.DataFrame:
        """The holds, and the running promises as invoice holds when the settings pause promised invoices."""
        if not settings.pause_promised or self.promises.empty:
            return self.holds
        paused = promises.pauses(self.promises)
        return pd.concat([self.holds[paused.columns], paused], ignore_index=True) if len(self.holds) else paused

    def applied(self, settings: PlanSettings) -> unapplied.Applied:
        """The matches of cash on account these settings count as applied (:func:`arboard.unapplied.as_applied`)."""
        key = ("applied", settings.apply_cash)
        if key not in self._prepared:
            self._prepared[key] = unapplied.as_applied(self.cash, least=settings.apply_cash)
        return self._prepared[key]

    def settled(self, settings: PlanSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The open items and credits once that cash is applied (:func:`settle_cash`)."""
        key = ("settled", settings.apply_cash)
        if key not in self._prepared:
            self._prepared[key] = settle_cash(self.items, self.credits, self.applied(settings))
        return self._prepared[key]

    def paid_by_cash(self, settings: PlanSettings) -> pd.DataFrame:
        """The open invoices that cash on account most likely pays, under these settings: the plan leaves
        them out, or reminds what a part payment leaves open. One row per invoice and payment:
        ``invoice_id, customer_id, name, currency, due_date, open, payment_id, applied, match,
        confidence``, the oldest first (:data:`PAID_BY_CASH_LABELS`)."""
        taken = self.applied(settings).lines
        mine = self.items[["invoice_id", "customer_id", "name", "currency", "due_date", "amount"]]
        out = (taken.loc[taken["item"].notna(), ["item", "payment_id", "apply", "match", "confidence"]]
               .merge(mine, left_on="item", right_on="invoice_id")  # credit notes are not reminded: left out
               .rename(columns={"amount": "open", "apply": "applied"}))
        return out.sort_values(["due_date", "invoice_id", "payment_id"], kind="stable")[
            list(PAID_BY_CASH_LABELS)].reset_index(drop=True)

    def prepared(self, settings: PlanSettings) -> pd.DataFrame:
        """The open items as a plan under these settings sees them: with the debtor's ``group``, ``account``
        and the end of any hold or promise pause (``held``), disputed ones left out unless reminded, and
        what cash on account most likely pays left out (``apply_cash``)."""
        key = (settings.remind_disputed, settings.pause_promised, settings.apply_cash)
        if key not in self._prepared:
            items = self.settled(settings)[0]
            self._prepared[key] = _plan_items(items, self.groups, self.pauses(settings), settings)
        return self._prepared[key]

    def build(self, as_of: date, settings: PlanSettings) -> pd.DataFrame:
        """The plan before the pressure limit and call spreading (:func:`build_plan`)."""
        items, credits = self.settled(settings)
        return build_plan(items, self.groups, self.best_channel, self.playbooks, as_of, settings=settings,
                          holds=self.holds, credits=credits, promised=self.promises,
                          prepared=self.prepared(settings), promise_call=self.promise_call)

    def handed_over(self, as_of: date, settings: PlanSettings) -> pd.DataFrame:
        """Debtors past a hand-over (:func:`handed_over`)."""
        return handed_over(self.settled(settings)[0], self.groups, self.playbooks, as_of, settings=settings,
                           holds=self.holds, prepared=self.prepared(settings))


def plan_inputs(engine: Engine, as_of: date, *, config=None, lookback_days: int = 365,
                profile_frame: pd.DataFrame | None = None, promise_frame: pd.DataFrame | None = None,
                customer_id: str | None = None, cash: pd.DataFrame | None = None) -> PlanInputs:
    """Read what :func:`build_plan` needs as of ``as_of`` (segments under ``config``, default thresholds
    when None); the open items and credits of one debtor with ``customer_id``. ``profile_frame`` and
    ``promise_frame`` (:func:`arboard.promises.promises` of every debtor as of ``as_of``) and ``cash``
    (the clearing lines of :func:`arboard.unapplied.match_payments` as of ``as_of``, saved rules)
    save reading them again when the caller has them. One debtor's own matches leave out their
    invoices another debtor's payment pays (never a High match); ``cash`` of the whole ledger has them."""
    from arboard import profiles, segments

    prof = profile_frame if profile_frame is not None else profiles.debtor_profiles(engine, as_of,
                                                                                     lookback_days=lookback_days)
    groups = pd.Series(segments.assign(prof, config or segments.SegmentConfig()).to_numpy(),
                       index=prof["customer_id"])
    return PlanInputs(open_items_for_plan(engine, as_of, customer_id=customer_id), groups,
                      prof.set_index("customer_id")["best_channel"], load_playbooks(engine),
                      active_holds(engine, as_of), open_credits_for_plan(engine, as_of, customer_id=customer_id),
                      promises.promises(engine, as_of, customer_id=customer_id) if promise_frame is None
                      else promise_frame if customer_id is None
                      else promise_frame[promise_frame["customer_id"] == customer_id],
                      load_promise_call(engine),
                      unapplied.match_payments(engine, as_of, customer_id=customer_id).lines if cash is None else cash)


@dataclass
class FinishedPlan:
    """A plan after the pressure limit and the call capacity, with what they did."""

    plan: pd.DataFrame
    violations: pd.DataFrame  # of the plan as the playbooks made it (see pressure_violations)
    calls_moved: int = 0
    calls_left_out: pd.DataFrame | None = None  # rows of the plan that found no day with room


def finish_plan(plan: pd.DataFrame, as_of: date, settings: PlanSettings, *, enforce: bool = True,
                spread: bool = False, rates: fx.Rates | None = None,
                collectors: pd.Series | None = None) -> FinishedPlan:
    """Apply the contact-pressure limit and spread calls over the team's capacity.

    The limit goes first, so that calls it drops free room for others; spreading moves calls to
    later days, so the limit is applied once more on the result (the limit always wins). ``rates``
    rank calls of several currencies; ``collectors`` give each collector their own calls
    (:func:`spread_calls`).
    """
    violations = pressure_violations(plan, settings)
    if enforce:
        plan = enforce_pressure(plan, settings)
    moved, left_out = 0, plan.iloc[:0]
    if spread:
        plan, moved, left_out = spread_calls(plan, settings, until=plan_end(as_of, settings), rates=rates,
                                             collectors=collectors)
        if enforce:
            plan = enforce_pressure(plan, settings)
    return FinishedPlan(plan, violations, moved, left_out)


def debtor_plan(engine: Engine, as_of: date, customer_id: str, *, settings: PlanSettings = PlanSettings(),
                profile_frame: pd.DataFrame | None = None, config=None) -> pd.DataFrame:
    """The planned contacts of one debtor, as :func:`make_plan` would schedule them (for its timeline).

    Calls are shown on the day the playbook sets: spreading them over the team's capacity depends
    on every other debtor's plan. ``profile_frame`` (debtor profiles as of ``as_of``) saves
    recomputing them.
    """
    return debtor_outlook(engine, as_of, customer_id, settings=settings, profile_frame=profile_frame,
                          config=config)[0]


def why_no_contact(engine: Engine, as_of: date, customer_id: str, *, settings: PlanSettings = PlanSettings(),
                   profile_frame: pd.DataFrame | None = None, config=None) -> str:
    """Why :func:`debtor_plan` has nothing for a debtor, in a credit manager's words (a debtor with a
    large overdue balance and no contact looks forgotten otherwise)."""
    inputs = plan_inputs(engine, as_of, config=config, profile_frame=profile_frame, customer_id=customer_id)
    return _why_no_contact(inputs, as_of, customer_id, settings)


def debtor_outlook(engine: Engine, as_of: date, customer_id: str, *, settings: PlanSettings = PlanSettings(),
                   profile_frame: pd.DataFrame | None = None, config=None, cash: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, str | None]:
    """:func:`debtor_plan` and, when it is empty, :func:`why_no_contact`, from one read of the
    debtor's plan inputs (the Debtors page shows both); ``cash`` as for :func:`plan_inputs`."""
    inputs = plan_inputs(engine, as_of, config=config, profile_frame=profile_frame, customer_id=customer_id,
                         cash=cash)
    plan = enforce_pressure(inputs.build(as_of, settings), settings)
    return plan, (_why_no_contact(inputs, as_of, customer_id, settings) if plan.empty else None)


def _why_no_contact(inputs: PlanInputs, as_of: date, customer_id: str, settings: PlanSettings) -> str:
    if inputs.items.empty:
        return "nothing of theirs is open"
    items = inputs.settled(settings)[0]
    if items.empty:  # every open item is most likely paid by cash on account the ERP has not applied
        taken = inputs.applied(settings).lines
        paying = sorted(set(taken.loc[taken["item"].isin(inputs.items["invoice_id"]), "payment_id"]))
        named = first_few(paying)
        return (f"cash on account most likely pays all they have open (payment{'s' if len(paying) > 1 else ''} "
                f"{named}, not applied in the ERP yet: see Unapplied cash)")
    handed = inputs.handed_over(as_of, settings)
    if len(handed):
        return (f"they passed the hand-over step of their playbook on {handed['since'].min():%d %b %Y}, so the "
                "claim is taken to be with the collection agency")
    mine = inputs.holds[inputs.holds["customer_id"] == customer_id]
    whole = mine[mine["invoice_id"].isna()]
    if len(whole):
        until = whole["until"]
        return "they are on hold " + ("until lifted" if until.isna().any() else f"until {max(until):%d %b %Y}")
    disputed = items["disputed"].fillna(False).astype(bool)
    if not settings.remind_disputed and disputed.all():
        return "everything they have open is disputed, and disputes are left to dispute resolution"
    running = promises.only(inputs.promises, False)
    reminded = items if settings.remind_disputed else items[~disputed]
    if settings.pause_promised and len(running) and set(reminded["invoice_id"]) <= set(running["invoice_id"]):
        return (f"they promised to pay by {running['promised_date'].max():%d %b %Y}; reminders wait until "
                f"{running['runs_until'].max():%d %b %Y} ({promises.PROMISE_GRACE_DAYS} days' grace for the payment "
                "to arrive), and resume if the promise is broken")
    return "no step of their playbook falls due on their open items in the plan's weeks"


def broken_promise_calls(plan: pd.DataFrame) -> pd.DataFrame:
    """The contacts of a plan that are calls about a broken promise (:data:`BROKEN_PROMISE_CALL`)."""
    return plan[plan["step_no"] == 0]


def interest_claimed(plan: pd.DataFrame) -> tuple[int, int]:
    """How many of the plan's messages claim late-payment interest or compensation, and to how many
    debtors. Not what they claim in all: a letter that repeats claims again what the one before it did."""
    claiming = plan.loc[(plan["interest"] > 0) | (plan["compensation"] > 0), "customer_id"]
    return len(claiming), claiming.nunique()


def contacts_per_week(plan: pd.DataFrame, by: str) -> pd.DataFrame:
    """Planned contacts per week (starting Monday) and ``by`` (channel or group): ``week, <by>, contacts``."""
    if plan.empty:
        return pd.DataFrame(columns=["week", by, "contacts"])
    week = (plan["date"] - pd.to_timedelta(plan["date"].dt.weekday, unit="D")).dt.normalize()
    return plan.assign(week=week).groupby(["week", by]).size().rename("contacts").reset_index()


def steps_table(playbook: Playbook) -> pd.DataFrame:
    """A playbook as an editable table."""
    return pd.DataFrame([{"offset_days": s.offset_days, "name": s.name, "channel": s.channel, "tone": s.tone,
                          "actions": ", ".join(s.actions), "fee": s.fee, "interest": s.interest,
                          "template": s.template}
                         for s in playbook.steps],
                        columns=["offset_days", "name", "channel", "tone", "actions", "fee", "interest", "template"])


def playbook_from_table(group: str, table: pd.DataFrame) -> Playbook:
    """Read an edited steps table back (sorted by offset); :class:`ArboardError` says what is wrong."""
    from arboard.messages import check, fields_used

    steps = []
    for n, row in enumerate(table.dropna(how="all").itertuples(index=False), start=1):
        try:
            offset = int(row.offset_days)
        except (TypeError, ValueError):
            raise ArboardError(f"Step {n}: the offset must be a whole number of days.") from None
        actions = tuple(a.strip() for a in str(row.actions or "").split(",") if a.strip())
        template = str(row.template or "")
        try:
            check(template)
        except TemplateProblem as exc:
            raise ArboardError(f"Step {n} ({row.name or 'unnamed'}): {exc}") from None
        fee = getattr(row, "fee", 0.0)
        try:
            fee = 0.0 if fee is None or pd.isna(fee) else float(fee)
        except (TypeError, ValueError):
            raise ArboardError(f"Step {n}: the fee must be an amount, like 5.00.") from None
        claims = getattr(row, "interest", False)
        claims = bool(claims) if claims is not None and not pd.isna(claims) else False
        unsaid = {"interest", "compensation"} - fields_used(template) if claims else set()
        if unsaid:  # the total would hold a charge the message does not name
            raise ArboardError(f"Step {n} ({row.name or 'unnamed'}) claims late-payment interest: its message must "
                               f"say it with {' and '.join('{{ ' + f + ' }}' for f in sorted(unsaid))}.")
        steps.append(Step(offset, str(row.channel), str(row.tone), template, actions, str(row.name or ""), fee,
                          claims))
    if not steps:
        raise ArboardError("A playbook needs at least one step.")
    return Playbook(group, tuple(sorted(steps, key=lambda s: s.offset_days)))
