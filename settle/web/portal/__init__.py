"""The portal: server-rendered pages for people (DESIGN §1, §6)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from settle.web.portal import sign_in_routes
from settle.web.portal.pages import render, sign_in_first, visitor

STATIC = Path(__file__).parent / "static"


def install_portal(app: FastAPI) -> None:
    """Add the portal's pages, static files and error pages to the app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(sign_in_routes.router)
    app.add_exception_handler(sign_in_routes.FormExpired, sign_in_routes.form_expired_answer)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        if visitor(request).user is None:
            return sign_in_first(request)
        return render(request, "home.html")
