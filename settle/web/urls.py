"""Absolute URLs that Settle hands out (a download's Location and URL, an API page's nextLink) are built
from SETTLE_BASE_URL, never from the request's Host header: a client, or anything between it and Settle,
chooses that header, and a link built from it could send the next request, bearer token and all, elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from starlette.requests import Request


def public_url(base_url: str, path: str, query: Mapping[str, str | int] | None = None) -> str:
    """`path` (from the app's root) under the configured base URL, with its query."""
    url = base_url.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


def route_url(request: Request, name: str, query: Mapping[str, str | int] | None = None, **params: str) -> str:
    """The public URL of the named route."""
    path = request.app.url_path_for(name, **params)
    return public_url(request.app.state.settings.base_url, str(path), query)


def this_path_url(request: Request, query: Mapping[str, str | int]) -> str:
    """The public URL of the path this request asked for, with another query (the next page's)."""
    path, root = request.url.path, request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return public_url(request.app.state.settings.base_url, quote(path, safe="/:@!$&'()*+,;=~"), query)
