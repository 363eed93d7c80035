"""The canonical AR data model as SQLAlchemy Core metadata.

Dates are DATE columns and money is NUMERIC(18, 2) on every backend. Only ``invoices`` is
required; ``customers`` are derived from invoices when absent, ``payments`` and ``contacts``
enrich the picture (partial payments, reminders, promises to pay).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _pk(column: str) -> sa.PrimaryKeyConstraint:
    """Primary key, enforced by PostgreSQL.

    DuckDB would maintain an ART index on every bulk load (several times the cost of the load
    itself at millions of rows); there :mod:`arboard.store` keeps ids unique on write instead.
    """
    return sa.PrimaryKeyConstraint(column).ddl_if(dialect="postgresql")


Money = sa.Numeric(18, 2)

CHANNELS = ("email", "sms", "letter", "phone", "portal")
CONTACT_KINDS = ("reminder", "call", "letter", "promise_to_pay", "payment_plan", "dispute")
OUTCOMES = ("no_response", "responded", "promised", "paid", "bounced")
# Ids of the contacts logged in arboard itself (arboard.logbook): an import that replaces the contacts keeps them.
LOGGED_CONTACT_PREFIX = "ARB-"
# Ids of the payments arboard records for an invoices file's open amounts (what part payments left
# open, as an aging report gives it): a payments import for those invoices takes their place.
OPEN_AMOUNT_PREFIX = "ARB-OPEN-"
OPEN_AMOUNT_METHOD = "open amount in invoices file"
CUSTOMER_TYPES = ("B2B", "B2C")

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", sa.String(100), nullable=False),
    _pk("customer_id"),
    sa.Column("name", sa.String(300)),
    sa.Column("country", sa.String(100)),
    sa.Column("industry", sa.String(200)),
    sa.Column("customer_type", sa.String(3)),
    sa.Column("credit_limit", Money),
    sa.Column("credit_score", sa.Float),
    sa.Column("email", sa.String(300)),
    sa.Column("phone", sa.String(100)),
    sa.Column("preferred_channel", sa.String(10)),
    sa.Column("created_at", sa.Date),
    # Locale for message formatting (Babel), e.g. "de_DE"; optional.
    sa.Column("locale", sa.String(20)),
    # Channels the customer has not consented to (comma-separated: "email,sms"); consent wins.
    sa.Column("opt_out", sa.String(100)),
    # Postal address, for letters and statements of account (the country is ``country``).
    sa.Column("street", sa.String(300)),
    sa.Column("postal_code", sa.String(20)),
    sa.Column("city", sa.String(100)),
    # Who in the credit team works this debtor (their portfolio): the work list, the debtor list and
    # every breakdown filter or group by it. Set from the customer master or on the Debtors page.
    sa.Column("collector", sa.String(100)),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("invoice_id", sa.String(100), nullable=False),
    _pk("invoice_id"),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    # A negative amount is a credit note.
    sa.Column("amount", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    # The date the invoice was fully settled; NULL while open.
    sa.Column("paid_date", sa.Date),
    sa.Column("disputed", sa.Boolean, nullable=False, server_default=sa.false()),
    # Why the debtor disputes it, as the ERP's dispute case or reason code says (price, delivery, ...).
    sa.Column("dispute_reason", sa.String(100)),
    # True when arboard derived paid_date from the payments (the file gave none): such a date is
    # withdrawn when the payments behind it change (a reversed or re-applied payment).
    sa.Column("paid_from_payments", sa.Boolean),
    # True when arboard settled the invoice because an open-items file of that date no longer listed it
    # (an import in open-items mode); the invoice reopens if a later such file lists it again.
    sa.Column("paid_from_open_items", sa.Boolean),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("payment_id", sa.String(100), nullable=False),
    _pk("payment_id"),
    # NULL for an unapplied (on-account) payment.
    sa.Column("invoice_id", sa.String(100)),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("payment_date", sa.Date, nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("method", sa.String(50)),
    # Currency of the payment; filled from the invoice it applies to when the file has none.
    sa.Column("currency", sa.String(3)),
    # The remittance text the debtor gave (a bank statement's reference line): the invoice numbers it
    # names are how a payment on account is most surely matched (arboard.unapplied).
    sa.Column("reference", sa.String(500)),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("contact_id", sa.String(100), nullable=False),
    _pk("contact_id"),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("invoice_id", sa.String(100)),
    sa.Column("contact_date", sa.Date, nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20)),
    sa.Column("promised_date", sa.Date),
    sa.Column("promised_amount", Money),
    # Who in the team made the contact (a call, a promise taken): a collector's activity counts these.
    sa.Column("logged_by", sa.String(100)),
    # What was said, in the collector's words ("AP approved it for the 30th's payment run"): the next
    # person to call reads it first. Typed in arboard or imported from the CRM's activity notes.
    sa.Column("note", sa.String(1000)),
)

# Key/value facts about the loaded data: data_version (bumped by every write), last import.
meta = sa.Table(
    "arboard_meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.String(2000)),
)

# Confirmed column mappings, keyed by a fingerprint of the file's header, so the next
# import of the same layout needs no clicks.
import_layouts = sa.Table(
    "import_layouts",
    metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# One row per import: what was loaded, when, and how it went.
import_log = sa.Table(
    "import_log",
    metadata,
    sa.Column("import_id", sa.String(36), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(10), nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("inserted", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("suspicious", sa.Integer, nullable=False),
)

# Named segmentation thresholds (arboard.segments.SegmentConfig as JSON).
segment_configs = sa.Table(
    "segment_configs",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)

# Named what-if scenarios (levers and thresholds as JSON, see arboard.scenarios).
scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)

# Outreach playbooks, one row per saved version of a group's playbook.
playbooks = sa.Table(
    "playbooks",
    metadata,
    sa.Column("group_key", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)

# Debtors or single invoices kept out of the outreach plan (in negotiation, under review, handled by
# the account manager), until a date or until lifted.
outreach_holds = sa.Table(
    "outreach_holds",
    metadata,
    sa.Column("hold_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("invoice_id", sa.String(100)),  # NULL: every invoice of the debtor
    sa.Column("until", sa.Date),  # the last day without contacts; NULL: until lifted
    sa.Column("reason", sa.String(300)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # When it was lifted (UTC); NULL: not lifted. Kept: the debtor's timeline and the team's activity
    # export say when reminders were held and resumed.
    sa.Column("lifted_at", sa.DateTime),
)

# The register of credit holds (see arboard.creditholds): when a debtor was blocked from further
# sales on credit in the ERP, why and by whom, and when the hold was released. Kept, never deleted:
# a debtor's holds are its history.
credit_holds = sa.Table(
    "credit_holds",
    metadata,
    sa.Column("hold_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("placed_on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(300)),
    sa.Column("placed_by", sa.String(100)),
    sa.Column("released_on", sa.Date),  # NULL: still on hold
    sa.Column("released_by", sa.String(100)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # Placed by decision (news of an insolvency, a bounced cheque), not on a rule: it stays until
    # released, rather than being offered for release once no rule applies. NULL: on a rule.
    sa.Column("by_hand", sa.Boolean),
)

# Debtors never to be put on credit hold (a key account, a public body, a group company): the
# credit-hold list names them apart instead of asking for a hold (see arboard.creditholds).
credit_hold_exemptions = sa.Table(
    "credit_hold_exemptions",
    metadata,
    sa.Column("customer_id", sa.String(100), primary_key=True),
    sa.Column("reason", sa.String(300)),
    sa.Column("exempted_by", sa.String(100)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("exempted_on", sa.Date),  # from when; NULL: recorded before arboard dated them (created_at's day)
)

# Exemptions lifted: kept, so that an earlier as-of date shows a debtor exempt as it was then, and the
# debtor's history says who lifted it when.
credit_hold_exemptions_lifted = sa.Table(
    "credit_hold_exemptions_lifted",
    metadata,
    sa.Column("lift_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("reason", sa.String(300)),
    sa.Column("exempted_by", sa.String(100)),
    sa.Column("exempted_on", sa.Date, nullable=False),
    sa.Column("lifted_on", sa.Date, nullable=False),
    sa.Column("lifted_by", sa.String(100)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Disputes raised or resolved in arboard (see arboard.disputestatus): the collector hears of a dispute,
# or settles one, before the ERP's next export says so. A decision in force sets the invoice's
# ``disputed`` flag over what the invoices file says, until the file's flag changes (the ERP caught
# up) or a later decision replaces it. Kept, never deleted: they are the invoice's dispute history.
dispute_decisions = sa.Table(
    "dispute_decisions",
    metadata,
    sa.Column("decision_id", sa.String(36), primary_key=True),
    sa.Column("invoice_id", sa.String(100), nullable=False),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("disputed", sa.Boolean, nullable=False),  # raised (true) or resolved (false)
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("reason", sa.String(100)),  # raising: why the debtor disputes it
    sa.Column("note", sa.String(300)),  # resolving: how it was settled
    sa.Column("file_said", sa.Boolean, nullable=False),  # the invoices file's flag when decided
    sa.Column("contact_id", sa.String(100)),  # the dispute contact logged with it, if any
    sa.Column("replaces", sa.String(36)),  # the decision it ended, reinstated if this one is undone
    sa.Column("ended_on", sa.Date),  # NULL: in force
    sa.Column("ended_why", sa.String(10)),  # decision | file | removed
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Specific provisions (see arboard.impairments): debtors assessed one by one (an insolvency filed, a
# claim with the lawyers), provided for at a rate of their own instead of the provision matrix's. In
# force from ``assessed_on`` until the day before ``ended_on``; kept, never deleted: the auditors ask
# what was provided for whom, when and why.
specific_provisions = sa.Table(
    "specific_provisions",
    metadata,
    sa.Column("assessment_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("rate", sa.Numeric(5, 2), nullable=False),  # percent of the debtor's open invoices
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("assessed_on", sa.Date, nullable=False),
    sa.Column("assessed_by", sa.String(100)),
    sa.Column("ended_on", sa.Date),  # NULL: still in force; else back to the matrix (or a new rate) from then
    sa.Column("ended_by", sa.String(100)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# The interest claimed on payments made late (see arboard.interestclaims): one row per payment line of
# an interest claim recorded as sent, so that no later claim asks for it again. A line is a payment
# applied to the invoice (``kind`` 0, ``ref`` its payment_id) or what the invoice's settlement cleared
# (``kind`` 1, ``ref`` ''), the settlement claiming the compensation too. Recorded in batches (one
# recording of one or many claims); a batch recorded by mistake can be withdrawn as a whole.
interest_claimed = sa.Table(
    "interest_claimed",
    metadata,
    sa.Column("invoice_id", sa.String(100), primary_key=True),
    sa.Column("kind", sa.SmallInteger, primary_key=True),
    sa.Column("ref", sa.String(100), primary_key=True),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.Column("paid_on", sa.Date, nullable=False),
    sa.Column("paid", sa.Numeric(18, 2), nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("rate", sa.Numeric(5, 2), nullable=False),
    sa.Column("interest", sa.Numeric(18, 2), nullable=False),
    sa.Column("compensation", sa.Numeric(18, 2), nullable=False),
    sa.Column("batch_id", sa.String(36), nullable=False, index=True),
    sa.Column("claimed_on", sa.Date, nullable=False),  # the day the claims went out
    sa.Column("since", sa.Date, nullable=False),  # the period the claim covered
    sa.Column("until", sa.Date, nullable=False),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# What the credit manager decided about a proposal of the Unapplied cash page (see arboard.cashdecisions):
# this payment on account pays these items (confirmed) or does not (rejected). One per payment, for the
# items as proposed then: once the proposal names other items, the decision no longer holds.
cash_decisions = sa.Table(
    "cash_decisions",
    metadata,
    sa.Column("payment_id", sa.String(100), primary_key=True),
    sa.Column("decision", sa.String(10), nullable=False),  # confirmed | rejected
    sa.Column("items", sa.Text, nullable=False),  # the proposal's items, as its "invoices" lists them
    sa.Column("match", sa.String(40), nullable=False),  # the rule that proposed them
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("note", sa.String(300)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Exchange rates into the reporting currency (arboard_meta "reporting_currency"); see arboard.fx.
fx_rates = sa.Table(
    "fx_rates",
    metadata,
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("per_unit", sa.Numeric(20, 10), nullable=False),  # one unit in the reporting currency
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# Derived: the ledger as dated changes of open balances, rebuilt in the same transaction as every
# write (see arboard.events). Any as-of date's open AR is the sum of the changes up to that day.
ar_events = sa.Table(
    "ar_events",
    metadata,
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("customer_id", sa.String(100), nullable=False),
    sa.Column("invoice_id", sa.String(100)),  # set on partial-payment rows only
    sa.Column("currency", sa.String(3)),
    sa.Column("invoice_date", sa.Date),  # NULL for unapplied cash
    sa.Column("due_date", sa.Date),  # NULL for unapplied cash
    sa.Column("disputed", sa.Boolean, nullable=False),
    sa.Column("credit_note", sa.Boolean, nullable=False),
    # Double, not NUMERIC: this table is only ever summed, and DuckDB sums doubles several times faster
    # than 128-bit decimals; results are rounded to cents.
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),  # +1 opens an item, -1 closes it
    sa.Column("sales", sa.Float, nullable=False),  # the amount invoiced, on the row that opens an item
    sa.Column("settled", sa.Float, nullable=False),  # an invoice's amount, on the row that settles it
)

# Secondary indexes help PostgreSQL; DuckDB relies on zone maps and would only pay for ART
# index maintenance on every bulk load.
for _name, _table, _cols in [
    ("ix_invoices_customer", invoices, ["customer_id"]),
    ("ix_invoices_invoice_date", invoices, ["invoice_date"]),
    ("ix_payments_invoice", payments, ["invoice_id"]),
    ("ix_payments_customer", payments, ["customer_id"]),
    ("ix_contacts_customer", contacts, ["customer_id"]),
    ("ix_ar_events_day", ar_events, ["day"]),
]:
    sa.Index(_name, *(_table.c[c] for c in _cols)).ddl_if(dialect="postgresql")

# A rollup of ar_events without the customer: what the company-wide trends read (a few percent of
# the rows of ar_events on a large ledger).
ar_daily = sa.Table(
    "ar_daily",
    metadata,
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.Column("invoice_date", sa.Date),
    sa.Column("due_date", sa.Date),
    sa.Column("disputed", sa.Boolean, nullable=False),
    sa.Column("credit_note", sa.Boolean, nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("sales", sa.Float, nullable=False),
    sa.Column("settled", sa.Float, nullable=False),
    sa.Column("n_events", sa.Integer, nullable=False),  # ar_events rows behind it: an update can tell when none is left
)

# Credit sales per day and customer attribute: what breakdowns by country, industry or type read.
sales_daily = sa.Table(
    "sales_daily",
    metadata,
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.Column("country", sa.String(100)),
    sa.Column("industry", sa.String(200)),
    sa.Column("customer_type", sa.String(3)),
    sa.Column("collector", sa.String(100)),
    sa.Column("sales", sa.Float, nullable=False),
)

DERIVED_TABLES = (ar_events, ar_daily, sales_daily)
# The shape an invoices file's open amounts are staged in (never a table of the database).
open_amounts = sa.Table(
    "open_amounts",
    sa.MetaData(),
    sa.Column("invoice_id", sa.String(100), nullable=False),
    sa.Column("open_amount", Money, nullable=False),
)
LEDGER_TABLES = {"customers": customers, "invoices": invoices, "payments": payments, "contacts": contacts}
PRIMARY_KEYS = {name: t.primary_key.columns.values()[0].name for name, t in LEDGER_TABLES.items()}
