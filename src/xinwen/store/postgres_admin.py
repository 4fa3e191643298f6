"""Server-level chores on a PostgreSQL server, for tests and benchmarks (the store itself never creates or
drops databases): a fresh database to hold one collection, dropped again afterwards; and the DSN of a
database on the same server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from xinwen.errors import StoreError

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def with_database(dsn: str, name: str) -> str:
    """The DSN (a postgresql:// URL) naming database `name` on the same server, as the same user."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise StoreError(f"not a database name xinwen makes: {name!r} (lowercase letters, digits, _)")
    return name


def create_database(server_dsn: str, name: str, *, replace: bool = False, template: str | None = None) -> str:
    """Create database `name` on the server `server_dsn` reaches (the role needs CREATEDB); with
    `replace`, drop one of that name first; with `template`, as a copy of that database (which no one may
    be connected to). Returns its DSN."""
    import psycopg

    name = _checked(name)
    copy_of = f' TEMPLATE "{_checked(template)}"' if template else ""
    try:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            if replace:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"{copy_of}')
    except psycopg.Error as exc:
        raise StoreError(f"cannot create database {name}: {str(exc).strip().splitlines()[0]}") from exc
    return with_database(server_dsn, name)


def database_exists(server_dsn: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_checked(name),)).fetchone() is not None


def drop_database(server_dsn: str, name: str) -> None:
    """Drop database `name` (closing its sessions), if it exists."""
    import psycopg

    name = _checked(name)
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_connections(server_dsn: str, name: str) -> int:
    """End every session on database `name` (what a server restart does to a pool's connections); how
    many there were."""
    import psycopg

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                            "AND pid <> pg_backend_pid()", (_checked(name),)).fetchall()
    return len(rows)
