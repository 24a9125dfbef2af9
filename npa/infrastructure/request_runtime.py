"""The service's runtime and public base URL as seen from a request: shared by the JSON routes,
the public pages and the editor pages (pages never import routes)."""

from starlette.requests import Request

from npa.infrastructure.runtime import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def base_url(request: Request) -> str:
    return runtime(request).settings.public_base_url


def client_host(request: Request) -> str:
    """The client's address, as throttles count it ("unknown" when the server cannot tell)."""
    return request.client.host if request.client else "unknown"
