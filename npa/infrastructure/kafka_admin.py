"""kafka-python's admin client, opened so that a broker it cannot reach leaves nothing running.

kafka-python 3.0.12's `KafkaAdminClient.__init__` starts its IO thread (`kafka-io-<client_id>`)
and then bootstraps. When the bootstrap fails it raises without stopping that thread (which keeps
its selector), and the caller never gets an object it could close: every failed attempt left one
more thread polling for good. The platform opens admin clients while Kafka may be down: the
consumer-lag read behind each metrics scrape and ops page view starts a new one after a failure,
and `ensure_topics` retries every 0.5 s while the broker starts. An hour of outage with a scrape
every 15 s would leave 240 threads in every consuming service.
"""

import logging

from kafka.admin import KafkaAdminClient

log = logging.getLogger(__name__)


class AdminClient(KafkaAdminClient):
    """`KafkaAdminClient` whose failed construction releases what it had started."""

    def __init__(self, **configs: object) -> None:
        try:
            super().__init__(**configs)
        except BaseException:
            self._release_after_failed_start()
            raise

    def _release_after_failed_start(self) -> None:
        # What KafkaAdminClient.close() releases, for the parts the constructor got to.
        for part, release in (("_metrics", "close"), ("_client", "close"), ("_net", "stop")):
            started = getattr(self, part, None)
            if started is None:
                continue
            try:
                getattr(started, release)()
            except Exception:  # noqa: BLE001 - the constructor's own error is the one to raise
                log.debug("releasing %s of an admin client that could not start failed", part, exc_info=True)
