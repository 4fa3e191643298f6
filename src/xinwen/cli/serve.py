"""Commands that serve the collection: serve, demo.

`xinwen serve` runs uvicorn with `--workers N` processes (default: the machine's cores), each made by
`xinwen.web.app:app_from_env`: the options travel to them through the environment (web/settings.py),
the token as the name of its file (`--token-file`) so the secret itself is in no process's environment.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
from collections.abc import Iterator

from xinwen.cli import command, port, positive

DEMO_DB = "xinwen-demo.db"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "serve", "serve the web UI and REST API", [
        "xinwen serve --db news.db", "xinwen serve --db news.db --workers 4 --host 0.0.0.0 --port 8080",
        "xinwen serve --db news.db --token-file /etc/xinwen/token   # the write API: POST /api/articles",
        "xinwen serve --db news.db --cors-origin https://cms.example.com"])
    _add_http(p)
    p.add_argument("--workers", type=positive, default=os.cpu_count() or 1, metavar="N",
                   help="server processes, each loading the collection's indexes once (default: the machine's "
                        "cores, here %(default)s)")
    p.add_argument("--token-file", metavar="FILE", default=argparse.SUPPRESS,
                   help="a file holding the write API's bearer token (or set $XINWEN_API_TOKEN); "
                        "without either, writes are off")
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN", default=argparse.SUPPRESS,
                   help="a web origin (https://cms.example.com) whose pages may call the API; repeatable; "
                        "without one, CORS is off")
    p.add_argument("--max-in-flight", type=positive, metavar="N", default=argparse.SUPPRESS,
                   help="requests one process works on at once; more are answered 503 + Retry-After at once "
                        "(default: $XINWEN_MAX_IN_FLIGHT, else 64)")
    p.add_argument("--max-stale", type=int, metavar="SECONDS", default=argparse.SUPPRESS,
                   help="after a write, serve the pages kept from before it for up to this long while they are "
                        "made again in the background (default: $XINWEN_MAX_STALE, else 0: never)")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the collection's database (default: $XINWEN_DB, else ./xinwen.db)")
    p.set_defaults(func=cmd_serve)

    p = command(sub, "demo", "ingest the built-in sample page (plus any corpus you name) and serve it", [
        "xinwen demo", "xinwen demo --corpus ../shared/data/xinwenlianbo.jsonl.gz --port 8001"])
    p.add_argument("--corpus", nargs="*", default=[], metavar="PATH", help="more files, folders or URLs")
    p.add_argument("--no-serve", action="store_true", help="ingest and report, but do not start the server")
    _add_http(p)
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=f"database file (default: ./{DEMO_DB})")
    p.set_defaults(func=cmd_demo)


def _add_http(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (0.0.0.0: every interface; put a reverse proxy with TLS in front)")
    p.add_argument("--port", type=port, default=8000, help="the port to listen on")


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set (what uvicorn's worker processes inherit), as it was afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _absolute(db: str) -> str:
    """Where the workers find the database: a SQLite file's absolute path, a PostgreSQL URL as it is."""
    from xinwen.store.postgres import is_dsn

    return db if is_dsn(db) else os.path.abspath(db)


def cmd_serve(args: argparse.Namespace) -> int:
    from xinwen.cli import UsageError
    from xinwen.collection import Collection, default_db

    db = args.db or default_db()
    Collection(db, readonly=True).close()  # a clear error now if there is no database
    env = {"XINWEN_DB": _absolute(db)}
    token_file = getattr(args, "token_file", None)
    origins: list[str] = getattr(args, "cors_origin", [])
    in_flight = getattr(args, "max_in_flight", None)
    if token_file:
        env["XINWEN_API_TOKEN_FILE"] = os.path.abspath(token_file)
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin.rstrip("/")):
            raise UsageError(f"--cors-origin {origin!r} is not an origin (scheme://host[:port], such as "
                             "https://cms.example.com)")
    if origins:
        env["XINWEN_CORS_ORIGINS"] = ",".join(origins)
    if in_flight:
        env["XINWEN_MAX_IN_FLIGHT"] = str(in_flight)
    env["XINWEN_WORKERS"] = str(args.workers)
    max_stale = getattr(args, "max_stale", None)
    if max_stale is not None:
        if max_stale < 0:
            raise UsageError(f"--max-stale must be 0 or more seconds, not {max_stale}")
        env["XINWEN_MAX_STALE"] = str(max_stale)
    with _environment(env):
        _run_server(db, args.host, args.port, workers=args.workers)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from importlib import resources
    from urllib.parse import quote

    from xinwen.article import Article
    from xinwen.collection import Collection
    from xinwen.readers import read

    db = args.db or DEMO_DB
    sample = resources.files("xinwen").joinpath("data/news-page.txt")
    with resources.as_file(sample) as path, Collection(db) as c:
        report = c.ingest([path, *args.corpus])
        print(
            f"demo database {db}: {c.count()} articles "
            f"(this run: read {report.read}, added {report.added}, unchanged {report.unchanged}, "
            f"rejected {report.rejected})"
        )
        main_story = next((a for a in read([str(path)]) if isinstance(a, Article)), None)
    for p in report.problems[:20]:
        print(f"xinwen: {p}")
    if args.no_serve:
        return 0
    if main_story:
        print(f"the sample page's story: http://{args.host}:{args.port}/articles/{quote(main_story.id, safe='')}")
    with _environment({"XINWEN_DB": _absolute(db)}):
        _run_server(db, args.host, args.port, workers=1)
    return 0


def _run_server(db: str, host: str, port: int, *, workers: int = 1) -> None:
    """uvicorn over `app_from_env` (it reads the settings from the environment: checked here first, so a bad
    token file or value is one line on stderr, not a traceback from each worker)."""
    import uvicorn

    from xinwen.errors import XinwenError
    from xinwen.web.settings import ServeSettings

    settings = ServeSettings.from_env(_absolute(db))
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise XinwenError(f"cannot serve on {host}:{port}: {exc.strerror}; choose another --port") from exc
    writes = "on (POST/DELETE /api/articles with the bearer token)" if settings.writes else "off"
    print(f"serving {db} at http://{host}:{port}/ with {workers} worker process{'es' if workers > 1 else ''}; "
          f"writes {writes}  (Ctrl-C to stop)", flush=True)
    uvicorn.run("xinwen.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", server_header=False, backlog=2048)
