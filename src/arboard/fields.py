"""The fields a file can carry, and the names ERPs and spreadsheets give them.

Each import *kind* (invoices, customers, payments, contacts) has a list of :class:`Field`.
An invoices file may also carry customer attributes (name, country, credit limit, a
paperless flag, ...): those go to the ``customers`` table, since the model has a place for
them. Synonyms are compared after :func:`normalise_header` (lower case, accents and
punctuation removed), and cover English, German, French, Spanish, Dutch and Italian
exports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["text", "date", "amount", "number", "int", "bool", "channel", "kind", "outcome", "ctype"]
KINDS = ("invoices", "customers", "payments", "contacts")


@dataclass(frozen=True)
class Field:
    """One target field of an import kind."""

    name: str
    type: FieldType
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    table: str | None = None  # where the value lands when not the kind's own table


def normalise_header(name: object) -> str:
    """Lower-case, strip accents and everything that is not a letter or digit."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _s(*names: str) -> tuple[str, ...]:
    return tuple(normalise_header(n) for n in names)


# The column arboard.readers adds to a grouped report: the heading above each row (a customer, an aging band).
GROUP_COLUMN = "Group heading"
_CUSTOMER_ID = _s(
    "customer_id", "customer", "customer no", "customer number", "customer nr", "cust id", "cust no",
    "customer code", "client id", "client", "client no", "client number", "account", "account id",
    "account no", "account number", "debtor", "debtor id", "debtor no", "debitor", "debitor nr",
    "debitorennummer", "debitornummer", "kunde", "kunden nr", "kundennummer", "kunden id", "kdnr",
    "numero client", "n client", "code client", "cliente", "id cliente", "codigo cliente",
    "numero cliente", "klant", "klantnummer", "klant nr", "debiteur", "debiteurnummer", "sold to",
    "sold to party", "payer", "business partner", "bp", "partner id", "customerid", "konto", "kontonummer",
    # Accounting packages: Oracle, Dynamics, Sage (A/C), Xero (ContactName), Odoo (Partner).
    "customer account", "account code", "a c", "contact name", "contactname", "partner",
)
_INVOICE_ID = _s(
    "invoice_id", "invoice", "invoice no", "invoice number", "invoice nr", "invoice num", "inv no",
    "inv number", "invoicenumber", "document no", "document number", "doc no", "doc number",
    "billing document", "belegnummer", "beleg nr", "belegnr", "rechnung", "rechnungsnummer",
    "rechnungs nr", "rechnungsnr", "facture", "numero facture", "n facture", "no facture",
    "factura", "numero factura", "n factura", "factuur", "factuurnummer", "fattura",
    "numero fattura", "transaction id", "invoice key", "invoice ref", "reference",
    # Accounting packages' short headings (QuickBooks' Num); short names match only exactly.
    "num", "no", "nr", "doc num", "docnum", "document num", "ref no", "nummer", "ref", "number",
    "trx number", "trx num", "transaction number", "belegfeld 1", "belegfeld1",
)
_AMOUNT = _s(
    "amount", "invoice amount", "invoiceamount", "amount due original", "original amount", "amount original",
    "amount in transaction currency", "transaction amount", "amount cur", "umsatz", "umsatz ohne soll haben kz",
    "amount due", "total", "total amount",
    "gross amount", "invoice total", "amount incl tax", "amount incl vat", "betrag",
    "rechnungsbetrag", "bruttobetrag", "gesamtbetrag", "montant", "montant ttc", "importe",
    "importe total", "monto", "bedrag", "factuurbedrag", "importo", "value", "amount dc",
    # SAP line-item lists: document currency first (what the debtor owes and pays), then local currency.
    "amount in dc", "amount in doc curr", "amount in document currency", "amt in doc curr", "betrag in bw",
    "betrag in belegwaehrung", "betrag in belegwahrung", "amount lc", "amount in lc", "amt in loc cur",
    "amt in loc curr", "betrag in hw", "betrag in hauswaehrung", "betrag in hauswahrung", "amount in local currency",
    "open amount", "balance", "outstanding", "offener betrag", "saldo",
)
_DATE_COMMON_PAYMENT = _s(
    "payment date", "date paid", "paid date", "zahlungsdatum", "zahldatum", "date paiement",
    "date de paiement", "fecha pago", "fecha de pago", "betaaldatum", "data pagamento",
)
_CURRENCY = _s(
    "currency", "curr", "cur", "ccy", "currency code", "waehrung", "wahrung", "devise", "moneda",
    "valuta", "divisa", "invoice currency code", "invoice currency", "transaction currency", "trx currency",
    "wkz", "wkz umsatz", "document currency", "doc currency", "belegwaehrung", "belegwahrung", "crcy",
    "lcurr", "local currency", "loc curr", "hauswaehrung", "hauswahrung", "hwaehr", "hwahr",
)

CUSTOMER_ATTRIBUTES: tuple[Field, ...] = (
    Field("name", "text", "Customer name", synonyms=_s(
        "customer name", "name", "company", "company name", "account name", "client name",
        "debtor name", "kundenname", "kunde name", "firma", "firmenname", "nom client", "nom",
        "raison sociale", "nombre cliente", "nombre", "razon social", "klantnaam", "naam",
        "ragione sociale", "sold to name", "customername",
    ), table="customers"),
    Field("country", "text", "Country", synonyms=_s(
        "country", "country code", "countrycode", "country name", "land", "laenderkennzeichen",
        "pays", "code pays", "pais", "paese", "nation",
    ), table="customers"),
    Field("industry", "text", "Industry", synonyms=_s(
        "industry", "sector", "industry code", "branche", "branchencode", "secteur", "industria",
        "sector industrial",
    ), table="customers"),
    Field("customer_type", "ctype", "Customer type (B2B/B2C)", synonyms=_s(
        # Not a bare "Type": in a ledger that is the document's type (invoice, credit memo, payment).
        "customer type", "b2b b2c", "b2b/b2c", "kundentyp", "kundenart", "type client", "tipo cliente", "klanttype",
    ), table="customers"),
    Field("credit_limit", "amount", "Credit limit", synonyms=_s(
        "credit limit", "limit", "kreditlimit", "kreditlimit betrag", "limite de credit",
        "limite credito", "limite de credito", "kredietlimiet", "fido",
    ), table="customers"),
    Field("credit_score", "number", "External credit score", synonyms=_s(
        "credit score", "score", "rating", "bonitaet", "bonitat", "bonitaetsindex", "risk score",
        "credit rating", "external score", "note de credit", "puntuacion",
    ), table="customers"),
    Field("email", "text", "E-mail", synonyms=_s(
        "email", "e-mail", "email address", "mail", "e mail adresse", "courriel", "correo",
        "correo electronico", "emailadres",
    ), table="customers"),
    Field("phone", "text", "Phone", synonyms=_s(
        "phone", "phone number", "telephone", "tel", "mobile", "telefon", "telefonnummer",
        "telefono", "telefoon", "mobile phone", "cell phone", "handy",
    ), table="customers"),
    Field("preferred_channel", "channel", "Preferred channel", synonyms=_s(
        "preferred channel", "channel", "contact channel", "kanal", "bevorzugter kanal", "canal",
    ), table="customers"),
    # A paperless / e-invoice flag says where the customer reads its invoices.
    Field("paperless", "bool", "Paperless billing (sets preferred channel)", synonyms=_s(
        "paperless", "paperless bill", "paperlessbill", "e bill", "ebill", "electronic bill",
        "e invoice", "einvoice", "electronic invoice", "e rechnung", "papierlos",
        "facture electronique", "factura electronica",
    ), table="customers"),
    Field("created_at", "date", "Customer since", synonyms=_s(
        "customer since", "created at", "created", "created date", "creation date", "kunde seit",
        "angelegt am", "client depuis", "cliente desde", "klant sinds",
    ), table="customers"),
    Field("opt_out", "text", "Opted out of channels (e.g. sms, phone)", synonyms=_s(
        "opt out", "opted out", "do not contact", "no contact via", "consent withdrawn", "werbewiderspruch",
        "kein kontakt", "opposition"), table="customers"),
    Field("locale", "text", "Locale (e.g. de_DE)", synonyms=_s("locale", "language", "sprache", "langue", "idioma"),
          table="customers"),
    Field("street", "text", "Street address", synonyms=_s(
        "street", "street address", "address", "address line", "address line 1", "address 1", "billing address",
        "postal address", "strasse", "straße", "anschrift", "adresse", "rue", "calle", "direccion", "domicilio",
        "straat", "adres", "indirizzo",
    ), table="customers"),
    Field("postal_code", "text", "Postal code", synonyms=_s(
        "postal code", "postcode", "post code", "zip", "zip code", "zipcode", "plz", "postleitzahl",
        "code postal", "cp", "codigo postal", "cap", "codice postale",
    ), table="customers"),
    Field("city", "text", "City", synonyms=_s(
        "city", "town", "ort", "stadt", "wohnort", "ville", "localite", "ciudad", "poblacion", "localidad",
        "plaats", "woonplaats", "citta", "localita", "comune",
    ), table="customers"),
    # Who works the account: SAP's accounting clerk, Dynamics' collections agent, Oracle's collector.
    Field("collector", "text", "Collector (who works the account)", synonyms=_s(
        "collector", "collections agent", "collection agent", "collection specialist", "collections specialist",
        "credit controller", "credit analyst", "credit representative", "credit rep", "ar specialist",
        "accounting clerk", "account clerk", "dunning clerk", "sachbearbeiter", "debitorenbuchhalter",
        "forderungsmanager", "mahnsachbearbeiter", "gestionnaire recouvrement", "charge de recouvrement",
        "recouvreur", "gestor de cobro", "gestor de cobros", "cobrador", "incassomedewerker",
        "debiteurenbeheerder", "addetto recupero crediti", "responsabile recupero crediti",
    ), table="customers"),
)

_BY_KIND: dict[str, tuple[Field, ...]] = {
    "invoices": (
        Field("invoice_id", "text", "Invoice number", True, _INVOICE_ID),
        Field("customer_id", "text", "Customer ID", True, _CUSTOMER_ID),
        Field("invoice_date", "date", "Invoice date", True, _s(
            "invoice date", "invoicedate", "date", "doc date", "document date", "billing date",
            "issue date", "issued on", "posting date", "rechnungsdatum", "belegdatum", "datum",
            "date facture", "date de facture", "fecha factura", "fecha", "factuurdatum",
            "data fattura", "invoiced on", "transaction date", "txn date", "pstng date", "buchungsdatum",
            "buch dat", "trx date", "invoice bill date",
        )),
        Field("due_date", "date", "Due date", False, _s(
            "due date", "duedate", "net due date", "due", "due on", "payment due date",
            "faelligkeit", "falligkeit", "faellig am", "fallig am", "faelligkeitsdatum",
            "falligkeitsdatum", "nettofaelligkeit", "date echeance", "date d echeance", "echeance",
            "fecha vencimiento", "fecha de vencimiento", "vencimiento", "vervaldatum",
            "data scadenza", "scadenza", "net due dt", "net due", "due dt", "nettofaelligk", "nettofalligk",
            "faelligk", "falligk", "netto faelligkeit", "netto falligkeit",
        )),
        Field("amount", "amount", "Amount", True, _AMOUNT),
        # An aging report's open balance beside the invoice amount: what part payments left open.
        Field("open_amount", "amount", "Open amount (after part payments)", False, _s(
            "open balance", "open amount", "amount open", "balance due", "amount remaining", "remaining amount",
            "remaining balance", "outstanding amount", "amount outstanding", "outstanding balance", "amount due now",
            "offener betrag", "offen", "offener saldo", "restbetrag", "montant restant", "reste a payer",
            "solde du", "importe pendiente", "saldo pendiente", "openstaand bedrag", "openstaand",
            "importo residuo", "residuo", "balance", "outstanding", "saldo", "open", "amount due remaining",
            "amountdue", "amount due", "o s", "offener posten", "remaining",
        )),
        Field("currency", "text", "Currency", False, _CURRENCY),
        Field("paid_date", "date", "Settled (paid) date", False, _s(
            "paid date", "settled date", "settleddate", "settle date", "clear date", "clearing date",
            "cleared on", "paid on", "date paid", "payment date", "settlement date", "date settled",
            "closed date", "zahlungsdatum", "ausgleichsdatum", "ausgeglichen am", "bezahlt am",
            "date paiement", "date de paiement", "date reglement", "fecha pago", "fecha de pago",
            "betaaldatum", "data pagamento", "clearing", "clrng date", "clearing dt", "ausgl",
            "ausgleich", "ausgl datum",
        )),
        Field("disputed", "bool", "Disputed", False, _s(
            "disputed", "dispute", "in dispute", "dispute flag", "strittig", "bestritten",
            "reklamation", "litige", "en litige", "litigio", "disputa", "betwist", "contestata",
        )),
        # SAP's dispute case reason, Dynamics' dispute reason code, a credit note request's cause.
        Field("dispute_reason", "text", "Dispute reason", False, _s(
            "dispute reason", "dispute code", "dispute reason code", "reason for dispute", "dispute cause",
            "reason code", "claim reason", "streitgrund", "reklamationsgrund", "klaerungsgrund", "klarungsgrund",
            "motif de litige", "motif litige", "cause du litige", "motivo de disputa", "motivo disputa",
            "motivo reclamacion", "reden geschil", "reden van geschil", "motivo contestazione",
        )),
        Field("terms_days", "int", "Payment terms (days)", False, _s(
            "terms", "payment terms", "terms days", "net days", "zahlungsziel", "zahlungsziel tage",
            "zahlungsbedingung", "delai de paiement", "delai paiement", "plazo", "plazo de pago",
            "betalingstermijn", "credit terms", "termini pagamento",
        )),
        *CUSTOMER_ATTRIBUTES,
    ),
    "customers": (
        Field("customer_id", "text", "Customer ID", True, _CUSTOMER_ID),
        *(f if f.name != "name" else Field("name", "text", "Customer name", False, f.synonyms)
          for f in (Field(a.name, a.type, a.label, a.required, a.synonyms) for a in CUSTOMER_ATTRIBUTES)),
    ),
    "payments": (
        Field("payment_id", "text", "Payment ID", True, _s(
            "payment id", "payment", "payment no", "payment number", "receipt", "receipt no",
            "receipt number", "zahlung", "zahlungsnummer", "zahlungs nr", "numero paiement",
            "reglement", "pago", "numero pago", "betaling", "betalingsnummer", "payment ref",
            # SAP's clearing document, Oracle's receipt; in a payments file the document is the payment.
            "clearing document", "clearing doc", "clrng doc", "ausgleichsbeleg", "ausgl beleg", "document number",
            "document no", "doc no",
        )),
        Field("invoice_id", "text", "Invoice number (blank = unapplied)", False, _s(
            "applied to", "applied invoice", "applied trx number", "invoice applied") + _INVOICE_ID),
        Field("customer_id", "text", "Customer ID", True, _CUSTOMER_ID),
        Field("payment_date", "date", "Payment date", True, _DATE_COMMON_PAYMENT + _s(
            "date", "value date", "receipt date", "buchungsdatum", "valuta datum", "wertstellung",
            "clearing date", "clearing", "clrng date", "ausgleichsdatum", "ausgl",
            "date valeur", "fecha valor", "datum",
        )),
        Field("amount", "amount", "Amount paid", True, _AMOUNT + _s("amount paid", "paid amount",
                                                                    "zahlbetrag", "montant paye")),
        Field("currency", "text", "Currency", False, _CURRENCY),
        Field("method", "text", "Method", False, _s(
            "method", "payment method", "zahlungsart", "zahlweg", "mode de paiement", "mode paiement",
            "metodo de pago", "betaalmethode",
        )),
        Field("reference", "text", "Remittance reference", False, _s(
            "reference", "remittance", "remittance info", "remittance information", "remittance advice",
            "payment reference", "payment details", "reference text", "memo", "narrative", "purpose",
            "verwendungszweck", "zahlungsreferenz", "referenz", "buchungstext", "libelle", "communication",
            "reference paiement", "concepto", "referencia", "omschrijving", "betalingskenmerk", "mededeling",
            "causale", "riferimento",
        )),
    ),
    "contacts": (
        Field("contact_id", "text", "Contact ID", True, _s(
            "contact id", "contact", "activity id", "activity", "interaction id", "kontakt id",
            "event id",
        )),
        Field("customer_id", "text", "Customer ID", True, _CUSTOMER_ID),
        Field("invoice_id", "text", "Invoice number", False, _INVOICE_ID),
        Field("contact_date", "date", "Contact date", True, _s(
            "contact date", "date", "activity date", "kontaktdatum", "datum", "date contact",
            "fecha contacto", "sent on", "sent date",
        )),
        Field("channel", "channel", "Channel", True, _s("channel", "kanal", "canal", "medium", "via")),
        Field("kind", "kind", "Kind", True, _s("kind", "type", "activity type", "action", "art", "typ")),
        Field("outcome", "outcome", "Outcome", False, _s("outcome", "result", "status", "ergebnis",
                                                        "resultat", "resultado")),
        Field("promised_date", "date", "Promised date", False, _s(
            "promised date", "promise date", "ptp date", "zahlungszusage datum", "date promesse",
        )),
        Field("promised_amount", "amount", "Promised amount", False, _s(
            "promised amount", "promise amount", "ptp amount", "zugesagter betrag", "montant promis",
        )),
        Field("logged_by", "text", "Made by (collector)", False, _s(
            "logged by", "made by", "created by", "user", "user name", "username", "agent", "agent name",
            "collector", "employee", "handled by", "bearbeiter", "benutzer", "erfasst von", "sachbearbeiter",
            "utilisateur", "agent recouvrement", "usuario", "agente", "gebruiker", "medewerker", "utente",
        )),
        # A CRM activity's notes, a call log's comment: what was said.
        Field("note", "text", "Note", False, _s(
            "note", "notes", "comment", "comments", "remark", "remarks", "memo", "call notes", "activity notes",
            "notiz", "notizen", "bemerkung", "bemerkungen", "kommentar", "commentaire", "commentaires", "remarque",
            "remarques", "nota", "notas", "comentario", "comentarios", "observaciones", "opmerking", "opmerkingen",
            "notitie", "notities", "commento", "note collector",
        )),
    ),
}

# Columns that exports often carry but that arboard derives itself from the dates.
DERIVED_COLUMNS = frozenset(_s(
    "days to settle", "daystosettle", "days late", "dayslate", "days overdue", "days past due",
    "aging", "age", "bucket", "aging bucket", "tage ueberfaellig", "verzug", "retard",
    # SAP's days in arrears, "Arrears after net due date" (it names the due date, but is a count of days).
    "arrears", "arrears after net due date", "arrears by net due date", "days in arrears", "verzugstage",
    "tage verzug", "verzug nach nettofaelligkeit", "verzug nach nettofalligkeit",
))
# Columns whose names contain a field's synonym but are something else: SAP's clearing document
# (a document number beside the clearing date).
OTHER_COLUMNS = frozenset(_s(
    "clearing document", "clearing doc", "clrng doc", "clearing doc no", "ausgl beleg", "ausgleichsbeleg",
    "ausgleichsbelegnummer",
))


def fields_for(kind: str) -> tuple[Field, ...]:
    """Return the fields of an import kind."""
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}; choose one of {', '.join(KINDS)}") from None


def field_map(kind: str) -> dict[str, Field]:
    """Fields of a kind by name."""
    return {f.name: f for f in fields_for(kind)}


def suggest_mapping(columns: list[str], kind: str) -> dict[str, str]:
    """Map source columns to fields of ``kind`` by name.

    Exact (normalised) synonym matches win; then a column whose name contains a synonym of
    at least five characters. Each field takes at most one column, earlier synonyms first.

    Returns
    -------
    dict
        ``{source column: field name}`` for the columns it recognised.
    """
    fields = fields_for(kind)
    norm = {c: normalise_header(c) for c in columns}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    # Pass 1: exact matches, in the order of the synonym lists (the most specific first).
    for fld in fields:
        for syn in fld.synonyms:
            hit = next((c for c in columns if norm[c] == syn and c not in mapping), None)
            if hit is not None and fld.name not in taken:
                mapping[hit] = fld.name
                taken.add(fld.name)
                break
    # Pass 2: containment for what is left ("Net Due Date (DD.MM.YYYY)", "Invoice Amount EUR"). A name
    # that says date (or currency) only stands for a date (or the currency): "Invoice/Bill Date" is no
    # invoice number, "Invoice Currency Code" neither.
    for col in columns:
        if col in mapping or norm[col] in DERIVED_COLUMNS or norm[col] in OTHER_COLUMNS:
            continue
        dated = any(w in norm[col] for w in _DATE_WORDS)
        money = any(w in norm[col] for w in _CURRENCY_WORDS)
        for fld in fields:
            if fld.name in taken or (dated and fld.type != "date") or (money and fld.name != "currency"):
                continue
            if any(len(s) >= 5 and s not in _EXACT_ONLY and s in norm[col] for s in fld.synonyms):
                mapping[col] = fld.name
                taken.add(fld.name)
                break
    if "customer_id" not in mapping.values() and GROUP_COLUMN in columns and kind != "customers":
        # A report that names the customer above its rows (Xero, Sage) instead of in a column.
        mapping[GROUP_COLUMN] = "customer_id"
    if kind == "invoices" and "amount" not in mapping.values():
        # Only an open balance: it is the amount (what an open-items list says is owed).
        mapping = {c: "amount" if f == "open_amount" else f for c, f in mapping.items()}
    if kind == "invoices":
        mapping = _total_beside_amount_due(mapping, norm)
    return _pair_currency(mapping, norm)


_DATE_WORDS = ("date", "datum", "fecha")
_CURRENCY_WORDS = ("currency", "waehrung", "wahrung", "devise", "moneda")
# Synonyms matched only as the whole name: inside another name they mean something else ("Phone Number").
_EXACT_ONLY = frozenset(_s("number", "partner", "remaining"))
# "Amount Due" is the invoice's amount in some exports, what is left of it in others (Xero, Odoo): beside
# an invoice total it is what is left.
_DUE_NAMES = frozenset(_s("amount due", "amountdue", "balance due"))
_TOTAL_NAMES = frozenset(_s("total", "invoice total", "total amount", "gross amount", "amount due original"))


def _total_beside_amount_due(mapping: dict[str, str], norm: dict[str, str]) -> dict[str, str]:
    """The invoice total as the amount and the amount due as what is open, when a file has both."""
    amount = next((c for c, f in mapping.items() if f == "amount"), None)
    total = next((c for c in norm if c not in mapping and norm[c] in _TOTAL_NAMES), None)
    if amount is None or total is None or norm[amount] not in _DUE_NAMES or "open_amount" in mapping.values():
        return mapping
    return {**{c: "open_amount" if c == amount else f for c, f in mapping.items()}, total: "amount"}


# SAP lists carry two amounts, each with its currency: in the document's currency and in the company's
# local currency. The currency taken must be the one of the amount taken.
_LOCAL_AMOUNTS = _s("amount lc", "amount in lc", "amt in loc cur", "amt in loc curr", "amount in local currency",
                    "betrag in hw", "betrag in hauswaehrung", "betrag in hauswahrung")
_DOCUMENT_AMOUNTS = _s("amount dc", "amount in dc", "amount in doc curr", "amount in document currency",
                       "amt in doc curr", "betrag in bw", "betrag in belegwaehrung", "betrag in belegwahrung")
_LOCAL_CURRENCIES = _s("lcurr", "local currency", "loc curr", "hauswaehrung", "hauswahrung", "hwaehr", "hwahr")


def _pair_currency(mapping: dict[str, str], norm: dict[str, str]) -> dict[str, str]:
    """The currency column that goes with an amount column named for its currency: a local-currency
    amount takes the local currency, a document-currency amount the other one (none when the file
    lacks it: the default currency then, rather than a wrong one)."""
    amount = next((c for c, f in mapping.items() if f == "amount"), None)
    currency = next((c for c, f in mapping.items() if f == "currency"), None)
    if amount is None or currency is None or norm[amount] not in (*_LOCAL_AMOUNTS, *_DOCUMENT_AMOUNTS):
        return mapping
    local = norm[amount] in _LOCAL_AMOUNTS
    if local == (norm[currency] in _LOCAL_CURRENCIES):
        return mapping
    other = next((c for c in norm if c not in mapping and (norm[c] in _LOCAL_CURRENCIES) == local
                  and norm[c] in _CURRENCY), None)
    del mapping[currency]
    if other is not None:
        mapping[other] = "currency"
    return mapping


def guess_kind(columns: list[str]) -> str:
    """Guess what a file holds from its header: the kind whose required fields match best."""
    best, best_score = "invoices", 0.0
    for kind in ("invoices", "payments", "contacts", "customers"):
        found = set(suggest_mapping(columns, kind).values())
        required = [f.name for f in fields_for(kind) if f.required]
        hits = sum(r in found for r in required)
        # Required fields found weigh most; a kind that would still miss fields is penalised.
        score = hits * 10 + len(found) - (len(required) - hits) * 5
        if hits and score > best_score:
            best, best_score = kind, score
    return best
