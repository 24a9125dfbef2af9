"""Kafka security settings for a managed cluster: read from the environment, checked, and handed
to both clients (FastStream/aiokafka for the bus, kafka-python for topics and consumer lag).

No SASL or TLS broker is available on the development machines (the local broker speaks
PLAINTEXT only), so these tests stop at the clients' configuration; a connection to a real
SASL_SSL cluster is untested."""

import pickle
import ssl
from dataclasses import replace

import pytest
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

from npa.infrastructure import kafka, topics_admin
from npa.infrastructure.consumer_lag import LagReader
from npa.infrastructure.runtime import ServiceRuntime, broker_security
from npa.infrastructure.settings import KafkaSecurity, load_kafka_security, load_settings
from services.reports import replay

SASL_ENV = {
    "NPA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "NPA_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "NPA_KAFKA_SASL_USERNAME": "npa-offers",
    "NPA_KAFKA_SASL_PASSWORD": "s3cret",
}


@pytest.fixture
def env(monkeypatch):  # noqa: ANN001, ANN201
    for name in (*SASL_ENV, "NPA_KAFKA_SSL_CAFILE", "NPA_KAFKA_REPLICATION_FACTOR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_default_is_plaintext_without_security_object(env) -> None:  # noqa: ANN001
    settings = load_settings("offers")
    assert settings.kafka_security == KafkaSecurity()
    assert settings.kafka_replication_factor == 1
    assert broker_security(settings.kafka_security) is None
    assert settings.kafka_security.kafka_client_config() == {"security_protocol": "PLAINTEXT"}


def test_sasl_scram_over_tls_is_read_and_becomes_faststream_and_kafka_python_config(env) -> None:  # noqa: ANN001
    for name, value in SASL_ENV.items():
        env.setenv(name, value)
    env.setenv("NPA_KAFKA_REPLICATION_FACTOR", "3")
    settings = load_settings("offers")
    security = settings.kafka_security
    assert (security.protocol, security.sasl_mechanism, security.username) == ("SASL_SSL", "SCRAM-SHA-512", "npa-offers")
    assert "s3cret" not in repr(settings)  # the password never reaches a log line through repr
    assert settings.kafka_replication_factor == 3

    faststream_security = broker_security(security)
    assert type(faststream_security) is SASLScram512
    assert (faststream_security.username, faststream_security.password) == ("npa-offers", "s3cret")
    assert faststream_security.use_ssl and isinstance(faststream_security.ssl_context, ssl.SSLContext)
    assert faststream_security.ssl_context.verify_mode == ssl.CERT_REQUIRED

    assert security.kafka_client_config() == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "npa-offers", "sasl_plain_password": "s3cret",
    }


@pytest.mark.parametrize(("mechanism", "expected"), [("PLAIN", SASLPlaintext), ("SCRAM-SHA-256", SASLScram256),
                                                     ("scram-sha-512", SASLScram512)])
def test_each_mechanism_maps_to_its_faststream_class(env, mechanism, expected) -> None:  # noqa: ANN001
    env.setenv("NPA_KAFKA_SECURITY_PROTOCOL", "sasl_plaintext")
    env.setenv("NPA_KAFKA_SASL_MECHANISM", mechanism)
    env.setenv("NPA_KAFKA_SASL_USERNAME", "u")
    env.setenv("NPA_KAFKA_SASL_PASSWORD", "p")
    security = broker_security(load_settings("reports").kafka_security)
    assert type(security) is expected and not security.use_ssl  # SASL_PLAINTEXT: no TLS


def test_tls_without_sasl_uses_the_given_ca_file(env, tmp_path) -> None:  # noqa: ANN001
    ca = tmp_path / "ca.pem"
    ca.write_text(_a_system_certificate())  # any PEM CA certificate will do
    env.setenv("NPA_KAFKA_SECURITY_PROTOCOL", "SSL")
    env.setenv("NPA_KAFKA_SSL_CAFILE", str(ca))
    security = load_settings("actors").kafka_security
    faststream_security = broker_security(security)
    assert faststream_security.use_ssl and faststream_security.ssl_context.get_ca_certs()
    assert security.kafka_client_config() == {"security_protocol": "SSL", "ssl_cafile": str(ca)}


def _a_system_certificate() -> str:
    context = ssl.create_default_context()
    der = context.get_ca_certs(binary_form=True)
    if not der:
        pytest.fail("no system CA certificates (Debian: ca-certificates)")
    return ssl.DER_cert_to_PEM_cert(der[0])


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"NPA_KAFKA_SECURITY_PROTOCOL": "SASL"}, "NPA_KAFKA_SECURITY_PROTOCOL"),
        ({"NPA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "NPA_KAFKA_SASL_MECHANISM": "GSSAPI",
          "NPA_KAFKA_SASL_USERNAME": "u", "NPA_KAFKA_SASL_PASSWORD": "p"}, "NPA_KAFKA_SASL_MECHANISM"),
        ({"NPA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "NPA_KAFKA_SASL_MECHANISM": "PLAIN"}, "NPA_KAFKA_SASL_USERNAME"),
        ({"NPA_KAFKA_SASL_USERNAME": "u", "NPA_KAFKA_SASL_PASSWORD": "p"}, "NPA_KAFKA_SECURITY_PROTOCOL"),
    ],
)
def test_incomplete_or_unknown_settings_stop_the_start_with_the_variable_named(env, values, named) -> None:  # noqa: ANN001
    for name, value in values.items():
        env.setenv(name, value)
    with pytest.raises(ValueError, match=named):
        load_settings("offers")


def test_the_service_broker_and_the_admin_clients_get_the_credentials(env, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    for name, value in SASL_ENV.items():
        env.setenv(name, value)
    settings = replace(load_settings("offers"), database_url=f"sqlite:///{tmp_path}/offers.db")
    params = kafka.client_options(settings.kafka_security)  # what the runtime's producer and consumers get
    assert params["security_protocol"] == "SASL_SSL" and params["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (params["sasl_plain_username"], params["sasl_plain_password"]) == ("npa-offers", "s3cret")
    assert isinstance(params["ssl_context"], ssl.SSLContext)
    runtime = ServiceRuntime(settings)
    assert runtime.broker._connection_kwargs["sasl_mechanism"] == "SCRAM-SHA-512"  # noqa: SLF001 - AsyncAPI's view
    runtime.engine.dispose()

    seen: list[dict] = []

    class Recording:
        def __init__(self, **config) -> None:  # noqa: ANN003
            seen.append(config)

        def list_topics(self) -> list[str]:
            return topics_admin.platform_topics()

        def close(self) -> None:
            pass

    monkeypatch.setattr(topics_admin, "AdminClient", Recording)
    topics_admin.ensure_topics("broker:9093", 6, security=settings.kafka_security)
    assert seen[0]["security_protocol"] == "SASL_SSL" and seen[0]["sasl_plain_username"] == "npa-offers"

    reader = LagReader("broker:9093", settings.kafka_security)
    assert reader._config["sasl_mechanism"] == "SCRAM-SHA-512"  # noqa: SLF001
    assert reader._config["sasl_plain_password"] == "s3cret"  # noqa: SLF001


async def test_the_rebuild_reads_with_the_credentials_in_every_process(env) -> None:  # noqa: ANN001
    for name, value in SASL_ENV.items():
        env.setenv(name, value)
    security = load_kafka_security()  # what `npa-reports rebuild` reads
    consumer = replay._reader("broker:9093", security, batch_size=100)
    client = consumer._client  # noqa: SLF001 - aiokafka keeps the connection settings here
    assert (client._security_protocol, client._sasl_mechanism, client._sasl_plain_username) == (  # noqa: SLF001
        "SASL_SSL", "SCRAM-SHA-512", "npa-offers")
    assert isinstance(client._ssl_context, ssl.SSLContext)  # noqa: SLF001
    # A replaying process started with `spawn` gets its arguments pickled; a TLS context cannot be.
    assert pickle.loads(pickle.dumps(security)) == security
