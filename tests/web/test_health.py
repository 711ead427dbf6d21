"""The server: healthy on a migrated database, refused (with the command to run) on one that is not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from settle import db
from settle.web.app import create_app
from tests.configured import settings_for_tests


def test_healthz_and_readyz_answer_ok_when_the_database_answers(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for_tests(
        database_url=database_url, processor_database_url=f"sqlite:///{tmp_path / 'processor.db'}"
    )
    client = TestClient(create_app(settings, engine))
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "current"}


def test_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(db.DatabaseNotMigrated):
        create_app(settings_for_tests(database_url=url))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "settle.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_serve_refuses_an_unmigrated_database_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = _settle(env, "serve", "--port", str(_free_port()))
    assert result.returncode == 1
    assert "settle db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_the_make_run_sequence_serves_healthz_with_the_demo_loaded(tmp_path: Path) -> None:
    """What `make run` does: migrate, load the demo, serve; then /healthz answers 200."""
    env = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}"}
    assert _settle(env, "db", "upgrade").returncode == 0
    loaded = _settle(env, "demo")
    assert loaded.returncode == 0 and "admin@contoso.example" in loaded.stdout
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "settle.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
