"""Prometheus metrics: what operators graph and alert on (served at /metrics by settle/web/operations.py).

Counted in the process that does the work: HTTP requests by route template and status with their
latency, payments by outcome, and how long the processor takes to answer. Read from the database at
each scrape, so every worker (and machine) tells the same: payments in flight and the outbox's depth.

Several workers (`settle serve --workers N`) share their counts through prometheus-client's
multiprocess mode: `serve` points PROMETHEUS_MULTIPROC_DIR at an empty directory before the workers
start, each worker writes its samples there, and whichever worker answers a scrape adds them all up."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy.engine import Engine

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "settle_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "settle_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
PAYMENTS = Counter("settle_payments", "Payments that reached an outcome, by outcome", ["outcome"])
PROCESSOR_LATENCY = Histogram(
    "settle_processor_request_duration_seconds",
    "Time the payment processor took to answer, by operation and result",
    ["operation", "result"],
    buckets=_LATENCY_BUCKETS,
)


def count_payment(outcome: str) -> None:
    """A payment reached `outcome` (succeeded, failed, requires_action)."""
    PAYMENTS.labels(outcome).inc()


@contextmanager
def processor_call(operation: str) -> Iterator[None]:
    """Time one call to the processor: result `ok`, or the name of the error it raised."""
    started = time.perf_counter()
    result = "ok"
    try:
        yield
    except Exception as error:
        result = type(error).__name__
        raise
    finally:
        PROCESSOR_LATENCY.labels(operation, result).observe(time.perf_counter() - started)


class DatabaseGauges(Collector):
    """Payments in flight and e-mails waiting to be sent, counted in the database at scrape time (both
    counts use partial or leading-column indexes, so they stay cheap at millions of rows)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import text

        with self.engine.connect().execution_options(settle_write=False) as connection:
            in_flight = connection.scalar(
                text("SELECT count(*) FROM payments WHERE status IN ('pending', 'requires_action')")
            )
            outbox = connection.scalar(text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'"))
        yield GaugeMetricFamily(
            "settle_payments_in_flight", "Payments pending or awaiting 3-D Secure", int(in_flight or 0)
        )
        yield GaugeMetricFamily("settle_outbox_pending", "E-mails in the outbox waiting to be sent", int(outbox or 0))


def exposition(engine: Engine) -> bytes:
    """The text a scrape of /metrics answers: this process's (or every worker's) counts, and the gauges."""
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseGauges(engine))
    if os.environ.get(MULTIPROCESS_DIR):
        shared = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        return generate_latest(shared) + generate_latest(gauges)
    return generate_latest(REGISTRY) + generate_latest(gauges)


def process_exited(pid: int) -> None:
    """Tell multiprocess mode a worker is gone (its live gauges no longer count)."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
