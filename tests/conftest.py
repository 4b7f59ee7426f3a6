"""Fixtures: a migrated database per test, on a real SQLite file or a real PostgreSQL,
and the demo province built in it (``tests.province``).

PostgreSQL: ``TEST_POSTGRES_URL`` names a server to use; otherwise a throw-away cluster is
started from the local PostgreSQL binaries (``initdb``/``pg_ctl``). Where neither exists the
PostgreSQL tests are skipped, unless ``DONDOC_REQUIRE_POSTGRES=1`` (as in CI) makes that
a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bot.db import make_engine, session_scope, upgrade
from bot.importers.agencies import import_agencies
from tests.cli import Dondoc, dondoc_process
from tests.province import Province, build_province

if TYPE_CHECKING:
    from tests.fault_bots import Fleet

# The web view's harness (its ``web`` fixture) for every test file that signs in.
pytest_plugins = ["tests.web"]

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """The throw-away PostgreSQL cluster the tests started: its URL, and how to restart it
    under running bots (``pg_ctl restart``, fast shutdown: open connections are cut)."""

    url: str
    bindir: Path
    data: Path
    as_user: tuple[str, ...]  # run the server's tools as the postgres user, when root

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True, timeout=60)  # fmt: skip

    def restart(self) -> None:
        # With its log file: else the server would write to, and hold open, pg_ctl's output.
        self.pg_ctl("-w", "-m", "fast", "-l", str(self.data.parent / "log"), "restart")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster | None]:
    """The cluster the tests started, or ``None`` when ``TEST_POSTGRES_URL`` names a server
    (which the tests must not restart)."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield None
        return
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("DONDOC_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (DONDOC_REQUIRE_POSTGRES=1) but not installed")
        pytest.skip("PostgreSQL binaries not found")
    # Not under pytest's tmp dir: that is private to root, and PostgreSQL won't run as root.
    data = Path(tempfile.mkdtemp(prefix="dondoc-pg-")) / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data.parent, "postgres")
    port = _free_port()
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "dondoc", "--auth=trust",
         "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    # The options in the cluster's own file, so that a restart keeps them.
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"port = {port}\nunix_socket_directories = '{data.parent}'\n"
                   "listen_addresses = '127.0.0.1'\n")  # fmt: skip
    cluster = Cluster(f"postgresql+psycopg://dondoc@127.0.0.1:{port}/postgres", bindir, data,
                      tuple(as_user))  # fmt: skip
    cluster.pg_ctl("-w", "-l", str(data.parent / "log"), "start")
    try:
        yield cluster
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(postgres_cluster: Cluster | None) -> str:
    return os.environ["TEST_POSTGRES_URL"] if postgres_cluster is None else postgres_cluster.url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dondoc.db'}"
        upgrade(url)
        yield url
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    # Pre-ping: a test may restart the server under the pooled connection.
    admin = create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def province(engine: Engine) -> Province:
    """The demo province (``build_province``): three agencies, their chats, an empty plan."""
    return build_province(engine)


@pytest.fixture
def registry_engine(engine: Engine) -> Engine:
    """A database holding the demo province's agency registry."""
    with session_scope(engine) as session:
        import_agencies(session, SEED / "agencies.csv")
    return engine


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the seeded demo province (``dondoc seed``), one per test module."""
    folder = tmp_path_factory.mktemp("demo")
    dondoc_process(folder, "seed")
    return folder


@pytest.fixture
def dondoc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dondoc:
    """An admin's shell in an empty folder, with the demo province's agency registry."""
    monkeypatch.chdir(tmp_path)
    run = Dondoc(tmp_path)
    run.ok("import", "agencies", str(SEED / "agencies.csv"))
    return run


@pytest.fixture
def fleet(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[Fleet]:
    """Real ``dondoc run`` processes on ``engine``'s database, sending to a fake Bot API
    served from a thread (``tests.fault_bots``); every bot stopped at the end."""
    from tests.fault_bots import Fleet, fake_api

    with fake_api() as (fake, server, base_url):
        fleet = Fleet(tmp_path, db_url, engine, fake, server, base_url)
        try:
            yield fleet
        finally:
            fleet.close()
