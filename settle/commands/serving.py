"""`settle serve`: the portal and the API in one process or several (uvicorn workers), logging JSON.

With several workers, each is its own process: what they share lives in the database (sessions, sign-in
throttling, the background loop's lease, the outbox's claims), and their Prometheus counts in a directory
of prometheus-client's multiprocess mode, made empty here before they start."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from settle.commands.common import err
from settle.config import base_url_reaches, served_base_url
from settle.logs import log_config
from settle.metrics import MULTIPROCESS_DIR

SHUTDOWN_SECONDS = 30  # how long a stopping worker waits for requests in flight (payments) to finish
# How long an idle keep-alive connection stays open: longer than the proxy's (nginx keeps upstream
# connections 60 s), so the proxy, not Settle, closes them. With uvicorn's 5 s, a client that reused a
# connection just as the server closed it got a reset instead of an answer (seen in bench/memory.py).
KEEP_ALIVE_SECONDS = 75


def check_base_url(host: str, port: int) -> None:
    """Links (the return from 3-D Secure, e-mails) are built on SETTLE_BASE_URL. Unset, it becomes the
    address served, for this process and its workers; set, it stays the one source of links, with a
    warning when it does not lead here (a 3-D Secure return would go elsewhere and Pay now would hang)."""
    served = served_base_url(host, port)
    configured = os.environ.get("SETTLE_BASE_URL", "").strip()
    if not configured:
        os.environ["SETTLE_BASE_URL"] = served
    elif not base_url_reaches(configured, host, port):
        err.print(
            f"Warning: SETTLE_BASE_URL is {configured}, but this server listens on {served}. Links and the return "
            "from 3-D Secure go to SETTLE_BASE_URL: set it to the address people open, unless a proxy there "
            "forwards to this server."
        )


def run_server(host: str, port: int, workers: int, *, forwarded_allow_ips: str | None = None) -> None:
    import uvicorn

    level = os.environ.get("SETTLE_LOG_LEVEL", "info").lower()
    fmt = os.environ.get("SETTLE_LOG_FORMAT", "json").lower()
    made = _metrics_directory() if workers > 1 else None
    try:
        uvicorn.run(
            "settle.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=log_config(level, fmt),
            log_level=level,
            access_log=False,  # settle.request logs each request, with its id
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            forwarded_allow_ips=forwarded_allow_ips,  # None: uvicorn's default, 127.0.0.1 (nginx beside it)
        )
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _metrics_directory() -> Path | None:
    """An empty directory for the workers' metrics: the operator's PROMETHEUS_MULTIPROC_DIR (emptied, as
    prometheus-client asks at each start), else a new temporary one, removed when the server stops."""
    configured = os.environ.get(MULTIPROCESS_DIR)
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob("*.db"):
            leftover.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="settle-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(made)
    return made
