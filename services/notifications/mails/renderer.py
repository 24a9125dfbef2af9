"""Rendering every mail the service sends, German or English, multipart text + HTML.

Templates live in templates/mail/ as `<name>.txt|html`, one per mail for every language: their
texts are German msgids, translated through the gettext catalogues (npa/locale) into the
subscriber's language: one Jinja environment per language, chosen per mail. A mail about an item is
rendered once per (template, language, item event) and kept in a small LRU cache, so a
fan-out to ten thousand subscribers renders it once and only fills in each one's links.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr
from typing import Any

from jinja2 import Environment

from npa.infrastructure.portal import N_
from services.notifications import domain, tokens
from services.notifications.mails import formatting
from services.notifications.mails.mime import PreparedMail, placeholder
from services.notifications.usecases.claims import DueMail

SUBJECTS = {  # German msgids, translated in the mail's language (npa/locale)
    "confirmation": N_("Bitte bestätigen Sie Ihr Abonnement – Niedersachsen packt an"),
    "offer_published": N_("Neues Angebot: {title} – {place}"),
    "offer_updated": N_("Geändertes Angebot: {title} – {place}"),
    "offer_withdrawn": N_("Angebot zurückgezogen: {title} – {place}"),
    "example_published": N_("Gutes Beispiel: {title} – {place}"),
    "actor_registered": N_("Neu im Bündnis: {title} – {place}"),
}
DIGEST_TITLES = {"daily": N_("Ihre Tagesübersicht vom {date}"), "weekly": N_("Ihre Wochenübersicht vom {date}")}
ITEM_TEMPLATES = {domain.OFFER: "offer_published", domain.EXAMPLE: "example_published",
                  domain.ACTOR: "actor_registered"}
LINKS = {"manage": placeholder("manage"), "unsubscribe": placeholder("unsubscribe")}


@dataclass(frozen=True)
class RenderedMail:
    to: str
    data: bytes

    @property
    def needs_smtputf8(self) -> bool:
        return not self.to.isascii()


class MailRenderer:
    def __init__(self, *, mail_from: str, base_url: str, signer: tokens.SubscriberTokens,
                 actors_base_url: str = "", cache_size: int = 256, mail_from_name: str = "") -> None:
        self.mail_from = mail_from
        # "Niedersachsen packt an – Benachrichtigungen" <alerts@…>: the header encodes the name
        self.from_header = formataddr((mail_from_name, mail_from)) if mail_from_name else mail_from
        self.base_url = base_url
        self.actors_base_url = actors_base_url
        self.signer = signer
        self.domain = mail_from.rpartition("@")[2] or "localhost"
        self._environments: dict[str, Environment] = {}  # one per language (formatting.make_environment)
        self._cache: OrderedDict[tuple[str, ...], PreparedMail] = OrderedDict()
        self._cache_size = cache_size
        self._date_text, self._date_second = "", -1

    # --- for the sender -------------------------------------------------------------------

    def render(self, mail: DueMail) -> RenderedMail:
        delivery, subscription = mail.delivery, mail.subscription
        assert subscription is not None
        to, sid, lang, eid = subscription.email, subscription.id, subscription.language, delivery.event_id
        if delivery.kind == domain.CONFIRMATION:
            chosen = mail.preferences or {}
            return RenderedMail(to, self.confirmation(to=to, subscription_id=sid, language=lang, request_id=eid,
                                                      preferences=chosen))
        if delivery.kind == domain.DIGEST:
            assert mail.digest is not None
            entries = [(entry, mail.digest_items[entry["event_id"]].data) for entry in mail.digest.entries
                       if entry["event_id"] in mail.digest_items]
            return RenderedMail(to, self.digest(to=to, subscription_id=sid, language=lang, digest_id=eid,
                                                frequency=mail.digest.frequency, period=mail.digest.period_key,
                                                created_at=mail.digest.created_at, entries=entries))
        assert mail.item is not None
        kind = mail.item.item_kind or domain.OFFER
        template = {domain.UPDATE: "offer_updated", domain.WITHDRAWAL: "offer_withdrawn"}.get(
            delivery.kind, ITEM_TEMPLATES[kind])
        return RenderedMail(to, self.item_mail(template, to=to, subscription_id=sid, language=lang, event_id=eid,
                                               item=mail.item.data))

    # --- one builder per kind of mail -----------------------------------------------------

    def confirmation(self, *, to: str, subscription_id: str, language: str, request_id: str,
                     preferences: Mapping[str, Any]) -> bytes:
        """The confirmation link and what was chosen (fields, regions, frequency, extras). Only
        names from fixed lists: a form anyone can fill in must not be a way to send a
        stranger's text to someone's mailbox."""
        chosen = formatting.chosen(preferences, language)
        key = ("confirmation", language, *(f"{name}={value}" for name, value in chosen))
        prepared = self._prepared(key, lambda: self._prepare(
            "confirmation", language, self._translate(SUBJECTS["confirmation"], language),
            {"confirm_url": placeholder("confirm"), "lang": language, "chosen": chosen}, one_click=False))
        return self._complete(prepared, to, subscription_id, request_id,
                              {"confirm": tokens.confirm_link(self.base_url, self.signer, subscription_id)})

    def offer_alert(self, *, to: str, subscription_id: str, language: str, event_id: str, offer: dict) -> bytes:
        return self.item_mail("offer_published", to=to, subscription_id=subscription_id, language=language,
                              event_id=event_id, item=offer)

    def item_mail(self, template: str, *, to: str, subscription_id: str, language: str, event_id: str,
                  item: dict[str, Any]) -> bytes:
        """An alert, update or withdrawal notice about one offer, example or actor."""
        def build() -> PreparedMail:
            place = self._place(template, item, language)
            subject = self._translate(SUBJECTS[template], language).format(title=item.get("title") or item.get("name"),
                                                                  place=place)
            changed = sorted(domain.READER_RELEVANT_OFFER_CHANGES & set(item.get("changed_fields") or []))
            context = {"item": item, "place": place, "lang": language, "links": LINKS, "subject": subject,
                       "item_url": self._item_url(template, item), "changed": changed}
            return self._prepare(template, language, subject, context, one_click=True)

        prepared = self._prepared((template, language, event_id), build)
        return self._complete(prepared, to, subscription_id, event_id)

    def digest(self, *, to: str, subscription_id: str, language: str, digest_id: str, frequency: str, period: str,
               created_at: datetime, entries: list[tuple[dict, dict]]) -> bytes:
        """Rendered per digest: no two subscribers get the same one."""
        when = period.split(":", 1)[1] if period.startswith(("daily:", "weekly:")) else created_at.date().isoformat()
        title = self._translate(DIGEST_TITLES[frequency], language).format(date=formatting.day(when, language))
        sections: dict[str, list[dict]] = {}
        for entry, data in entries:
            kind = entry["kind"]
            template = ITEM_TEMPLATES[kind]
            sections.setdefault(entry["section"], []).append({
                "item": data, "kind": kind, "place": self._place(template, data, language),
                "item_url": self._item_url(template, data), "changed": entry.get("changed_fields", [])})
        counts = [self._count(section, len(items), language) for section, items in sections.items()]
        subject = f"{title}: {', '.join(counts)}"
        context = {"sections": sections, "lang": language, "links": LINKS, "subject": subject, "title": title,
                   "frequency": frequency}
        prepared = self._prepare("digest", language, subject, context, one_click=True)
        return self._complete(prepared, to, subscription_id, digest_id)

    # --- shared parts ---------------------------------------------------------------------

    def _prepare(self, name: str, language: str, subject: str, context: dict[str, Any], *,
                 one_click: bool) -> PreparedMail:
        context = {**context, "subject": subject}
        context = {**context, "lang": language}
        environment = self._environments.get(language)
        if environment is None:
            environment = self._environments[language] = formatting.make_environment(language)
        text = environment.get_template(f"{name}.txt").render(context)
        html = environment.get_template(f"{name}.html").render(context)
        return PreparedMail.build(mail_from=self.from_header, subject=subject, language=language, text=text, html=html,
                                  one_click=one_click)

    def _prepared(self, key: tuple[str, ...], build: Callable[[], PreparedMail]) -> PreparedMail:
        prepared = self._cache.get(key)
        if prepared is None:
            prepared = self._cache[key] = build()
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return prepared

    def _complete(self, prepared: PreparedMail, to: str, subscription_id: str, event_id: str,
                  links: Mapping[str, str] | None = None) -> bytes:
        links = {**(links or {}), **(tokens.links(self.base_url, self.signer, subscription_id)
                                     if prepared.one_click else {})}
        return prepared.for_recipient(to=to, date=self._date(),
                                      message_id=domain.message_id(subscription_id, event_id, self.domain),
                                      links=links)

    def _date(self) -> str:
        """The Date header, formatted once per second (a fan-out sends thousands per second)."""
        second = int(time.time())
        if second != self._date_second:
            self._date_text, self._date_second = format_datetime(datetime.now(UTC)), second
        return self._date_text

    def _item_url(self, template: str, item: dict[str, Any]) -> str | None:
        if template == "actor_registered":
            return f"{self.actors_base_url}/actors/{item['id']}" if self.actors_base_url else item.get("website")
        if template == "example_published":
            return item.get("page_url") or item.get("url")
        return item.get("url")

    @staticmethod
    def _place(template: str, item: dict[str, Any], language: str) -> str:
        if template == "actor_registered":
            return formatting.place_names(item.get("districts") or [], language)
        return formatting.place_name(item.get("district"), language)

    @staticmethod
    def _translate(message: str, language: str) -> str:
        return formatting.translator(language).gettext(message)

    @staticmethod
    def _count(section: str, number: int, language: str) -> str:
        t = formatting.translator(language)
        if section == domain.SECTIONS[0]:
            text = t.ngettext("{number} neues Angebot", "{number} neue Angebote", number)
        elif section == domain.SECTIONS[1]:
            text = t.ngettext("{number} Änderung", "{number} Änderungen", number)
        elif section == domain.SECTIONS[2]:
            text = t.ngettext("{number} zurückgezogen", "{number} zurückgezogen", number)
        elif section == domain.SECTIONS[3]:
            text = t.ngettext("{number} gutes Beispiel", "{number} gute Beispiele", number)
        else:
            text = t.ngettext("{number} neuer Akteur", "{number} neue Akteure", number)
        return text.format(number=number)
