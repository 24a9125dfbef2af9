"""Fixtures with real parts: the Tansu broker, aiosmtpd, SQLite and PostgreSQL."""

import os
from collections.abc import Iterator

import pytest
import pytest_asyncio

from tests.support.databases import postgres_database
from tests.support.hang_report import report_hung_tasks  # noqa: F401 (autouse)
from tests.support.processes import free_port, tansu_broker
from tests.support.services import ADMIN_TOKEN
from tests.support.smtp import SmtpSink

os.environ["NPA_ADMIN_TOKEN"] = ADMIN_TOKEN
os.environ["NPA_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ.setdefault("NPA_CONSUMER_RETRY_BASE_SECONDS", "0.05")


@pytest.fixture
def kafka_bootstrap() -> Iterator[str]:
    """A fresh broker per test (it starts in milliseconds), so topics and groups never leak."""
    with tansu_broker() as bootstrap:
        yield bootstrap


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink(free_port()) as sink:
        yield sink


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # noqa: ANN001
    return f"sqlite:///{tmp_path}/service.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """Runs a test once on SQLite and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/service.db"
    else:
        with postgres_database() as url:
            yield url


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser():  # noqa: ANN201
    """Headless Debian Chromium driven by Playwright's async API (the sync API would leave a
    running loop behind and break the asyncio tests after it). Never `playwright install`."""
    from playwright.async_api import async_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver (make test does this as root)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def artifacts() -> str:
    """Where tests leave screenshots for a person to look at."""
    folder = os.path.join(os.path.dirname(__file__), "..", "test-artifacts")
    os.makedirs(folder, exist_ok=True)
    return os.path.abspath(folder)
