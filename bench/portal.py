"""Bytes over the wire (gzip) and server render time of the portal's Invoices page and Pay now blade.

Usage: python bench/portal.py [--requests N]
A throw-away SQLite database with the demo data; the app in this process; every request goes through the
whole ASGI stack (sessions, CSRF tokens, security headers, gzip). Bytes: the page plus the one stylesheet
and one script it loads, as compressed on the wire. Render time: the median and p99 of N requests, as the
server's Server-Timing header reports them (no network, no test-client overhead).
Targets (issue 9): ≤ 60 KB gzip, ≤ 10 ms median.
Last line: key=value figures."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from settle import db, demo
from settle.clock import SystemClock
from settle.config import Settings
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from settle.web.app import create_app

GZIP = {"Accept-Encoding": "gzip"}


def _client(folder: Path) -> TestClient:
    url = f"sqlite:///{folder / 'settle.db'}"
    engine = db.create_engine(url)
    db.upgrade(engine)
    clock = SystemClock()
    processor = SimulatedProcessor(f"sqlite:///{folder / 'processor.db'}", clock)
    with UnitOfWork(engine) as uow:
        demo.load(uow, clock, processor)
    app = create_app(
        Settings(database_url=url, reconcile_every_seconds=0, server_timing=True), engine, processor, clock
    )
    client = TestClient(app)
    page = client.get("/signin").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    data = {"email": "admin@contoso.example", "password": demo.PASSWORD, "csrf_token": csrf.group(1), "next": "/"}
    assert client.post("/signin", data=data, follow_redirects=False).status_code == 303
    return client


def _wire_bytes(client: TestClient, path: str) -> int:
    answer = client.get(path, headers=GZIP)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.num_bytes_downloaded


def _timings(client: TestClient, path: str, count: int) -> list[float]:
    """The server's own time per answer (its Server-Timing header): the test client's thread hops are not in it."""
    spent = []
    for _ in range(count):
        answer = client.get(path, headers=GZIP)
        assert answer.status_code == 200
        spent.append(float(answer.headers["server-timing"].split("dur=")[1]))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        client = _client(Path(folder))
        grid = client.get("/billing/invoices").text
        number = re.search(r'href="/billing/invoices/(G\d+)/pay', grid)
        assert number is not None, "no payable invoice in the demo data"
        pages = {"invoices": "/billing/invoices", "pay_blade": f"/billing/invoices/{number.group(1)}/pay"}
        assets = _wire_bytes(client, "/static/portal.css") + _wire_bytes(client, "/static/portal.js")
        figures = {}
        for name, path in pages.items():
            _timings(client, path, 20)  # warm: templates compiled, catalogs loaded
            spent = sorted(_timings(client, path, args.requests))
            total_kb = (_wire_bytes(client, path) + assets) / 1024
            figures[f"{name}_gzip_kb"] = f"{total_kb:.1f}"
            figures[f"{name}_render_p50_ms"] = f"{statistics.median(spent):.2f}"
            figures[f"{name}_render_p99_ms"] = f"{spent[int(len(spent) * 0.99) - 1]:.2f}"
            print(f"{name}: {total_kb:.1f} KB gzip with CSS and JS, render p50 {figures[f'{name}_render_p50_ms']} ms")
    one, five, fifteen = os.getloadavg()  # other work on the machine moves render times
    figures["loadavg"] = f"{one:.2f}/{five:.2f}/{fifteen:.2f}"
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
