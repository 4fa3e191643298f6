"""Commands that serve the collection: serve, demo."""

from __future__ import annotations

import argparse
import socket

from xinwen.cli import command, port

DEMO_DB = "xinwen-demo.db"


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "serve", "serve the web UI and REST API", [
        "xinwen serve --db news.db", "xinwen serve --db news.db --host 0.0.0.0 --port 8080"])
    _add_http(p)
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
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=port, default=8000, help="the port to listen on")


def cmd_serve(args: argparse.Namespace) -> int:
    from xinwen.collection import Collection, default_db

    db = args.db or default_db()
    Collection(db, readonly=True).close()  # a clear error now if there is no database
    _run_server(db, args.host, args.port)
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
    _run_server(db, args.host, args.port)
    return 0


def _run_server(db: str, host: str, port: int) -> None:
    import uvicorn

    from xinwen.errors import XinwenError
    from xinwen.web.app import create_app

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise XinwenError(f"cannot serve on {host}:{port}: {exc.strerror}; choose another --port") from exc
    print(f"serving {db} at http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning")
