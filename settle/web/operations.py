"""What operators and load balancers ask of a running server: /healthz (the process answers), /readyz (its
database answers and is migrated), /metrics (Prometheus), and for every request an id, a JSON log line and
the request's count and latency by route template."""

from __future__ import annotations

import hmac
import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settle import db, metrics
from settle.logs import request_id_from, reset_request_id, set_request_id

request_log = logging.getLogger("settle.request")
_QUIET = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: counted, not logged
_SECRET_LENGTH = 22  # secrets.token_urlsafe(16) and longer; ids, invoice numbers and words are shorter
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def install_operations(app: FastAPI, engine: Engine) -> None:
    """The probes and the metrics, on the app's engine (app.state.engine, read at each request)."""
    head = db.head_revision(engine)  # the newest migration this code ships: the same for every engine

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness: the process answers (it does not ask the database: a database outage must not
        make an orchestrator restart every worker)."""
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        """Readiness, for load balancers: the database answers and is at the newest migration."""
        engine: Engine = request.app.state.engine
        try:
            with engine.connect().execution_options(settle_write=False) as connection:
                connection.execute(text("SELECT 1"))
            current = db.current_revision(engine)
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if current != head:
            body = {"status": "unavailable", "database": "ok", "migrations": f"at {current}, not {head}"}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "migrations": "current"})

    @app.get("/metrics", include_in_schema=False)
    def prometheus(request: Request) -> Response:
        """Every tenant's counts: only for a scraper with SETTLE_METRICS_TOKEN; without one configured,
        as if there were no such page."""
        token = request.app.state.settings.metrics_token
        if not token:
            return JSONResponse({"status": "not found"}, status_code=404)
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
            return JSONResponse({"status": "unauthenticated"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(
            metrics.exposition(request.app.state.engine), media_type="text/plain; version=0.0.4; charset=utf-8"
        )


class RequestContext:
    """The outermost middleware: the request's id (the caller's X-Request-Id or a new one) for the logs and
    the audit trail, echoed in the answer; then, once answered, its metrics and one JSON log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(_header(scope, b"x-request-id"))
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._done(scope, status, time.perf_counter() - started)
            reset_request_id(token)

    def _done(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"  # never the raw path: one series per route
        method = scope["method"] if scope["method"] in _METHODS else "other"
        metrics.HTTP_REQUESTS.labels(method, template, str(status)).inc()
        metrics.HTTP_LATENCY.labels(method, template).observe(seconds)
        if scope["path"] not in _QUIET and request_log.isEnabledFor(logging.INFO):
            client = scope.get("client")
            path = loggable_path(scope, template)
            request_log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "method": method,
                    "path": path,
                    "route": template,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None,
                },
            )


def loggable_path(scope: Scope, template: str) -> str:
    """The path as the log may keep it: the route's template where a route matched (an invitation's,
    a reset's or a 3-D Secure challenge's secret is a path parameter), and otherwise the path with
    every part long enough to be a secret cut out. Never the query string."""
    if template != "unmatched":
        return str(scope.get("root_path", "")) + template
    parts = str(scope["path"]).split("/")
    return "/".join(part if len(part) < _SECRET_LENGTH else "…" for part in parts)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
