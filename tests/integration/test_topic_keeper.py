"""A service re-creates platform topics the broker lost (a memory broker after a restart),
against the real broker: the TopicKeeper finds the missing ones and creates them."""

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from npa.contracts import topics
from npa.infrastructure.topics_admin import TopicKeeper, ensure_topics, platform_topics
from tests.support.services import service_settings


async def listed(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_missing_topics_are_created_again(kafka_bootstrap: str) -> None:
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 2)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topics.dead_letter(topics.OFFERS), topics.EXAMPLES])
    finally:
        await admin.close()
    assert topics.EXAMPLES not in await listed(kafka_bootstrap)

    keeper = TopicKeeper(service_settings("offers", database_url="sqlite://", bootstrap=kafka_bootstrap),
                         lambda: listed(kafka_bootstrap))
    assert await keeper.check() == sorted([topics.dead_letter(topics.OFFERS), topics.EXAMPLES])
    assert set(platform_topics()) <= await listed(kafka_bootstrap)
    assert await keeper.check() == []  # all there: nothing to do
