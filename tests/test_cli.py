"""The CLI contract, end to end, on the sample page and real corpora."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

import xinwen
from xinwen.cli import main

SAMPLE = Path(xinwen.__file__).parent / "data" / "news-page.txt"
MAIN_TITLE = "上海宝山以非常之力求突破、再提升,打造全市绿色低碳转型样板"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def db(databases) -> str:
    """A new database, once SQLite and once PostgreSQL (skipped without a test server)."""
    return databases.new()


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    return str(tmp_path / "x.db")


def test_ingest_sample_page_show_list_export(capsys, db, tmp_path):
    code, out, _ = run(capsys, "ingest", str(SAMPLE), "--db", db, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["read"] == 6 and report["added"] == 6 and report["rejected"] == 0
    for key in ("updated", "unchanged", "problems"):
        assert key in report

    code, out, _ = run(capsys, "list", "--db", db, "--json")
    listed = jsonl(out)
    assert len(listed) == 6
    main_item = next(a for a in listed if a["title"] == MAIN_TITLE)
    assert main_item["published"] == "2024-04-14T02:15:00+08:00"
    assert len(main_item["tags"]) == 3

    code, out, _ = run(capsys, "show", main_item["id"], "--db", db, "--json")
    shown = json.loads(out)
    assert shown["title"] == MAIN_TITLE
    assert shown["source_tags"] == ["创新", "低碳", "样板"]
    assert shown["published"] == "2024-04-14T02:15:00+08:00"
    assert shown["body"].startswith("深入贯彻落实市委全会精神")
    assert 0 < len(shown["snippet"]) <= 125
    for key in ("id", "tags", "url", "source"):
        assert key in shown

    code, out, _ = run(capsys, "export", "--format", "page", "--db", db)
    assert code == 0
    assert out == SAMPLE.read_text(encoding="utf-8")

    code, out, _ = run(capsys, "ingest", str(SAMPLE), "--db", db, "--json")
    again = json.loads(out)
    assert again["added"] == 0 and again["unchanged"] == 6


def test_export_jsonl_round_trips_through_ingest(capsys, db, tmp_path):  # into SQLite from either
    run(capsys, "ingest", str(SAMPLE), "--db", db)
    _, out, _ = run(capsys, "export", "--format", "jsonl", "--db", db)
    exported = tmp_path / "out.jsonl"
    exported.write_text(out, encoding="utf-8")
    db2 = str(tmp_path / "y.db")
    code, out, _ = run(capsys, "ingest", str(exported), "--db", db2, "--json")
    assert json.loads(out)["added"] == 6
    _, a, _ = run(capsys, "list", "--db", db, "--json")
    _, b, _ = run(capsys, "list", "--db", db2, "--json")
    key = lambda r: r["id"]  # noqa: E731
    assert [(r["id"], r["title"], r["published"]) for r in sorted(jsonl(a), key=key)] == [
        (r["id"], r["title"], r["published"]) for r in sorted(jsonl(b), key=key)
    ]


def test_tag_command_from_stdin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "xinwen.cli", "tag", "-"],
        input=SAMPLE.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    rows = jsonl(proc.stdout.decode())
    assert len(rows) == 6
    assert rows[0]["title"] == MAIN_TITLE
    assert all(len(r["tags"]) == 3 and r["snippet"] for r in rows)


def test_search_and_related_simple(capsys, db):
    run(capsys, "ingest", str(SAMPLE), "--db", db)
    code, out, _ = run(capsys, "search", "低碳", "--db", db, "--json")
    hits = jsonl(out)
    assert code == 0 and hits and hits[0]["article"]["title"] == MAIN_TITLE
    assert {"article", "score", "match", "highlight"} <= hits[0].keys() and hits[0]["match"] == "title"
    main_id = hits[0]["article"]["id"]
    code, out, _ = run(capsys, "related", main_id, "--db", db, "--json")
    assert code == 0
    for r in jsonl(out):
        assert {"article", "score", "reason"} <= r.keys() and r["article"]["id"] != main_id


def test_bad_inputs_are_one_line_errors_and_good_records_are_stored(capsys, db, tmp_path):
    bad = tmp_path / "mixed.jsonl"
    bad.write_text(
        '{"title": "宝山打造绿色低碳转型样板区", "body": "宝山区委全会审议通过实施意见。"}\n'
        "{not json\n"
        '{"url": "http://example.com/x"}\n'
        '{"title": "莘庄工业区项目开工", "body": "7个项目同时开工。", "date": "下个星期三吧"}\n',
        encoding="utf-8",
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    code, out, err = run(capsys, "ingest", str(bad), str(empty), str(binary), "--db", db, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["read"] == 2 and report["added"] == 2
    assert report["rejected"] == 4
    problems = {(Path(p["file"]).name, p["line"], p["field"]) for p in report["problems"]}
    assert ("mixed.jsonl", 2, None) in {(f, ln, None) for f, ln, _ in problems}
    assert ("mixed.jsonl", 3, "title") in problems
    assert ("mixed.jsonl", 4, "published") in problems
    assert {"empty.txt", "blob.bin"} <= {f for f, _, _ in problems}
    assert "Traceback" not in err


def test_nothing_readable_exits_non_zero_without_traceback(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "xinwen.cli", "ingest", str(empty), "--db", str(tmp_path / "x.db")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "empty.jsonl" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["show", "nope"], "nope"),
        (["list", "--since", "not a date"], "not a date"),
        (["ingest", "/no/such/file.jsonl"], "/no/such/file.jsonl"),
    ],
)
def test_user_errors_are_one_line(tmp_path, argv, needle):
    db = str(tmp_path / "x.db")
    subprocess.run([sys.executable, "-m", "xinwen.cli", "ingest", str(SAMPLE), "--db", db], check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.run([sys.executable, "-m", "xinwen.cli", *argv, "--db", db],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_database_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "list", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "none.db" in err and "ingest" in err


def test_demo_without_serving(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "demo", "--no-serve")
    assert code == 0 and "6 articles" in out
    assert (tmp_path / "xinwen-demo.db").exists()


def _head_jsonl_gz(src: Path, dst: Path, n: int) -> int:
    """Copy the first n lines (fewer when the file is shorter); return how many were copied."""
    copied = 0
    with gzip.open(src, "rt", encoding="utf-8") as fin, gzip.open(dst, "wt", encoding="utf-8") as fout:
        for line in fin:
            if copied >= n:
                break
            fout.write(line)
            copied += 1
    return copied


def test_every_shared_data_file_ingests_without_mapping(capsys, shared, tmp_path):
    files = sorted((shared / "data").glob("*.jsonl.gz"))
    assert len(files) >= 8
    db = str(tmp_path / "x.db")
    for f in files:
        head = tmp_path / f.name
        n = _head_jsonl_gz(f, head, 150)
        assert n >= 100, f.name
        code, out, _ = run(capsys, "ingest", str(head), "--db", db, "--json", "--no-fit")
        report = json.loads(out)
        assert code == 0, f.name
        assert report["read"] == n, (f.name, report["problems"][:3])
        assert report["added"] == n, f.name
        code, out, _ = run(capsys, "ingest", str(head), "--db", db, "--json", "--no-fit")
        assert json.loads(out)["added"] == 0


def test_a_database_from_before_tag_weights_is_upgraded_and_asks_for_one_fit(capsys, sqlite_db):
    import sqlite3

    db = sqlite_db
    assert run(capsys, "ingest", "--db", db, str(SAMPLE))[0] == 0
    conn = sqlite3.connect(db)  # the schema of version 2: no tag weights, no section index yet
    conn.execute("ALTER TABLE articles DROP COLUMN tag_weights")
    conn.execute("DROP INDEX articles_category")
    conn.executescript("""DROP TABLE article_versions; DROP INDEX articles_origin;
        ALTER TABLE articles DROP COLUMN origin; ALTER TABLE articles DROP COLUMN event_date;
        ALTER TABLE articles DROP COLUMN provenance; ALTER TABLE articles RENAME COLUMN read_from TO origin;
        DROP INDEX article_tags_time; ALTER TABLE article_tags DROP COLUMN published_ts;""")
    conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "list", "--db", db)
    assert code == 0 and MAIN_TITLE in out
    assert "xinwen fit" in err and "older xinwen" in err  # opening upgraded it and says what is left
    with sqlite3.connect(db) as conn:
        assert {r[0] for r in conn.execute("SELECT tag_weights FROM articles")} == {"{}"}
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name='articles_category'").fetchone()
    assert run(capsys, "fit", "--db", db)[0] == 0
    with sqlite3.connect(db) as conn:
        weights = [json.loads(r[0]) for r in conn.execute("SELECT tag_weights FROM articles")]
    assert all(weights) and any("低碳" in w for w in weights)
    code, out, err = run(capsys, "list", "--db", db)
    assert code == 0 and "xinwen fit" not in err


def test_conventions_version_db_anywhere_and_exit_codes(capsys, db, monkeypatch):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"xinwen {xinwen.__version__}"
    assert run(capsys, "--db", db, "ingest", str(SAMPLE))[0] == 0
    code, before, _ = run(capsys, "--db", db, "list")  # --db before the command
    assert code == 0 and MAIN_TITLE in before
    assert run(capsys, "list", "--db", db)[1] == before  # and after it
    # usage errors exit 2, as argparse's own do; a runtime error (no such article) exits 1
    for argv in (["list", "--limit", "-1"], ["list", "--limit", str(2**63)], ["search", "--offset", "x", "a"],
                 ["list", "--since", "not a date"], ["related"], ["duplicates", "--limit", "0"], ["nope"],
                 ["search"], ["serve", "--port", "70000"]):
        code, out, err = run(capsys, *argv, "--db", db)
        assert code == 2, argv
        assert "Traceback" not in err and err.strip(), argv
    code, _, err = run(capsys, "show", "no-such-id", "--db", db)
    assert code == 1 and err.startswith("xinwen: error:") and len(err.strip().splitlines()) == 1
    # bytes that are not UTF-8 reach Python as lone surrogates: a usage error, not a traceback
    code, _, err = run(capsys, "search", b"\xff\xfe".decode("utf-8", "surrogateescape"), "--db", db)
    assert code == 2 and "not valid UTF-8" in err


def test_search_takes_an_exclusion_without_quotes(capsys, db):
    assert run(capsys, "ingest", str(SAMPLE), "--db", db)[0] == 0
    code, out, _ = run(capsys, "search", "宝山", "--db", db, "--json")
    with_all = {h["article"]["id"] for h in jsonl(out)}
    code, out, err = run(capsys, "search", "宝山", "-低碳", "--db", db, "--json")  # as a shell passes it
    assert code == 0, err
    without = {h["article"]["id"] for h in jsonl(out)}
    assert without < with_all
    assert all("低碳" not in (h["article"]["title"] + h["highlight"]) for h in jsonl(out))
    code, out, _ = run(capsys, "search", "--db", db, "宝山", "-tag:低碳", "--limit", "3")
    assert code == 0 and "found" in out
    code, _, err = run(capsys, "search", "宝山", "--no-such-option", "--db", db)
    assert code == 2 and "--no-such-option" in err


def test_help_names_every_option_with_its_default(capsys):
    for argv in (["--help"], ["search", "--help"], ["ingest", "--help"], ["eval", "dups", "--help"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "examples:" in out, argv
    code, out, _ = run(capsys, "search", "--help")
    assert "(default: 10)" in out and "(default: relevance)" in out


def test_the_command_runs_as_a_program():
    """One smoke test through a real process: the console script's module, --help and --version."""
    proc = subprocess.run([sys.executable, "-m", "xinwen.cli", "--version"], capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.decode().strip() == f"xinwen {xinwen.__version__}"
    proc = subprocess.run([sys.executable, "-m", "xinwen.cli", "list", "--limit", "-5"], capture_output=True,
                          timeout=60)
    assert proc.returncode == 2 and b"out of range" in proc.stderr
