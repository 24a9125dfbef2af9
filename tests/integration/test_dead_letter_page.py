"""The editors' dead-letter page against the real broker: a message parked on a `.dlq` topic
with the consumer's headers is listed with its reason and origin; without a session, no page."""

import asyncio

import httpx

from npa.contracts import topics
from npa.infrastructure.database import run_migrations
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import COOKIE, EditorSessions
from npa.infrastructure.topics_admin import ensure_topics
from services.reports.app import create_app
from tests.support.services import ROOT, produce, service_settings

HEADERS = [("npa-dlq-reason", b"data.offer.district: Value error, unknown district key '00000'"),
           ("npa-dlq-origin-topic", b"npa.partner.offers.v1"), ("npa-dlq-origin-partition", b"2"),
           ("npa-dlq-origin-offset", b"17"), ("npa-dlq-consumer-group", b"offers"), ("npa-dlq-attempts", b"1"),
           ("ce_type", b"de.npa.partner.offer.upserted")]


async def test_dead_letters_are_listed_with_their_reasons(kafka_bootstrap, tmp_path):  # noqa: ANN001
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 2)
    dlq = topics.dead_letter(topics.PARTNER_OFFERS)
    await produce(kafka_bootstrap, dlq, b'{"type":"de.npa.partner.offer.upserted","data":{"external_id":"kurs-9"}}',
                  key=b"p-1:kurs-9", headers=HEADERS)
    settings = service_settings("reports", database_url=f"sqlite:///{tmp_path}/reports.db", bootstrap=kafka_bootstrap)
    run_migrations(ROOT / "services" / "reports" / "migrations", settings.database_url)  # sessions are checked there
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.public_base_url) as client:
        assert (await client.get("/editor/dead-letters")).status_code == 303
        client.cookies.set(COOKIE, EditorSessions(settings.secret_key).issue(Editor("e-1", "anna", "Anna")),
                           domain="127.0.0.1")
        page = await client.get("/editor/dead-letters")
        assert page.status_code == 200, page.text
        text = page.text
        assert "unknown district key &#39;00000&#39;" in text and dlq in text
        assert "npa.partner.offers.v1/2@17" in text and "Verbrauchergruppe offers" in text
        assert "p-1:kurs-9" in text and "kurs-9" in text and "1 Nachricht<" in text
        other = await client.get(f"/editor/dead-letters?topic={topics.dead_letter(topics.OFFERS)}")
        assert "0 Nachrichten" in other.text
