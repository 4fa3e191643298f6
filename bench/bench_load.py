"""Load benchmark: `xinwen serve` as users start it, real HTTP on 127.0.0.1, many readers, with and without
an `xinwen ingest` writing meanwhile; and the write API (POST /api/articles) while readers read.

    nice python bench/bench_load.py                              # 5,000 stories, 100/200/300/500 req/s
    python bench/bench_load.py --rates 300 --duration 20         # one rate
    python bench/bench_load.py --only write                      # the write API alone
    python bench/bench_load.py --stories 500 --rates 50 --duration 3 --only read   # a smoke run
    python bench/bench_load.py --base /tmp/xinwen-bench/backends100000.db   # 100,000 stories (bench_backends.py)

Readers: `--readers` (50) keep-alive connections; requests are due at a steady pace (`--rate` a second,
open loop: a request is sent when it is due, or as soon as a reader is free) and each one's latency is
counted from when it was due, so a server that falls behind shows its queue in the figures. The mix:
half article pages, the rest search, home and trends (a sixth each), HTML as a browser asks for it.
Which article or query a reader asks for follows a Zipf law over the newest articles and the commonest
tags (`--popularity zipf`, s=1: a few stories are read by many, as on any news site) or is uniform
(`--popularity uniform`: every page as likely as any other, the worst case for any cache).

Each rate runs on a fresh copy of the database and a fresh server (`xinwen serve --workers N`), after a
warm-up. With `--ingest`, `xinwen ingest` adds stories not yet in the collection while the readers read
(the server was not told: it sees the change token move). Errors are non-2xx answers, connection errors,
timeouts (`--timeout`) and requests still unanswered `--grace` seconds after the last was due.

The write run: the server with a token file, readers at `--write-readers-rate`, and 1,000 new articles
POSTed as JSON Lines in batches of 100, one batch after another: articles/s and the readers' latency
while the posts ran.

The machine is shared: every run also says how much CPU the server, the ingest, this load generator and
every other process used meanwhile (from /proc), and the top others by name. Linux shares the CPU between
sessions (autogroups) before processes, so on a busy machine the server gets its session's share whatever
its `nice`. `xinwen ingest` lowers its own session's weight while it runs (`--nice`, 10 by default);
`--ingest-nice 0` makes it compete as an equal, and `--server-nice -10` gives the server's session the
weight a serving unit gets over batch jobs (systemd's CPUWeight=; needs root). Results go to stdout as
Markdown tables and to --out (JSON).

    python bench/bench_load.py --only ingest --rates 300 --server-nice -10   # the server weighted up
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from timing import copy_db, held_ids  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
TOKEN = "bench-load-token-0123456789abcdef"
HZ = os.sysconf("SC_CLK_TCK")


# -- the data ---------------------------------------------------------------------------------------
def build(work: Path, stories: int, rebuild: bool) -> tuple[Path, Path, Path]:
    """The base database of `stories` stories spread over the corpus, the stories an ingest adds while
    readers read (fewer than half the base: a plain `xinwen ingest` would refit past that), and those
    the write API posts."""
    base = work / f"base-{stories}.db"
    extra = work / f"ingest-{stories}.jsonl"
    posts = work / f"posts-{stories}.jsonl"
    stale = outdated(base) if base.exists() else None
    if stale:
        print(f"{base}: {stale}; building it again", file=sys.stderr)
    if base.exists() and extra.exists() and posts.exists() and not rebuild and not stale:
        return base, extra, posts
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob(f"base-{stories}.db*"):
        old.unlink()
    with gzip.open(SHARED, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    if stories > len(rows):
        sys.exit(f"the corpus has {len(rows)} stories; --stories {stories} is more")
    step = max(1, len(rows) // stories)
    chosen = rows[::step][:stories]
    ids = {r["id"] for r in chosen}
    rest = [r for r in rows if r["id"] not in ids]
    random.Random(7).shuffle(rest)
    n_extra = min(len(rest) // 2, int(stories * 0.45))
    lines = ["".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
             for part in (chosen, rest[:n_extra], rest[n_extra:n_extra + 1000])]
    src = work / f"base-{stories}.jsonl"
    src.write_text(lines[0], encoding="utf-8")
    extra.write_text(lines[1], encoding="utf-8")
    posts.write_text(lines[2], encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([*xinwen_cmd(), "ingest", str(src), "--db", str(base)], check=True,
                   env={**os.environ, "XINWEN_NO_PROGRESS": "1"})
    print(f"built {base} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return base, extra, posts


def outdated(db: Path) -> str | None:
    """Why a base built by an earlier xinwen would not measure this one, or None. Its first ingest would
    upgrade it: a database from before schema 6 has every stored article's provenance read again (a
    rewrite of all of them, which makes every server worker reload its indexes whole), and that, not
    the steady state, is what the readers would meet."""
    import sqlite3

    from xinwen.collection import PROVENANCE_NEEDED
    from xinwen.store.schema import SCHEMA_VERSION

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error as exc:
        return f"unreadable ({exc})"
    finally:
        conn.close()
    if str(meta.get("schema_version")) != str(SCHEMA_VERSION):
        return f"schema {meta.get('schema_version')}, this xinwen writes {SCHEMA_VERSION}"
    if meta.get(PROVENANCE_NEEDED) is not None:
        return "made before provenance was kept: its first ingest rewrites every stored article"
    return None


def from_base(work: Path, db: Path, n_extra: int) -> tuple[Path, Path, Path]:
    """An existing collection as the base (a 100,000-article database that bench_backends.py built, say),
    with corpus stories it does not hold by id for the ingest (`n_extra`) and the write API (1,000)."""
    if not db.exists():
        sys.exit(f"--base {db}: no such database")
    if (stale := outdated(db)) is not None:
        print(f"--base {db}: {stale} (run `xinwen fit --db {db}` on it once to measure the steady state)",
              file=sys.stderr)
    held = held_ids(db)
    with gzip.open(SHARED, "rt", encoding="utf-8") as f:
        rest = [r for r in (json.loads(line) for line in f) if r["id"] not in held]
    random.Random(7).shuffle(rest)
    if len(rest) < n_extra + 1000:
        sys.exit(f"--base {db}: only {len(rest)} corpus stories are not in it; {n_extra + 1000} are needed")
    work.mkdir(parents=True, exist_ok=True)
    extra = work / f"ingest-base-{len(held)}.jsonl"
    posts = work / f"posts-base-{len(held)}.jsonl"
    for path, part in ((extra, rest[:n_extra]), (posts, rest[n_extra:n_extra + 1000])):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
    return db, extra, posts


def xinwen_cmd() -> list[str]:
    """The `xinwen` command of this Python, as a user runs it."""
    script = Path(sys.executable).with_name("xinwen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xinwen.cli"]


def workload(db: Path, n: int, popularity: str, seed: int) -> list[tuple[str, str]]:
    """n (kind, path) requests: half articles, a sixth each search, home and trends."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY published DESC")]
    tags = Counter(t for (row,) in conn.execute("SELECT tags FROM articles") for t in json.loads(row or "[]"))
    conn.close()
    queries = [t for t, _ in tags.most_common(300)]
    queries += [f"{a} {b}" for a, b in zip(queries[:100], queries[100:200], strict=True)]
    rng = random.Random(seed)

    def pick(items: list[str]) -> str:
        if popularity == "uniform":
            return rng.choice(items)
        return items[zipf_index(rng, len(items))]

    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            out.append(("article", "/articles/" + quote(pick(ids), safe="")))
        elif r < 4 / 6:
            out.append(("search", "/search?q=" + quote(pick(queries))))
        elif r < 5 / 6:
            out.append(("home", "/"))
        else:
            out.append(("trends", "/trends" if rng.random() < 2 / 3 else "/trends?period=week"))
    return out


_ZIPF: dict[int, list[float]] = {}


def zipf_index(rng: random.Random, n: int, s: float = 1.0) -> int:
    if n not in _ZIPF:
        weights = [1 / (i + 1) ** s for i in range(n)]
        total = sum(weights)
        acc, cdf = 0.0, []
        for w in weights:
            acc += w / total
            cdf.append(acc)
        _ZIPF[n] = cdf
    import bisect

    return min(n - 1, bisect.bisect_left(_ZIPF[n], rng.random()))


# -- the server ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`xinwen serve` in its own process group, stopped as Ctrl-C stops it."""

    def __init__(self, db: Path, workers: int | None, token_file: Path | None, log: Path,
                 session_nice: int | None = None, max_stale: int | None = None) -> None:
        self.port = free_port()
        cmd = [*xinwen_cmd(), "serve", "--db", str(db), "--port", str(self.port)]
        if workers:
            cmd += ["--workers", str(workers)]
        if max_stale is not None:
            cmd += ["--max-stale", str(max_stale)]
        if token_file:
            cmd += ["--token-file", str(token_file)]
        self.cmd = cmd
        self.log = log.open("w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, "XINWEN_NO_PROGRESS": "1"})
        if session_nice is not None:
            set_session_weight(self.proc.pid, session_nice)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180) -> float:
        """Seconds until the home page answers 200 (every worker warms up before it takes requests)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xinwen serve exited with {self.proc.returncode}: see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(12).startswith(b"HTTP/1.1 200"):
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"xinwen serve did not answer within {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# -- CPU accounting from /proc ------------------------------------------------------------------------
def _stat(pid: int) -> tuple[int, float, str] | None:
    """(parent pid, CPU seconds, name) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / HZ, name


def processes() -> dict[int, tuple[int, float, str]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None:
                out[int(entry)] = st
    return out


def tree(root: int, procs: dict[int, tuple[int, float, str]] | None = None) -> list[int]:
    procs = procs if procs is not None else processes()
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, (pp, _, _) in procs.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / HZ


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class CPUWatch:
    """CPU used during a run: ours (this process, the server, the ingest) and everyone else's."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.busy0 = machine_busy()
        self.procs0 = processes()
        self.cmd0 = {p: _cmdline(p) for p in self.procs0}

    def stop(self, server: int, ingest: int | None = None) -> dict[str, Any]:
        """Cores used since the start: the server's processes, the ingest's, this load generator's, and
        everyone else's (the machine's busy time less ours)."""
        elapsed = time.monotonic() - self.t0
        busy = machine_busy() - self.busy0
        procs = processes()
        roles = {"server": set(tree(server, procs)), "ingest": set(tree(ingest, procs)) if ingest else set(),
                 "client": {os.getpid()}}
        mine = set().union(*roles.values()) | set(tree(os.getpid(), procs))
        used: dict[int, float] = {}
        for pid, (_, cpu, _) in procs.items():
            before = self.procs0.get(pid)
            used[pid] = cpu - (before[1] if before else 0.0)
        own = sum(v for p, v in used.items() if p in mine)
        by_role = {role: round(sum(used.get(p, 0.0) for p in pids) / elapsed, 2) for role, pids in roles.items()}
        others = sorted(((v, p) for p, v in used.items() if p not in mine and v > 0.05 * elapsed), reverse=True)
        # each of the server's worker processes (a worker holding more of the keep-alive connections than
        # the others is busier: its requests queue while another core idles)
        workers = sorted((round(used.get(p, 0.0) / elapsed, 2) for p in roles["server"]
                          if p != server and procs[p][0] == server), reverse=True)
        return {
            "seconds": round(elapsed, 1), "machine_cores_busy": round(busy / elapsed, 2),
            "server_workers_cores": workers,
            "ours_cores": round(own / elapsed, 2), "others_cores": round(max(0.0, busy - own) / elapsed, 2),
            **{f"{role}_cores": v for role, v in by_role.items()},
            "others_top": [f"{(self.cmd0.get(p) or _cmdline(p) or procs[p][2])[:70]} ({v / elapsed:.2f} cores)"
                           for v, p in others[:3]],
        }


def set_session_weight(pid: int, nice: int) -> None:
    """Set the CPU weight of the session of `pid` (its autogroup's nice value, as an operator can with
    `echo 10 > /proc/PID/autogroup`, or systemd with CPUWeight=): Linux shares the CPU between sessions
    first, so a plain `nice` on the ingest would not make room for the server."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError as exc:
        print(f"cannot set the session weight of {pid}: {exc}", file=sys.stderr)


# -- the readers ---------------------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str
    due: float
    done: float
    status: int  # 0: a connection error or timeout


@dataclass
class Stats:
    offered: float
    served: float
    n: int
    errors: int
    p50: float
    p95: float
    p99: float
    by_kind: dict[str, float] = field(default_factory=dict)  # p95 per kind
    error_kinds: dict[str, int] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    values = sorted(values)
    return values[min(len(values) - 1, int(math.ceil(q * len(values))) - 1)]


class Connection:
    """One reader's keep-alive HTTP/1.1 connection (as lean as a client can be: the load generator
    shares the machine with the server)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = False

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
                self.used = False
            reused = self.used
            head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: text/html\r\n"
            for k, v in (headers or {}).items():
                head += f"{k}: {v}\r\n"
            if body or method in ("POST", "PUT"):
                head += f"Content-Length: {len(body)}\r\n"
            try:
                assert self.writer is not None and self.reader is not None
                self.writer.write(head.encode() + b"\r\n" + body)
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                self.close()
                if reused and attempt == 0 and not getattr(exc, "partial", b""):
                    continue  # the server closed an idle connection as we sent: send again, as browsers do
                raise
            self.used = True
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            hdrs = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            if "content-length" in hdrs:
                data = await self.reader.readexactly(int(hdrs["content-length"]))
            elif hdrs.get("transfer-encoding", "").lower() == "chunked":
                data = await self._chunked()
            else:
                data = await self.reader.read()
                self.close()
            if hdrs.get("connection", "").lower() == "close":
                self.close()
            return status, data
        raise ConnectionError("unreachable")

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        out = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                return b"".join(out)
            out.append(data[:-2])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def read_load(port: int, requests: list[tuple[str, str]], rate: float, readers: int, timeout: float,
                    grace: float, start_at: float | None = None) -> tuple[list[Sample], float, int]:
    """Send `requests` at `rate` a second (due times fixed in advance) through `readers` connections.
    Returns the samples, the time the first was due, and how many were still unanswered at the end."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, str, str] | None] = asyncio.Queue()
    samples: list[Sample] = []
    t0 = start_at if start_at is not None else loop.time() + 0.05

    async def reader() -> None:
        conn = Connection(port)
        while True:
            item = await queue.get()
            if item is None:
                conn.close()
                return
            due, kind, path = item
            try:
                status, _ = await asyncio.wait_for(conn.request("GET", path), timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                conn.close()
                status = 0
            samples.append(Sample(kind, due, loop.time(), status))

    tasks = [asyncio.create_task(reader()) for _ in range(readers)]
    for i, (kind, path) in enumerate(requests):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, kind, path))
    end = t0 + len(requests) / rate + grace
    unanswered = 0
    for _ in tasks:
        queue.put_nowait(None)
    done, pending = await asyncio.wait(tasks, timeout=max(0.1, end - loop.time()))
    for t in pending:
        t.cancel()
    unanswered = len(requests) - len(samples)
    return samples, t0, unanswered


def summarize(samples: list[Sample], t0: float, duration: float, rate: float, unanswered: int,
              window: tuple[float, float] | None = None) -> Stats:
    """Figures of the samples due in `window` (default: all)."""
    if window:
        samples = [s for s in samples if window[0] <= s.due < window[1]]
        duration = window[1] - window[0]
    ok = [s for s in samples if 200 <= s.status < 400]
    errors = Counter(str(s.status or "connection/timeout") for s in samples if not 200 <= s.status < 400)
    if unanswered:
        errors["unanswered"] += unanswered
    lat = [(s.done - s.due) * 1000 for s in ok]
    last = max((s.done for s in ok), default=t0 + duration)
    start = window[0] if window else t0
    by_kind = {k: round(percentile([(s.done - s.due) * 1000 for s in ok if s.kind == k], 0.95), 1)
               for k in sorted({s.kind for s in ok})}
    return Stats(
        offered=rate, served=round(len(ok) / max(duration, last - start), 1), n=len(samples) + unanswered,
        errors=sum(errors.values()), p50=round(percentile(lat, 0.5), 1), p95=round(percentile(lat, 0.95), 1),
        p99=round(percentile(lat, 0.99), 1), by_kind=by_kind, error_kinds=dict(errors),
    )


# -- the runs -------------------------------------------------------------------------------------------
@dataclass
class Run:
    label: str
    stats: Stats
    cpu: dict[str, Any]
    ingest: dict[str, Any] | None = None
    ready_s: float = 0.0


def run_reads(args: argparse.Namespace, base: Path, extra: Path, rate: float, ingest: bool) -> Run:
    run_dir = args.work / "run"
    run_dir.mkdir(exist_ok=True)
    db = copy_db(base, run_dir / "load.db")
    requests = workload(db, int(rate * args.duration), args.popularity, seed=int(rate))
    warm = workload(db, int(min(rate, 100) * args.warmup), args.popularity, seed=int(rate) + 1)
    server = Server(db, args.workers, None, args.work / "serve.log", args.server_nice, args.max_stale)
    ing: subprocess.Popen[bytes] | None = None
    try:
        ready = server.wait_ready()
        asyncio.run(read_load(server.port, warm, min(rate, 100), args.readers, args.timeout, 2.0))
        watch = CPUWatch()
        ingest_info: dict[str, Any] | None = None
        if ingest:
            ing_log = (args.work / "ingest.log").open("w")
            ing_started = time.monotonic()
            # in a session of its own, as from another terminal or a cron job (Linux shares CPU between
            # sessions first: run in this one, the ingest would only compete with the load generator)
            nice = [] if args.ingest_nice is None else ["--nice", str(args.ingest_nice)]
            ing = subprocess.Popen([*xinwen_cmd(), "ingest", str(extra), "--db", str(db), *nice], stdout=ing_log,
                                   stderr=subprocess.STDOUT, env={**os.environ, "XINWEN_NO_PROGRESS": "1"},
                                   start_new_session=True)
        samples, t0, unanswered = asyncio.run(
            read_load(server.port, requests, rate, args.readers, args.timeout, args.grace))
        if ing is not None:
            running = ing.poll() is None
            ran = time.monotonic() - ing_started
            ingest_info = {"ran_whole_window": running, "seconds_before_window_end": round(ran, 1)}
        cpu = watch.stop(server.proc.pid, ing.pid if ing is not None else None)
        stats = summarize(samples, t0, args.duration, rate, unanswered)
        label = f"{rate:g} req/s" + ((" + ingest" + (f" (nice {args.ingest_nice})" if args.ingest_nice is not None
                                                      else "")) if ingest else "")
        if args.server_nice is not None:
            label += f", server session nice {args.server_nice}"
        if args.max_stale:
            label += f", --max-stale {args.max_stale}"
        return Run(label, stats, cpu, ingest_info, round(ready, 1))
    finally:
        if ing is not None and ing.poll() is None:
            ing.send_signal(signal.SIGINT)  # as Ctrl-C: committed batches stay
            try:
                ing.wait(30)
            except subprocess.TimeoutExpired:
                ing.kill()
        server.stop()


async def post_batches(port: int, lines: list[str], batch: int) -> tuple[list[float], list[dict[str, Any]], float, float]:
    conn = Connection(port)
    loop = asyncio.get_running_loop()
    times, reports = [], []
    start = loop.time()
    for i in range(0, len(lines), batch):
        body = "".join(lines[i:i + batch]).encode()
        t = loop.time()
        status, data = await conn.request("POST", "/api/articles", {
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}, body)
        times.append(loop.time() - t)
        if status != 200:
            raise RuntimeError(f"POST answered {status}: {data[:300]!r}")
        reports.append(json.loads(data))
    conn.close()
    return times, reports, start, loop.time()


def run_writes(args: argparse.Namespace, base: Path, posts: Path) -> dict[str, Any]:
    run_dir = args.work / "run"
    run_dir.mkdir(exist_ok=True)
    db = copy_db(base, run_dir / "write.db")
    token_file = args.work / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    lines = posts.read_text(encoding="utf-8").splitlines(keepends=True)[:1000]
    rate = args.write_readers_rate
    server = Server(db, args.workers, token_file, args.work / "serve-write.log", args.server_nice,
                    args.max_stale)
    try:
        server.wait_ready()
        asyncio.run(read_load(server.port, workload(db, int(rate * args.warmup), args.popularity, 5), rate,
                              args.readers, args.timeout, 2.0))
        watch = CPUWatch()
        samples_box: list[Sample] = []
        (times, reports, w0, w1), _ = asyncio.run(_with_samples(server.port, db, lines, rate, args, samples_box))
        cpu = watch.stop(server.proc.pid)
        stats = summarize(samples_box, w0, w1 - w0, rate, 0, window=(w0, w1))
        added = sum(r["added"] for r in reports)
        return {
            "articles": len(lines), "added": added, "rejected": sum(r["rejected"] for r in reports),
            "seconds": round(w1 - w0, 1), "articles_per_s": round(len(lines) / (w1 - w0), 1),
            "batch_p50_s": round(percentile(times, 0.5), 2), "batch_max_s": round(max(times), 2),
            "readers": asdict(stats), "cpu": cpu,
        }
    finally:
        server.stop()


async def _with_samples(port: int, db: Path, lines: list[str], rate: float, args: argparse.Namespace,
                        box: list[Sample]) -> tuple[Any, None]:
    """Readers at `rate` from before the first post to after the last; the posts one batch after another."""
    loop = asyncio.get_running_loop()
    requests = workload(db, int(rate * 600), args.popularity, 6)
    stop = asyncio.Event()
    queue: asyncio.Queue[tuple[float, str, str] | None] = asyncio.Queue()

    async def reader() -> None:
        conn = Connection(port)
        while True:
            item = await queue.get()
            if item is None:
                conn.close()
                return
            due, kind, path = item
            try:
                status, _ = await asyncio.wait_for(conn.request("GET", path), args.timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                conn.close()
                status = 0
            box.append(Sample(kind, due, loop.time(), status))

    async def dispatch() -> None:
        t0 = loop.time() + 0.05
        for i, (kind, path) in enumerate(requests):
            if stop.is_set():
                break
            due = t0 + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((due, kind, path))

    tasks = [asyncio.create_task(reader()) for _ in range(args.readers)]
    dispatcher = asyncio.create_task(dispatch())
    await asyncio.sleep(1.0)
    writes = await post_batches(port, lines, 100)
    await asyncio.sleep(0.5)
    stop.set()
    await dispatcher
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.wait(tasks, timeout=args.grace)
    return writes, None


# -- output -----------------------------------------------------------------------------------------
def table(runs: list[Run]) -> Iterator[str]:
    yield ("| run | served/s | p50 ms | p95 ms | p99 ms | errors | p95 by page (ms) | ingest ran throughout | "
           "cores: server / ingest / load generator / others |")
    yield "|---|---|---|---|---|---|---|---|---|"
    for r in runs:
        s = r.stats
        kinds = ", ".join(f"{k} {v:g}" for k, v in s.by_kind.items())
        errs = f"{s.errors}" + (f" ({', '.join(f'{k}: {v}' for k, v in s.error_kinds.items())})" if s.errors else "")
        ing = "-" if r.ingest is None else ("yes" if r.ingest["ran_whole_window"] else
                                           f"no (ended after {r.ingest['seconds_before_window_end']} s)")
        yield (f"| {r.label} | {s.served:g} | {s.p50:g} | {s.p95:g} | {s.p99:g} | {errs} | {kinds} | {ing} | "
               f"{r.cpu['server_cores']:g}{_split(r.cpu.get('server_workers_cores', []))} / {r.cpu['ingest_cores']:g} / "
               f"{r.cpu['client_cores']:g} / "
               f"{r.cpu['others_cores']:g} |")


def _split(workers: list[float]) -> str:
    """ (0.8 + 0.5): the server's cores by worker process, when there is more than one."""
    return f" ({' + '.join(f'{w:g}' for w in workers)})" if len(workers) > 1 else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=5000)
    ap.add_argument("--rates", default="100,200,300,500", help="requests a second offered, comma-separated")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds measured at each rate")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of reads before each measurement")
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--workers", type=int, default=None, help="xinwen serve --workers (default: its own)")
    ap.add_argument("--popularity", choices=["zipf", "uniform"], default="zipf")
    ap.add_argument("--only", choices=["read", "ingest", "write"], action="append",
                    help="run only these parts (default: all three)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as an error")
    ap.add_argument("--grace", type=float, default=10.0)
    ap.add_argument("--max-stale", type=int, default=None, metavar="SECONDS",
                    help="xinwen serve --max-stale: pages of the state before a write served for this long while "
                         "they are made again in the background")
    ap.add_argument("--server-nice", type=int, default=None, metavar="N",
                    help="run the server's session at this autogroup nice value (-10: nine times the weight of "
                         "any other session, as systemd's CPUWeight= gives a serving unit over batch jobs and "
                         "over whatever else runs on a shared machine)")
    ap.add_argument("--ingest-nice", type=int, default=None, metavar="N",
                    help="xinwen ingest --nice N (default: the ingest's own, 10: it lowers itself and its "
                         "session; 0: the ingest competes with the server as an equal)")
    ap.add_argument("--write-readers-rate", type=float, default=100.0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/xinwen-bench-load"))
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--base", type=Path, default=None, metavar="DB",
                    help="serve this existing SQLite collection instead of building one of --stories (copied "
                         "afresh for each rate; the ingest and the posts take corpus stories it does not hold)")
    ap.add_argument("--ingest-stories", type=int, default=5000,
                    help="with --base: how many stories the ingest offers while readers read")
    args = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"{SHARED} is missing: this benchmark reads the xinwenlianbo stories")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    parts = args.only or ["read", "ingest", "write"]
    if args.base is not None:
        base, extra, posts = from_base(args.work, args.base, args.ingest_stories)
        args.stories = int(extra.stem.rsplit("-", 1)[1])
    else:
        base, extra, posts = build(args.work, args.stories, args.rebuild)
    rates = [float(r) for r in args.rates.split(",")]
    print(f"{args.stories} stories; {args.readers} readers; {args.duration:g} s a rate; popularity {args.popularity}; "
          f"workers {args.workers or 'default'}; server session nice {args.server_nice or 0}; ingest --nice "
          f"{'default' if args.ingest_nice is None else args.ingest_nice}; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    runs: list[Run] = []
    for ingest in (False, True):
        if ("ingest" if ingest else "read") not in parts:
            continue
        for rate in rates:
            run = run_reads(args, base, extra, rate, ingest)
            runs.append(run)
            print("\n".join(list(table([run]))[2:]), f"  others: {run.cpu['others_top']}", flush=True)
    out: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()},
                           "runs": [asdict(r) for r in runs]}
    if runs:
        print("\n" + "\n".join(table(runs)))
        holding = [r.stats.offered for r in runs if r.ingest is not None and r.stats.p95 <= 100 and not r.stats.errors]
        if any(r.ingest is not None for r in runs):
            print(f"\nhighest rate offered during an ingest with p95 <= 100 ms and no errors: "
                  f"{max(holding) if holding else 'none'} req/s")
    if "write" in parts:
        w = run_writes(args, base, posts)
        out["write"] = w
        r = w["readers"]
        print(f"\nwrite API: {w['articles']} articles in batches of 100: {w['articles_per_s']} articles/s "
              f"({w['seconds']} s; batch p50 {w['batch_p50_s']} s, max {w['batch_max_s']} s; added {w['added']}, "
              f"rejected {w['rejected']}); readers at {args.write_readers_rate:g} req/s meanwhile: served "
              f"{r['served']}/s, p50 {r['p50']} ms, p95 {r['p95']} ms, p99 {r['p99']} ms, errors {r['errors']}; "
              f"cores: server {w['cpu']['server_cores']}, load generator {w['cpu']['client_cores']}, "
              f"others {w['cpu']['others_cores']}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.out:
        args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
