"""What the reports routes and pages share (pages never import routes)."""

from collections.abc import Iterator

from starlette.requests import Request

from services.reports.report import Report


def reading(request: Request) -> Iterator[Report]:
    """The read models in one consistent snapshot for the request."""
    with Report.reading(request.app.state.runtime.engine) as report:
        yield report
