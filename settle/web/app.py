"""The web application: the portal and the REST API share one FastAPI app, one engine and one processor."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy.engine import Engine

from settle import db, metrics
from settle.accounts import passwords
from settle.clock import Clock, SystemClock
from settle.config import Settings
from settle.jobs import SingleRunner
from settle.notify.sender import run_mail
from settle.notify.webhooks.sender import run_webhooks
from settle.payments.background import run_payment_jobs
from settle.payments.paying import reconcile
from settle.processor.app import create_processor_app
from settle.processor.configured import build_processor
from settle.processor.interface import Processor
from settle.processor.keys import ProcessorKeys
from settle.processor.simulated import SimulatedProcessor
from settle.web.api import create_api_router, install_api_error_handlers
from settle.web.errors import install_last_resort
from settle.web.operations import RequestContext, install_operations
from settle.web.portal import failure_page, install_portal
from settle.web.security import SecurityHeaders, origin_of

log = logging.getLogger("settle")


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    processor: Processor | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app; refuses a database that is not migrated (run `settle db upgrade`)."""
    settings = settings or Settings.from_env()
    passwords.configure(settings)
    engine = engine or db.create_engine(settings.database_url)
    clock = clock or SystemClock()
    db.check_migrated(engine)
    processor = processor or build_processor(settings, clock)
    app = FastAPI(title="Settle", version="0.1.0", docs_url=None, redoc_url=None, lifespan=_lifespan)
    app.state.settings, app.state.engine, app.state.processor, app.state.clock = settings, engine, processor, clock
    # The browser sends card numbers straight to the processor's tokenization endpoint, never to Settle,
    # with the publishable key: it can make tokens and nothing else.
    keys = ProcessorKeys(settings.processor_secret_key)
    app.state.tokenize_url = f"{settings.processor_url or '/processor'}/v1/tokens"
    app.state.publishable_key = keys.publishable
    if isinstance(processor, SimulatedProcessor):
        app.mount("/processor", create_processor_app(processor, keys, settings.base_url))

    install_operations(app, engine)  # /healthz, /readyz, /metrics
    install_portal(app)
    app.include_router(create_api_router())
    install_api_error_handlers(app)  # after the portal's: it leaves pages outside /providers to them
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # pages and grids shrink 5–10 times
    processor_origin = origin_of(settings.processor_url)
    app.add_middleware(SecurityHeaders, processor_origin=processor_origin, server_timing=settings.server_timing)
    install_last_resort(app, processor_origin, failure_page)  # outside every middleware: a 500 with the same headers
    app.add_middleware(RequestContext)  # outermost: the request id, the request log and its metrics
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Reconcile in the background while the server runs: one runner at a time across every worker and
    machine (a lease row, settle/jobs.py). At shutdown the round under way ends first; uvicorn has
    already let the requests in flight (payments among them) finish."""
    stop = threading.Event()
    every = app.state.settings.reconcile_every_seconds
    runner = SingleRunner(app.state.engine, app.state.clock, "server.background", timedelta(seconds=max(3 * every, 60)))
    worker = threading.Thread(target=_reconcile_loop, args=(app, stop, every, runner), daemon=True, name="reconcile")
    if every > 0:
        worker.start()
    yield
    stop.set()
    if worker.is_alive():
        worker.join(timeout=60)
    try:
        runner.release()
    except Exception:  # the database is gone: the lease runs out by itself
        log.warning("could not give back the background lease", exc_info=True)
    metrics.process_exited(os.getpid())


def _reconcile_loop(app: FastAPI, stop: threading.Event, every: int, runner: SingleRunner) -> None:
    """Each round: finish payments left in flight, the payment jobs (pending refunds, the day's autopay
    run once a day), then the mail (past-due notices, sending)."""
    after = timedelta(seconds=app.state.settings.reconcile_after_seconds)
    while not stop.wait(every):
        try:
            if not runner.take_turn():
                continue
            report = reconcile(app.state.engine, app.state.processor, app.state.clock, older_than=after)
            if report.checked:
                log.info(
                    "reconciled %s payment(s): %s succeeded, %s failed", report.checked, report.succeeded, report.failed
                )
            run_payment_jobs(app.state.engine, app.state.processor, app.state.clock, app.state.settings)
            run_mail(app.state.engine, app.state.clock, app.state.settings)
            run_webhooks(app.state.engine, app.state.clock, app.state.settings)  # past-due events, sending
        except Exception:  # a database, processor or mail server outage: try again next round
            log.exception("background work failed; trying again in %s s", every)
