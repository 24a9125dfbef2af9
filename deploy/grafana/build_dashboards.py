"""Writes the Grafana dashboards under deploy/grafana/dashboards/ (provisioned read-only).

    python deploy/grafana/build_dashboards.py

One overview of the platform and one dashboard per service, all from the same panel helpers,
so the same question has the same query everywhere. The JSON files are committed; the tests
check they are up to date, that every query parses (promtool) and that every metric a query
names is exported by a running service (tests/e2e/test_metrics_and_dashboards.py).
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "$__rate_interval"

SERVICES = {
    "actors": {"title": "Akteure / actors", "publishes": True, "consumes": False},
    "offers": {"title": "Angebote / offers", "publishes": True, "consumes": True},
    "notifications": {"title": "Benachrichtigungen / notifications", "publishes": True, "consumes": True},
    "reports": {"title": "Berichte / reports", "publishes": False, "consumes": True},
}
JOBS = "|".join(SERVICES)
UP_COLORS = ("red", "green")  # 0 red, 1 green


def panel(title: str, *queries: tuple[str, str], unit: str = "short", kind: str = "timeseries",
          description: str = "", width: int = 12, thresholds: tuple[float, ...] = (),
          colors: tuple[str, ...] = ("green", "orange", "red")) -> dict:
    """`thresholds` are where the colour changes: below the first `colors[0]`, then the next colour."""
    steps = [{"color": colors[0], "value": None}] + [
        {"color": color, "value": value} for color, value in zip(colors[1:], thresholds, strict=False)]
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": width},
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": []},
        "options": {},
        "targets": [
            {"refId": chr(ord("A") + index), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for index, (expr, legend) in enumerate(queries)
        ],
    }


def dashboard(uid: str, title: str, panels: list[dict], templating: list[dict]) -> dict:
    x = y = previous = 0
    for number, item in enumerate(panels, start=1):  # left to right, top to bottom; a new width starts a row
        width = item["gridPos"]["w"]
        if x + width > 24 or (x and width != previous):
            x, y = 0, y + 8
        item["id"] = number
        item["gridPos"].update(x=x, y=y)
        x, previous = x + width, width
    return {
        "uid": uid,
        "title": title,
        "tags": ["npa"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "links": [{"type": "dashboards", "tags": ["npa"], "title": "NPA", "asDropdown": True, "includeVars": False}],
        "templating": {"list": templating},
        "annotations": {"list": []},
        "panels": panels,
    }


def instance_variable(job: str) -> dict:
    query = f'label_values(up{{job="{job}"}}, instance)'
    return {
        "name": "instance", "label": "Instanz", "type": "query", "datasource": DATASOURCE,
        "query": {"query": query, "refId": "instance"}, "definition": query,
        "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "sort": 1,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }


def http_panels(s: str, by: str) -> list[dict]:
    return [
        panel("HTTP-Anfragen / s", (f"sum by ({by}, status) (rate(npa_http_request_duration_seconds_count{{{s}}}[{RATE}]))",
                                    f"{{{{{by}}}}} {{{{status}}}}"), unit="reqps"),
        panel("HTTP-Antwortzeit p95",
              (f"histogram_quantile(0.95, sum by (le, {by}) (rate(npa_http_request_duration_seconds_bucket{{{s}}}[{RATE}])))",
               f"{{{{{by}}}}}"), unit="s"),
        panel("HTTP-Fehler 5xx / s",
              (f'sum by ({by}) (rate(npa_http_request_duration_seconds_count{{{s}, status=~"5.."}}[{RATE}]))',
               f"{{{{{by}}}}}"), unit="reqps"),
    ]


def outbox_panels(s: str, by: str) -> list[dict]:
    return [
        panel("Outbox: unveröffentlichte Ereignisse", (f"max by ({by}) (npa_outbox_pending{{{s}}})", f"{{{{{by}}}}}"),
              description="npa_outbox_pending: events committed but not yet on Kafka"),
        panel("Outbox: Alter des ältesten Ereignisses",
              (f"max by ({by}) (npa_outbox_pending_oldest_age_seconds{{{s}}})", f"{{{{{by}}}}}"),
              unit="s", thresholds=(60, 300), description="Alert OutboxBacklogOld above 300 s"),
    ]


def consumer_panels(s: str) -> list[dict]:
    return [
        panel("Verarbeitete Ereignisse / s nach Typ und Ergebnis",
              (f"sum by (type, outcome) (rate(npa_events_consumed_total{{{s}}}[{RATE}]))", "{{type}} {{outcome}}"),
              unit="ops"),
        panel("Batch-Dauer p95 nach Topic",
              (f"histogram_quantile(0.95, sum by (le, topic) (rate(npa_consumer_batch_duration_seconds_bucket{{{s}}}[{RATE}])))",
               "{{topic}}"), unit="s", description="One partition's batch in one transaction, commit included"),
        panel("Batch-Größe p50 nach Topic",
              (f"histogram_quantile(0.5, sum by (le, topic) (rate(npa_consumer_batch_events_bucket{{{s}}}[{RATE}])))",
               "{{topic}}"), description="Records applied together; grows with the backlog, 1 when idle"),
        panel("Consumer-Lag je Topic und Partition",
              (f"max by (topic, partition) (npa_consumer_lag{{{s}}})", "{{topic}}[{{partition}}]"),
              description="Records the group has not processed yet (end offset − committed offset); alert ConsumerLagGrowing"),
        panel("Lag lesbar (Kafka erreichbar)", (f"min(npa_consumer_lag_up{{{s}}})", "lesbar"), kind="stat",
              thresholds=(1,), colors=UP_COLORS,
              description="npa_consumer_lag_up: 0 when the service cannot ask Kafka for its group's offsets"),
        panel("Dead Letters (je Stunde)", (f"sum by (topic) (increase(npa_dlq_messages_total{{{s}}}[1h]))", "{{topic}}"),
              thresholds=(1,)),
        panel("Nachrichten in Dead-Letter-Topics", (f"max by (topic) (npa_dlq_topic_messages{{{s}}})", "{{topic}}"),
              thresholds=(1,)),
        panel("Übersprungen: Duplikate und veraltete Versionen / s",
              (f'sum by (topic, outcome) (rate(npa_events_consumed_total{{{s}, outcome=~"duplicate|stale"}}[{RATE}]))',
               "{{topic}} {{outcome}}"), unit="ops",
              description="Inbox duplicates (redeliveries) and stale versions skipped without effect"),
        panel("Wiederholte Handler-Versuche / s",
              (f"sum by (topic) (rate(npa_consumer_retries_total{{{s}}}[{RATE}]))", "{{topic}}"), unit="ops"),
        panel("Abgebrochene Batches (je Stunde)",
              (f"sum by (topic) (increase(npa_consumer_batches_cut_short_total{{{s}}}[1h]))", "{{topic}}"),
              thresholds=(1,),
              description="Batches cancelled at a rebalance or stop after NPA_CONSUMER_GRACEFUL_SECONDS; "
                          "their records come again. Non-zero: a handler hung (ADR 9)"),
    ]


def process_panels(s: str) -> list[dict]:
    return [
        panel("CPU (Kerne)", (f"rate(process_cpu_seconds_total{{{s}}}[{RATE}])", "{{instance}}"), unit="short", width=8),
        panel("Arbeitsspeicher (RSS)", (f"process_resident_memory_bytes{{{s}}}", "{{instance}}"), unit="bytes", width=8),
        panel("Offene Dateideskriptoren", (f"process_open_fds{{{s}}}", "{{instance}}"), width=8),
    ]


def mail_panels(s: str) -> list[dict]:
    return [
        panel("E-Mails / s nach Art und Ergebnis",
              (f"sum by (kind, outcome) (rate(npa_notifications_mails_total{{{s}}}[{RATE}]))", "{{kind}} {{outcome}}"),
              unit="ops"),
        panel("Anteil fehlgeschlagener oder zurückgestellter E-Mails (15 min)",
              (f'sum(increase(npa_notifications_mails_total{{{s}, outcome=~"failed|deferred"}}[15m])) '
               f"/ sum(increase(npa_notifications_mails_total{{{s}}}[15m]))", "Anteil"),
              unit="percentunit", thresholds=(0.1, 0.2), description="Alert MailFailureRateHigh above 20 %"),
    ]


def report_panels(s: str) -> list[dict]:
    active = f"max without (instance) (npa_reports_active_offers{{{s}}})"
    districts = f'max without (instance) (npa_reports_active_offers{{{s}, district!="statewide"}})'
    return [
        panel("Aktive Angebote je Handlungsfeld", (f"sum by (field) ({active})", "{{field}}"),
              description="npa_reports_active_offers summed over districts and state-wide offers"),
        panel("Landkreise ohne aktives Angebot je Handlungsfeld", (f"count by (field) ({districts} == 0)", "{{field}}"),
              description="Gaps: district × field cells without a published offer"),
        panel("Die 10 Landkreise mit den meisten Angeboten",
              (f"topk(10, sum by (district) ({districts}))", "{{district}}"), kind="bargauge", width=24),
    ]


def service_dashboard(job: str) -> dict:
    info = SERVICES[job]
    s = f'job="{job}", instance=~"$instance"'
    panels = [panel("Erreichbar", (f"up{{{s}}}", "{{instance}}"), kind="stat", thresholds=(1,), colors=UP_COLORS)]
    if info["publishes"]:
        panels.append(panel("Veröffentlichte Ereignisse / s nach Typ",
                            (f"sum by (type) (rate(npa_events_published_total{{{s}}}[{RATE}]))", "{{type}}"), unit="ops"))
    panels += http_panels(s, "route") + outbox_panels(s, "instance")
    if info["consumes"]:
        panels += consumer_panels(s)
    if job == "notifications":
        panels += mail_panels(s)
    if job == "reports":
        panels += report_panels(s)
    panels += process_panels(s)
    return dashboard(f"npa-{job}", f"NPA – {info['title']}", panels, [instance_variable(job)])


def overview() -> dict:
    s = f'job=~"{JOBS}"'
    panels = [
        panel("Dienste erreichbar", (f"up{{{s}}}", "{{job}} {{instance}}"), kind="stat", thresholds=(1,),
              colors=UP_COLORS),
        panel("Veröffentlichte Ereignisse / s", (f"sum by (job) (rate(npa_events_published_total[{RATE}]))", "{{job}}"),
              unit="ops"),
        panel("Verarbeitete Ereignisse / s nach Ergebnis",
              (f"sum by (job, outcome) (rate(npa_events_consumed_total[{RATE}]))", "{{job}} {{outcome}}"), unit="ops"),
        panel("Consumer-Lag je Gruppe", ("sum by (group) (max without (instance) (npa_consumer_lag))", "{{group}}")),
        *outbox_panels(s, "job"),
        panel("Dead Letters (je Stunde)", ("sum by (job, topic) (increase(npa_dlq_messages_total[1h]))",
                                           "{{job}} {{topic}}"), thresholds=(1,)),
        panel("Nachrichten in Dead-Letter-Topics", ("max by (topic) (npa_dlq_topic_messages)", "{{topic}}"),
              thresholds=(1,)),
        *http_panels(s, "job"),
        panel("E-Mails / s nach Ergebnis",
              (f"sum by (outcome) (rate(npa_notifications_mails_total[{RATE}]))", "{{outcome}}"), unit="ops"),
        panel("Aktive Angebote je Handlungsfeld",
              ("sum by (field) (max without (instance) (npa_reports_active_offers))", "{{field}}"), width=24),
    ]
    return dashboard("npa-platform-overview", "NPA – Plattform / platform overview", panels, [])


def build() -> dict[str, dict]:
    return {"platform-overview.json": overview(), **{f"{job}.json": service_dashboard(job) for job in SERVICES}}


def render(item: dict) -> str:
    return json.dumps(item, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, item in build().items():
        (OUT / name).write_text(render(item), encoding="utf-8")
        print(f"wrote {(OUT / name).relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
