"""Building the mails: confirmation (double opt-in) and alerts, German or English.

Bodies come from Jinja2 templates in templates/mail/ (`<name>.<language>.txt|html`);
every alert is multipart text + HTML and carries RFC 8058 one-click unsubscribe headers.
"""

import email.policy
from datetime import UTC, date, datetime
from email.header import Header
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from npa.contracts.reference import FIELDS, districts
from services.notifications import domain, tokens
from services.notifications.usecases import DueMail

TEMPLATES = Path(__file__).parent / "templates" / "mail"

LANGUAGE_NAMES = {
    "de": ("Deutsch", "German"), "en": ("Englisch", "English"), "ar": ("Arabisch", "Arabic"),
    "fa": ("Persisch (Farsi)", "Persian (Farsi)"), "uk": ("Ukrainisch", "Ukrainian"),
    "ru": ("Russisch", "Russian"), "tr": ("Türkisch", "Turkish"), "ku": ("Kurdisch", "Kurdish"),
    "ti": ("Tigrinya", "Tigrinya"), "ps": ("Paschtu", "Pashto"), "fr": ("Französisch", "French"),
    "so": ("Somali", "Somali"), "sq": ("Albanisch", "Albanian"),
}
STATEWIDE = {"de": "landesweit", "en": "statewide (all of Lower Saxony)"}
SUBJECTS = {
    ("confirmation", "de"): "Bitte bestätigen Sie Ihr Abonnement – Niedersachsen packt an",
    ("confirmation", "en"): "Please confirm your subscription – Niedersachsen packt an",
    ("offer", "de"): "Neues Angebot: {title} – {place}",
    ("offer", "en"): "New offer: {title} – {place}",
}



class _OneLineHeader(UnstructuredHeader):
    """RFC 2369 headers carry URLs that mail clients read verbatim, but the default folding
    turns a URL longer than a line into an RFC 2047 encoded word. Lines may be up to 998
    characters (RFC 5322 §2.1.1), so these headers are written unfolded."""

    def fold(self, *, policy: email.policy.Policy) -> str:  # type: ignore[override]
        return f"{self.name}: {self}{policy.linesep}"


class _EncodedSubjectHeader(UnstructuredHeader):
    """The default folder can lose or double the space next to an encoded word when it
    folds a long non-ASCII subject (e.g. `Abschlüssen – landesweit` became `Abschlüssen–`).
    The legacy encoder splits the text into whole encoded words and keeps every space."""

    def fold(self, *, policy: email.policy.Policy) -> str:  # type: ignore[override]
        text = str(self)
        if text.isascii():
            return super().fold(policy=policy)
        encoded = Header(text, "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _OneLineHeader)
_HEADERS.map_to_type("subject", _EncodedSubjectHeader)
MAIL_POLICY = email.policy.default.clone(header_factory=_HEADERS)


def place_name(district: str | None, language: str) -> str:
    if district is None:
        return STATEWIDE[language]
    known = districts().get(district)
    return known.name if known else district


class MailRenderer:
    def __init__(self, *, mail_from: str, base_url: str, signer: tokens.SubscriberTokens) -> None:
        self.mail_from = mail_from
        self.base_url = base_url
        self.signer = signer
        self.domain = mail_from.rpartition("@")[2] or "localhost"
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["field_names"] = lambda slugs, lang: ", ".join(FIELDS[s][lang] for s in slugs if s in FIELDS)
        self._env.filters["language_names"] = _language_names
        self._env.filters["day"] = _day

    def render(self, mail: DueMail) -> EmailMessage:
        subscription, delivery = mail.subscription, mail.delivery
        if delivery.kind == domain.CONFIRMATION:
            return self.confirmation(to=subscription.email, subscription_id=subscription.id,
                                     language=subscription.language, request_id=delivery.event_id)
        assert mail.item is not None
        return self.offer_alert(to=subscription.email, subscription_id=subscription.id,
                                language=subscription.language, event_id=delivery.event_id, offer=mail.item.data)

    def confirmation(self, *, to: str, subscription_id: str, language: str, request_id: str) -> EmailMessage:
        """Carries nothing but the confirmation link: a form anyone can fill in must not
        be a way to send content to a stranger's mailbox."""
        context = {"confirm_url": tokens.confirm_link(self.base_url, self.signer, subscription_id)}
        message = self._message(to, SUBJECTS[("confirmation", language)], subscription_id, request_id, language)
        self._add_bodies(message, "confirmation", language, context)
        return message

    def offer_alert(self, *, to: str, subscription_id: str, language: str, event_id: str,
                    offer: dict[str, Any]) -> EmailMessage:
        place = place_name(offer.get("district"), language)
        links = tokens.links(self.base_url, self.signer, subscription_id)
        subject = SUBJECTS[("offer", language)].format(title=offer["title"], place=place)
        message = self._message(to, subject, subscription_id, event_id, language)
        message["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        context = {"offer": offer, "place": place, "lang": language, "links": links}
        self._add_bodies(message, "offer_published", language, context)
        return message

    def _message(self, to: str, subject: str, subscription_id: str, event_id: str, language: str) -> EmailMessage:
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = domain.message_id(subscription_id, event_id, self.domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
        return message

    def _add_bodies(self, message: EmailMessage, name: str, language: str, context: dict[str, Any]) -> None:
        message.set_content(self._env.get_template(f"{name}.{language}.txt").render(context))
        message.add_alternative(self._env.get_template(f"{name}.{language}.html").render(context), subtype="html")
        message["Content-Language"] = language  # after set_content, which drops Content-* headers


def _language_names(codes: list[str], lang: str) -> str:
    index = 0 if lang == "de" else 1
    return ", ".join(LANGUAGE_NAMES[code][index] if code in LANGUAGE_NAMES else code for code in codes)


def _day(value: str | date | None, lang: str) -> str:
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return day.strftime("%d.%m.%Y") if lang == "de" else day.isoformat()
