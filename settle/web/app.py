"""The web application: the portal and the REST API share one FastAPI app and one engine."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine

from settle import db
from settle.config import Settings


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; refuses a database that is not migrated (run `settle db upgrade`)."""
    settings = settings or Settings.from_env()
    engine = engine or db.create_engine(settings.database_url)
    db.check_migrated(engine)
    app = FastAPI(title="Settle", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness and database reachability, for load balancers."""
        try:
            with engine.connect().execution_options(settle_write=False) as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Settle</title>"
            "<h1>Settle</h1><p>The billing portal is running. <a href=/healthz>Health</a></p></html>"
        )

    return app
