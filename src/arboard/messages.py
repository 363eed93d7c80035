"""Message templates: Jinja2 in an immutable sandbox, with a whitelist of fields.

A template sees only these fields, already formatted for the debtor's locale and currency (Babel):
``debtor_name``, ``open_amount``, ``oldest_due_date``, ``invoices`` (a list of ``number``, ``due_date``,
``amount``, ``credit``, ``promised_for``), ``pay_link``, ``fee`` (empty when the step charges none),
``interest`` and ``compensation`` (late-payment interest and the fixed compensation for recovery
costs, :mod:`arboard.interest`; empty when the step claims none) with ``interest_rate`` (a year, in
force on the message's day) and ``earlier_rates`` (a list of ``rate``, ``until``: the rates before it
the interest ran at too, when the rate changed meanwhile),
``total_due`` (the open amount plus the fee, interest and compensation), and for a call about a broken promise to pay
``promised_amount`` and ``promised_date`` (empty otherwise). Attribute walking (``''.__class__``),
format-string tricks, huge repetitions and runaway output are refused with a message; a broken
template never raises anything but :class:`TemplateProblem`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_percent
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from arboard.instalments import DEFAULT_COUNT, propose

FIELDS = ("debtor_name", "open_amount", "oldest_due_date", "invoices", "pay_link", "fee", "interest", "interest_rate",
          "earlier_rates", "compensation", "total_due", "promised_amount", "promised_date", "instalments")
MAX_OUTPUT = 5_000  # characters: a reminder, not a novel
MAX_TEMPLATE = 5_000
MAX_REPEAT = 1_000
SMS_LIMIT = 160  # one GSM-7 segment; longer messages are split and cost more
DEFAULT_LOCALE = "en_GB"


class TemplateProblem(Exception):
    """A template that cannot be rendered, with a message for the person who wrote it."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """No globals (no ``range``, no ``lipsum``), bounded ``*`` and ``**``."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator_name, left, right):
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > 8:
                raise SecurityError("exponent too large")
            return operator.pow(left, right)
        if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
            times = right if isinstance(left, (str, list, tuple)) else left
            if not isinstance(times, int) or times > MAX_REPEAT:
                raise SecurityError("repetition too large")
        return operator.mul(left, right)


_env = _Sandbox(undefined=StrictUndefined, autoescape=False, lstrip_blocks=True)
_env.globals.clear()


@dataclass(frozen=True)
class MessageContext:
    """What a message may say about a debtor (raw values; formatted by :func:`context_fields`)."""

    debtor_name: str
    open_amount: float
    currency: str
    oldest_due_date: date | None
    invoices: tuple[tuple[str, date, float], ...]
    pay_link: str
    locale: str | None = None
    fee: float = 0.0  # a dunning fee charged with this message
    # The broken promises to pay a call is about: (invoice number, promised date, amount promised).
    promised: tuple[tuple[str, date, float], ...] = ()
    day: date | None = None  # the day the message goes out (a payment plan's offer starts from it)
    offer_count: int = DEFAULT_COUNT  # instalments a payment plan's offer proposes (PlanSettings.instalments_offered)
    interest: float = 0.0  # late-payment interest claimed with this message (arboard.interest)
    interest_rate: float = 0.0  # its rate, percent a year, in force on the message's day
    # The rates before it the interest ran at too, as (rate, last day), when the rate changed meanwhile.
    interest_earlier: tuple[tuple[float, date], ...] = ()
    compensation: float = 0.0  # the fixed compensation for recovery costs claimed with it


@functools.lru_cache(maxsize=64)
def _locale(name: str | None) -> Locale:
    """A parsed Babel locale (parsing is most of the cost of formatting), the default when unknown."""
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except Exception:  # noqa: BLE001 - an unknown locale in the data: fall back rather than fail the plan
        return Locale.parse(DEFAULT_LOCALE)


# Cached: a plan's messages repeat the same due dates and the same invoices over and over.
@functools.lru_cache(maxsize=100_000)
def _money(value: float, currency: str, locale: Locale) -> str:
    return format_currency(value, currency, locale=locale)


@functools.lru_cache(maxsize=10_000)
def _day(value: date | None, locale: Locale) -> str:
    return format_date(value, "medium", locale=locale) if value else ""


def formatters(locale_name: str | None, currency: str) -> tuple[Callable[[float], str], Callable[[date | None], str]]:
    """Money in ``currency`` and dates, formatted with Babel for a debtor's locale (the default locale
    when it is unknown, or does not know the currency). A date of None is empty."""
    locale = _locale(locale_name)
    try:
        _money(0.0, currency, locale)
    except Exception:  # noqa: BLE001 - e.g. a currency code Babel does not know: format in the default locale
        locale = _locale(DEFAULT_LOCALE)

    def money(v: float) -> str:
        return _money(float(v), currency, locale)

    def day(d: date | None) -> str:
        return _day(d, locale)
    return money, day


def rate_text(rate: float, locale_name: str | None) -> str:
    """A rate in percent in the locale's own way (12,15 % in German), with as many decimals as it has
    (two at most)."""
    # In decimal: 11.54 / 100 in binary floating point prints as 11.5399999...%.
    share = Decimal(str(round(float(rate), 2))) / 100
    return format_percent(share, locale=_locale(locale_name), decimal_quantization=False)


def context_fields(ctx: MessageContext, *, instalments: bool = True) -> dict:
    """The whitelisted fields, formatted with Babel for the debtor's locale and currency
    (``instalments`` False: that field is left empty, for a template that does not use it)."""
    money, day = formatters(ctx.locale, ctx.currency)
    # A payment plan to offer: the balance in monthly instalments (arboard.instalments.propose).
    offer = instalments_proposed(ctx) if instalments else []
    promised_for = {n: d for n, d, _a in ctx.promised}
    return {
        "debtor_name": ctx.debtor_name,
        "open_amount": money(ctx.open_amount),
        "oldest_due_date": day(ctx.oldest_due_date),
        # ``credit``: a credit note or payment on account the message deducts (its date is not a due date).
        "invoices": [{"number": n, "due_date": day(d), "amount": money(a), "credit": a < 0,
                      "promised_for": day(promised_for.get(n))} for n, d, a in ctx.invoices],
        "pay_link": ctx.pay_link,
        "fee": money(ctx.fee) if ctx.fee else "",  # empty without a fee, so `{% if fee %}` reads naturally
        "interest": money(ctx.interest) if ctx.interest else "",
        "interest_rate": rate_text(ctx.interest_rate, ctx.locale) if ctx.interest else "",
        # A list, not a sentence: a template in any language says "until" its own way.
        "earlier_rates": [{"rate": rate_text(rate, ctx.locale), "until": day(last)}
                          for rate, last in ctx.interest_earlier] if ctx.interest else [],
        "compensation": money(ctx.compensation) if ctx.compensation else "",
        "total_due": money(ctx.open_amount + ctx.fee + ctx.interest + ctx.compensation),
        # Empty without a promise, like ``fee``; several promises: their sum, by the latest date.
        "promised_amount": money(sum(a for _n, _d, a in ctx.promised)) if ctx.promised else "",
        "promised_date": day(max(d for _n, d, _a in ctx.promised)) if ctx.promised else "",
        "instalments": [{"due_date": day(d), "amount": money(a)} for d, a in offer],
    }


def instalments_proposed(ctx: MessageContext) -> list[tuple[date, float]]:
    """The payment plan a message to this debtor offers (none without a day or a balance)."""
    return propose(ctx.open_amount, on=ctx.day, count=ctx.offer_count) if ctx.day is not None else []


def check(source: str) -> None:
    """Refuse a template before rendering: too long, unknown fields, or a syntax error (with its line)."""
    if len(source) > MAX_TEMPLATE:
        raise TemplateProblem(f"The template is {len(source):,} characters; the limit is {MAX_TEMPLATE:,}.")
    try:
        tree = _env.parse(source)
    except TemplateError as exc:
        line = f" on line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise TemplateProblem(f"Template syntax error{line}: {exc.message}") from None
    loop_vars = set()
    for loop in tree.find_all(nodes.For):
        targets = [loop.target] if isinstance(loop.target, nodes.Name) else loop.target.find_all(nodes.Name)
        loop_vars |= {t.name for t in targets}
    unknown = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"} - set(FIELDS) - loop_vars - {"loop"}
    if unknown:
        raise TemplateProblem(f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(sorted(unknown))}. "
                              f"Available: {', '.join(FIELDS)}.")


def fields_used(source: str) -> set[str]:
    """The fields a (checked) template names."""
    return {n.name for n in _env.parse(source).find_all(nodes.Name) if n.ctx == "load"} & set(FIELDS)


@functools.lru_cache(maxsize=256)
def _compiled(source: str):
    check(source)
    try:
        return _env.from_string(source)
    except TemplateError as exc:
        raise TemplateProblem(f"The template cannot be compiled: {exc}") from None


def render(source: str, ctx: MessageContext) -> str:
    """Render a template for one debtor.

    Raises
    ------
    TemplateProblem
        For any problem: syntax, unknown or forbidden attribute, runaway output.
    """
    template = _compiled(source)
    try:
        out, size = [], 0
        for chunk in template.generate(**context_fields(ctx, instalments="instalments" in source)):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateProblem(f"The message is longer than {MAX_OUTPUT:,} characters.")
            out.append(chunk)
        return "".join(out).strip()
    except TemplateProblem:
        raise
    except SecurityError as exc:
        raise TemplateProblem(f"Not allowed in a template: {exc}") from None
    except TemplateError as exc:
        raise TemplateProblem(f"The template cannot be rendered: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - anything a template does must end as a message
        raise TemplateProblem(f"The template cannot be rendered: {type(exc).__name__}: {exc}") from None


def sms_segments(text: str) -> int:
    """How many SMS a text takes (160 characters a segment, 153 when split; 70/67 outside GSM-7)."""
    gsm = all(ord(c) < 128 for c in text)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)
