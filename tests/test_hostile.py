"""Hostile but honest input (issue 13): every case makes xinwen's own one-line problem, stores the good
records, and keeps memory and time bounded. Files are generated here; the network is a server on
127.0.0.1 (the `site` fixture)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from xinwen.article import Article, Problem
from xinwen.cli import main
from xinwen.collection import Collection
from xinwen.readers import read

ROOT = Path(__file__).resolve().parents[1]
JSON = {"Accept": "application/json"}


def record(i: int, **extra: object) -> dict:
    return {"id": f"r{i}", "title": f"第{i}条新闻：宝山推进绿色低碳转型", "date": "2024-04-14 10:00",
            "body": f"这是第{i}条新闻的正文。宝山区推进绿色低碳转型，建设样板区。"} | extra


def jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def split(items: list) -> tuple[list[Article], list[Problem]]:
    return [x for x in items if isinstance(x, Article)], [x for x in items if isinstance(x, Problem)]


def peak_mb(code: str, *args: str, env: dict | None = None) -> tuple[int, str]:
    """Run Python code in a fresh process; (its peak resident MB, what it printed). The peak is the
    process's own high-water mark (VmHWM): getrusage's would include the pytest process it was forked from."""
    runner = ("import sys\n" + code + "\nprint('PEAK', next(int(x.split()[1]) // 1024 for x in "
              "open('/proc/self/status') if x.startswith('VmHWM')))")
    proc = subprocess.run([sys.executable, "-c", runner, *args], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), **(env or {})))
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak = next(int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("PEAK"))
    return peak, proc.stdout


# -- 1. dates that are not plausible ----------------------------------------------------------------------
def test_implausible_dates_are_problems_and_never_reach_trends(tmp_path):
    src = jsonl(tmp_path / "dates.jsonl", [record(1), record(2, date="9999-12-31"),
                                           record(3, date="0001-01-01T00:00:00"), record(4, date="2024-05-01")])
    with Collection(tmp_path / "d.db") as c:
        report = c.ingest([src], progress=False)
        assert (report.added, report.rejected) == (4, 0)
        bad = [p for p in report.problems if p.field == "published"]
        assert {p.line for p in bad} == {2, 3} and all("not plausible" in p.message for p in bad)
        assert c.get("r2").published is None and c.get("r2").extra["published_refused"].startswith("9999")
        t0 = time.perf_counter()
        t = c.trends(period="day")
        assert time.perf_counter() - t0 < 5  # (a generous bound: it was 25 s and 4 GB before)
        assert t.periods[0] == "2024-04-14" and t.periods[-1] == "2024-05-01" and sum(t.articles) == 2


def test_dates_stored_by_an_older_xinwen_are_left_out_of_trends(tmp_path):
    """A collection that already holds a 9999 and a 0001 date (stored before they were refused)."""
    from datetime import UTC, datetime

    import numpy as np

    from xinwen.article import content_hash
    from xinwen.store.base import ArticleWrite

    db = tmp_path / "old.db"
    with Collection(db) as c:
        c.ingest([jsonl(tmp_path / "ok.jsonl", [record(i) for i in range(5)])], progress=False)
        writes = []
        for i, when in ((90, datetime(9999, 12, 31, tzinfo=UTC)), (91, datetime(1, 1, 1, tzinfo=UTC))):
            a = Article(id=f"x{i}", title="年份错误的新闻", body="正文", tags=["错误"], published=when)
            writes.append(ArticleWrite(a, content_hash(a), "年份 错误", "正文", np.zeros(128, "uint64")))
        c.store.upsert(writes)
        for period in ("day", "week", "month"):
            t = c.trends(period=period)
            assert 1 <= len(t.periods) <= 2 and sum(t.articles) == 5
    assert main(["trends", "--period", "day", "--json", "--db", str(db)]) == 0
    from xinwen.web.app import create_app

    app = create_app(str(db))
    with TestClient(app) as client:
        assert client.get("/trends?period=day", headers=JSON).status_code == 200
        assert client.get("/search?q=to:9999-12-31", headers=JSON).status_code == 200
        assert client.get("/search?q=from:0001-01-01+正文", headers=JSON).json()["total"] >= 1
        r = client.get("/trends?since=9999-12-31", headers=JSON)
        assert r.status_code == 400 and "outside the dates" in r.json()["error"]
    app.state.collection.close()


# -- 2. one bad record never costs the good ones ------------------------------------------------------------
def test_a_record_that_breaks_the_parser_is_one_problem(tmp_path):
    lines = [record(i) for i in range(1, 301)] + ["[" * 100_000 + "]" * 100_000] + [record(i) for i in range(301, 601)]
    src = jsonl(tmp_path / "deep.jsonl", lines)
    with Collection(tmp_path / "x.db") as c:
        report = c.ingest([src], progress=False, fit=False)
        assert (report.read, report.added, report.rejected) == (600, 600, 1)
        (p,) = report.problems
        assert (p.file, p.line) == (str(src), 301) and "nested too deeply" in p.message


def test_a_bad_file_in_a_folder_costs_only_itself(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(20):
        jsonl(folder / f"a{i:03d}.jsonl", [record(i)])
    (folder / "b000.jsonl").write_bytes(b"\x00\x01\x02 binary \xff" * 100)
    (folder / "b001.jsonl").write_text("[" * 200_000, encoding="utf-8")
    for i in range(20, 40):
        jsonl(folder / f"c{i:03d}.jsonl", [record(i)])
    with Collection(tmp_path / "x.db") as c:
        report = c.ingest([folder], progress=False, fit=False)
        assert report.added == 40 and report.rejected == 2
        assert {Path(p.file).name for p in report.problems} == {"b000.jsonl", "b001.jsonl"}


def test_an_article_the_analyzer_chokes_on_is_skipped_and_named(tmp_path, monkeypatch):
    from xinwen.analysis.pipeline import Analyzer

    original = Analyzer.apply

    def choke(self, article):  # type: ignore[no-untyped-def]
        if "第7条" in article.title:
            raise MemoryError
        return original(self, article)

    monkeypatch.setattr(Analyzer, "apply", choke)
    src = jsonl(tmp_path / "a.jsonl", [record(i) for i in range(1, 11)])
    with Collection(tmp_path / "x.db") as c:
        report = c.ingest([src], progress=False, fit=False)
        assert (report.added, report.rejected) == (9, 1)
        (p,) = report.problems
        assert (p.file, p.line) == (str(src), 7) and "MemoryError" in p.message and c.count() == 9


def test_a_record_the_store_cannot_take_costs_only_itself(tmp_path, monkeypatch):
    from xinwen.store.sqlite import SQLiteStore

    original = SQLiteStore.upsert

    def refuse(self, writes):  # type: ignore[no-untyped-def]
        if any(w.article.id == "r5" for w in writes):
            raise ValueError("a value the database cannot hold")
        return original(self, writes)

    monkeypatch.setattr(SQLiteStore, "upsert", refuse)
    src = jsonl(tmp_path / "a.jsonl", [record(i) for i in range(1, 11)])
    with Collection(tmp_path / "x.db") as c:
        report = c.ingest([src], progress=False, fit=False)
        assert (report.added, report.rejected, c.count()) == (9, 1, 9)
        assert report.problems[0].line == 5 and "cannot store" in report.problems[0].message


def test_jsonl_whose_first_line_is_an_array_is_read_line_by_line(tmp_path):
    src = jsonl(tmp_path / "a.jsonl", [[1, 2, 3]] + [record(i) for i in range(1, 4)])
    articles, problems = split(list(read([src])))
    assert len(articles) == 3 and [(p.line, "array" in p.message) for p in problems] == [(1, True)]
    one = jsonl(tmp_path / "one.json", [[record(1), record(2)]])  # a JSON array document on one line
    assert [a.id for a in read([one])] == ["r1", "r2"]


def test_a_truncated_gz_keeps_every_record_before_the_break(tmp_path):
    data = gzip.compress("".join(json.dumps(record(i), ensure_ascii=False) + "\n" for i in range(200)).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    articles, problems = split(list(read([cut])))
    assert 100 <= len(articles) < 200 and [a.id for a in articles] == [f"r{i}" for i in range(len(articles))]
    assert any("truncated" in p.message for p in problems)


def test_symlink_loops_and_pipes_are_skipped(tmp_path):
    folder = tmp_path / "f"
    (folder / "sub").mkdir(parents=True)
    jsonl(folder / "sub" / "a.jsonl", [record(1)])
    (folder / "sub" / "loop1").symlink_to(folder)
    (folder / "sub" / "loop2").symlink_to(folder / "sub")
    os.mkfifo(folder / "pipe.jsonl")
    items = list(read([folder]))
    articles, problems = split(items)
    assert [a.id for a in articles] == ["r1"]
    assert any("loop" in p.message for p in problems) and any("not a regular file" in p.message for p in problems)
    (p,) = list(read([folder / "pipe.jsonl"]))  # named on its own: reported, never read (it would block)
    assert "not a regular file" in p.message


# -- 3. memory and time stay bounded -----------------------------------------------------------------------
def test_a_huge_body_is_stored_whole_and_analyzed_on_a_prefix(tmp_path):
    body = "宝山区推进绿色低碳转型，建设样板区。" * 300_000  # 5.4 M characters
    src = jsonl(tmp_path / "big.jsonl", [record(1, body=body), record(2)])
    with Collection(tmp_path / "x.db") as c:
        report = c.ingest([src], progress=False, fit=False)
        assert report.added == 2 and not report.problems
        assert c.get("r1").body == body and c.get("r1").tags


@pytest.mark.slow
def test_a_50_mb_article_fits_in_500_mb(tmp_path):
    src = tmp_path / "fifty.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(record(1, body="宝山区推进绿色低碳转型，建设全市样板区。" * 880_000), ensure_ascii=False) + "\n")
    assert 50 << 20 <= src.stat().st_size < 52 << 20
    code = "from xinwen.cli import main\nassert main(['ingest', sys.argv[1], '--db', sys.argv[2], '--no-fit']) == 0"
    peak, out = peak_mb(code, str(src), str(tmp_path / "x.db"))
    assert "added 1" in out and peak <= 500, peak


def _bomb(path: Path, gib: int = 1, byte: bytes = b"\0") -> Path:
    """A .gz that decompresses to `gib` GiB: one compressed MiB repeated as gzip members."""
    member = gzip.compress(byte * (1 << 20), compresslevel=9)
    with open(path, "wb") as fh:
        for _ in range(gib << 10):
            fh.write(member)
    return path


@pytest.mark.parametrize("byte", [b"\0", b"a"])
def test_a_gzip_bomb_is_refused_in_little_memory(tmp_path, byte):
    bomb = _bomb(tmp_path / "bomb.jsonl.gz", byte=byte)
    assert bomb.stat().st_size < 20 << 20
    code = "from xinwen.readers import read\nfor p in read([sys.argv[1]]): print(p)"
    peak, out = peak_mb(code, str(bomb))
    assert peak <= 100, peak
    assert "binary" in out or "decompression bomb" in out, out


def test_a_big_gz_of_real_text_is_read_while_it_streams(tmp_path):
    import random

    rng = random.Random(1)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]  # text that compresses as news does (3-10 times)
    path = tmp_path / "many.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(json.dumps(record(i, body="".join(rng.choices(chars, k=700))), ensure_ascii=False) + "\n")
    code = "from xinwen.readers import read\nprint('N', sum(1 for _ in read([sys.argv[1]])))"
    peak, out = peak_mb(code, str(path))
    assert "N 20000" in out and peak <= 100, peak  # 40 MB of text, never all in memory


def test_an_endless_or_trickling_url_is_refused_within_its_deadline(site):
    def endless(h):  # type: ignore[no-untyped-def]
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        while True:
            h.wfile.write(b'{"title": "x"}\n' * 4096)

    def trickle(h):  # type: ignore[no-untyped-def]
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.2)

    site.routes["/endless"] = endless
    site.routes["/trickle"] = trickle
    bomb = gzip.compress(b"[" * (50 << 20))
    gz = site.content("/bomb", bomb, "application/json", Content_Encoding="gzip")
    env = {"XINWEN_LIMITS": "fetch_bytes=2M,fetch_seconds=2"}
    code = "from xinwen.readers import read\nfor p in read(sys.argv[1:]): print(p)"
    t0 = time.perf_counter()
    peak, out = peak_mb(code, site.url("/endless"), site.url("/trickle"), gz, env=env)
    assert time.perf_counter() - t0 < 20
    lines = [x for x in out.splitlines() if x.startswith("http")]
    assert len(lines) == 3 and "larger than 2,097,152 bytes" in lines[0] and "within 2 s" in lines[1]
    assert "larger than" in lines[2] and peak <= 100, (peak, lines)


# -- 4. nothing is fetched or opened that the user did not name ---------------------------------------------
def test_feed_text_that_names_a_location_is_not_followed(tmp_path, site):
    secret = tmp_path / "secret.txt"
    secret.write_text('<rss><channel><item><title>秘密</title></item></channel></rss>', encoding="utf-8")
    hit = []
    site.routes["/feed"] = lambda h: (hit.append(1), h.send_response(204), h.end_headers())
    for i, text in enumerate([f"file://{secret}", str(secret), site.url("/feed")]):
        (tmp_path / f"f{i}.rss").write_text(text, encoding="utf-8")
        items = list(read([tmp_path / f"f{i}.rss"]))
        assert not [x for x in items if isinstance(x, Article)], text
    served = site.content("/feed.xml", f"file://{secret}".encode(), "application/rss+xml")
    assert not [x for x in read([served]) if isinstance(x, Article)]
    assert not hit


# -- 6. HTTP edges ----------------------------------------------------------------------------------------
def test_head_wherever_get_and_405_says_allow(web_db):
    from xinwen.web.app import create_app

    app = create_app(str(web_db.path))
    with TestClient(app) as client:
        for path in ("/", f"/articles/{web_db.sample_id}", "/search?q=低碳", "/trends", "/duplicates", "/tags/低碳"):
            get, head = client.get(path), client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
        r = client.post("/search")
        assert r.status_code == 405 and "GET" in r.headers["allow"]
        assert client.get("/search?format=json").json()["total"] == 0  # a JSON twin by link
    app.state.collection.close()
