"""The reports' consumer fetches 500 ms at a time unless told otherwise (services/reports/app.py):
its read models are read by nobody in a hurry, and the wait sets the size of steady batches."""

import pytest

from services.reports.app import FETCH_MAX_WAIT_MS, reports_settings


def test_reports_wait_longer_than_the_platform_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPA_REPORTS_FETCH_MAX_WAIT_MS", raising=False)
    monkeypatch.setenv("NPA_KAFKA_FETCH_MAX_WAIT_MS", "50")
    assert reports_settings().kafka_fetch_max_wait_ms == FETCH_MAX_WAIT_MS == 500


def test_a_longer_platform_wait_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPA_REPORTS_FETCH_MAX_WAIT_MS", raising=False)
    monkeypatch.setenv("NPA_KAFKA_FETCH_MAX_WAIT_MS", "800")
    assert reports_settings().kafka_fetch_max_wait_ms == 800


def test_the_reports_own_setting_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPA_KAFKA_FETCH_MAX_WAIT_MS", "800")
    monkeypatch.setenv("NPA_REPORTS_FETCH_MAX_WAIT_MS", "50")
    assert reports_settings().kafka_fetch_max_wait_ms == 50
