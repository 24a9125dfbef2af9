"""Scenario 7 of the fault suite: partner A sends messages for partner B's offer on the
partner topic (ADR 0013). Both partners have registered signing keys and send a steady stream
of good signed offers on `npa.partner.offers.v1`; meanwhile forged messages for B's offer
arrive, interleaved: signed by A, unsigned, signed by B and altered afterwards, signed by a key
nobody registered, and A's new offer in B's name. Every forged message must be parked on
`npa.partner.offers.v1.dlq` with the reason it was refused, B's offer must stay exactly as it
was, no mail may mention a forged title, and every good offer must be applied and mailed."""

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import create_engine, text

from bench.support import traffic
from bench.support.fault_harness import Harness, Row
from bench.support.fault_poison import parked_records
from bench.support.fault_scenarios import ENV, SERVICES, Options, finish
from bench.support.stack import TOKEN, running_stack
from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, decode
from npa.contracts.signatures import SigningKey
from npa.partner_client.client import deleted, headers_of, upserted

ROUNDS = 5
TARGET = 1  # stream offer 1 is B's first offer: the one A tries to take over


class SignedStream(Harness):
    """The steady stream as partners send it on the bus: offers alternate between partner A
    (even numbers) and partner B (odd), each signed with its partner's key."""

    producer: AIOKafkaProducer | None = None
    partners: list[dict]

    def register_partner(self) -> None:
        self.partners = [traffic.register_partner(self.stack.urls, TOKEN) for _ in range(2)]
        self.partner = self.partners[0]

    def body(self, number: int) -> dict:
        return {"title": f"Fault-Kurs {self.run_id} {number}", "fields": [traffic.FIELD_SLUGS[number % len(traffic.FIELD_SLUGS)]],
                "district": None, "summary": "Ein Angebot aus der Fehlerprobe.", "languages": ["de"]}

    async def send(self, event: CloudEvent) -> None:
        assert self.producer is not None
        await self.producer.send_and_wait(topics.PARTNER_OFFERS, event.model_dump_json().encode(),
                                          key=event.subject.encode(), headers=headers_of(event))

    async def put_offer(self, client, number: int, deadline: float) -> bool:  # noqa: ANN001, ARG002
        partner = self.partners[number % 2]
        external_id = f"fault-{self.run_id}-{number}"
        event = partner["signing_key"].sign(upserted(partner["id"], external_id, self.body(number)))
        while time.monotonic() < deadline:
            try:
                await self.send(event)  # the same envelope again after an error: the inbox knows it
                self.accepted[external_id] = number % len(traffic.FIELD_SLUGS)
                return True
            except KafkaError:
                await asyncio.sleep(0.2)
        return False

    def query(self, sql: str, **params: object) -> list:
        engine = create_engine(self.stack.database_urls["offers"])
        with engine.connect() as connection:
            rows = list(connection.execute(text(sql), params))
        engine.dispose()
        return rows

    def applied_offers(self) -> int:
        return self.query("SELECT count(*) FROM offers WHERE partner_id IN (:a, :b) AND external_id LIKE :e",
                          a=self.partners[0]["id"], b=self.partners[1]["id"], e=f"fault-{self.run_id}-%")[0][0]

    def offer_of_b(self, external_id: str) -> tuple | None:
        rows = self.query("SELECT id, version, status, title, body, updated_at FROM offers "
                          "WHERE partner_id = :b AND external_id = :e", b=self.partners[1]["id"], e=external_id)
        return tuple(rows[0]) if rows else None


def forgeries(stream: SignedStream, round_: int) -> list[tuple[CloudEvent, str, str]]:
    """(message, what it is, the reason it must be parked with) for one round."""
    a, b = stream.partners
    target = f"fault-{stream.run_id}-{TARGET}"
    forged = {**stream.body(TARGET), "title": f"Gefälscht {stream.run_id} {round_}"}
    altered = b["signing_key"].sign(upserted(b["id"], target, stream.body(TARGET)))
    altered = altered.model_copy(update={"data": {**altered.data, "offer": {**altered.data["offer"], **forged}}})
    other_partner = "belongs to another partner"
    return [
        (a["signing_key"].sign(upserted(b["id"], target, forged)), "A signs an update of B's offer", other_partner),
        (a["signing_key"].sign(deleted(b["id"], target)), "A signs a withdrawal of B's offer", other_partner),
        (a["signing_key"].sign(upserted(b["id"], f"forged-{stream.run_id}-{round_}", forged)),
         "A signs a new offer in B's name", other_partner),
        (upserted(b["id"], target, forged), "unsigned update of B's offer", "npasignature: missing"),
        (altered, "B's signed message altered afterwards", "npasignature: does not verify"),
        (SigningKey.generate().sign(upserted(b["id"], target, forged)), "signed by a key nobody registered",
         "npakeyid: unknown signing key"),
    ]


async def eventually(check: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := await asyncio.to_thread(check)) is not None:
            return found
        await asyncio.sleep(0.2)
    raise TimeoutError(f"not within {timeout:.0f} s")


def judge(stream: SignedStream, row: Row, sent: dict[str, tuple[str, str]], parked: dict[str, list[str]],
          before: tuple, after: tuple | None) -> None:
    """The forged messages' share of the row: each parked once with its reason, none applied."""
    unparked = [what for event_id, (what, _reason) in sent.items() if event_id not in parked]
    wrong = [f"{sent[event_id][0]}: {reasons}" for event_id, reasons in parked.items()
             if event_id in sent and (len(reasons) != 1 or sent[event_id][1] not in reasons[0])]
    good_parked = [f"{event_id}: {reasons}" for event_id, reasons in parked.items() if event_id not in sent]
    applied = []
    if after != before:
        applied.append(f"B's offer changed: {before[1:4]} → {after[1:4] if after else 'gone'}")
    created = stream.query("SELECT external_id FROM offers WHERE partner_id = :b AND external_id LIKE :e",
                           b=stream.partners[1]["id"], e=f"forged-{stream.run_id}-%")
    applied += [f"offer {external_id} created in B's name" for (external_id,) in created]
    mails = [subject for _at, subject in traffic.accepted_mails(stream.stack.mail)
             if f"Gefälscht {stream.run_id}" in subject]
    if unparked:
        row.extra_failures.append(f"forged and not parked: {len(unparked)} ({', '.join(sorted(set(unparked)))})")
    if wrong:
        row.extra_failures.append(f"parked without the expected reason: {wrong[:3]}")
    if good_parked:
        row.extra_failures.append(f"good messages parked: {good_parked[:3]}")
    if applied or mails:
        row.extra_failures.append(f"FORGED CHANGE APPLIED: {applied} {len(mails)} mails about it")
    row.sent += len(sent)
    row.applied += len(sent) - len(unparked)  # handled = parked on .dlq with a reason
    row.lost += len(unparked)
    row.note = (f"{len(sent)} forged messages for B's offer ({len(sent) // ROUNDS} kinds × {ROUNDS} rounds) amid "
                f"{row.sent - len(sent)} good signed offers of A and B; parked with the expected reason "
                f"{len(sent) - len(unparked) - len(wrong)}/{len(sent)}, forged changes applied {len(applied)}, "
                f"mails about them {len(mails)}; B's offer {'unchanged' if after == before else 'CHANGED'} "
                f"(version {after[1] if after else '-'}); recovery: from the last forgery until the offers "
                "sent so far were mailed")


async def forged_partner_message(options: Options) -> Row:
    """7. A forged partner message (partner A for B's offer), amid a steady signed stream."""
    with running_stack(options.backend, SERVICES, ENV) as stack:
        stream = SignedStream(stack, options.per_field)
        stream.seed_subscribers()
        stream.register_partner()
        stream.producer = await traffic.start_producer(stack.bootstrap)
        sent: dict[str, tuple[str, str]] = {}
        try:
            stream.start_stream(options.rate)
            before = await eventually(lambda: stream.offer_of_b(f"fault-{stream.run_id}-{TARGET}"), 120)
            for round_ in range(ROUNDS):
                for event, what, reason in forgeries(stream, round_):
                    await stream.send(event)
                    sent[event.id] = (what, reason)
                await asyncio.sleep(2)
            stream.mark_fault_end()
            await asyncio.sleep(5)
            row = await finish(stream, options, "7 forged partner message (A for B's offer)")
        finally:
            await stream.stop_stream()
            await stream.producer.stop()
        await asyncio.sleep(3)
        parked: dict[str, list[str]] = {}
        for record in await parked_records(stack.bootstrap, [topics.PARTNER_OFFERS]):
            headers = {name: value.decode() for name, value in record.headers or ()}
            try:
                event_id = decode(record.value).id
            except ValueError:
                continue  # not an envelope: nobody in this scenario sent it
            parked.setdefault(event_id, []).append(headers.get("npa-dlq-reason", ""))
        judge(stream, row, sent, parked, before, stream.offer_of_b(f"fault-{stream.run_id}-{TARGET}"))
        return row
