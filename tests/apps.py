"""One app per session and kind of settings: building one (FastAPI's routes and their models) costs about
150 ms, so a test gets the app built for the first test with the same settings, pointed at its own
database, processor and clock. Every route reads those from app.state at each request."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.routing import Mount

from settle.clock import Clock
from settle.config import Settings
from settle.processor.interface import Processor
from settle.processor.keys import ProcessorKeys
from settle.web.app import create_app

_built: dict[str, FastAPI] = {}


def app_for(settings: Settings, engine: Engine, processor: Processor, clock: Clock) -> FastAPI:
    """An app for these settings, on this engine, processor and clock (state a test changed is reset)."""
    per_test = {"database_url": "", "processor_database_url": "", "secret_key": "", "processor_secret_key": ""}
    kind = repr((replace(settings, **per_test), type(processor), type(clock)))
    app = _built.get(kind)
    if app is None:
        app = _built[kind] = create_app(settings, engine, processor, clock)
        return app
    app.state.settings, app.state.engine, app.state.processor, app.state.clock = settings, engine, processor, clock
    keys = ProcessorKeys(settings.processor_secret_key)
    app.state.publishable_key = keys.publishable
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/processor":  # the built-in processor's own app
            route.app.state.processor, route.app.state.keys = processor, keys  # type: ignore[attr-defined]
    return app
