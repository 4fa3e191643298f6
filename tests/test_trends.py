"""Trends: tag counts per day, week and month; rising tags; co-occurring tags; `xinwen trends`."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest
from conftest import run_sql

from xinwen.cli import main
from xinwen.collection import Collection
from xinwen.errors import QueryError
from xinwen.search.trends import period_starts
from xinwen.store.base import TagUpdate

# three weeks (starting Monday 3, 10 and 17 June 2024), four articles each, tags set by hand below
WEEKS = ["2024-06-03", "2024-06-10", "2024-06-17"]
TAGS = {
    # week: tags of its four articles
    0: [["经济", "会议"], ["经济", "会议"], ["经济"], ["天气"]],
    1: [["经济", "会议"], ["经济", "台风"], ["经济", "会议"], ["天气"]],
    2: [["台风", "降雨", "经济"], ["台风", "降雨", "经济"], ["台风", "降雨", "经济"], ["台风", "会议", "会议2"]],
}


@pytest.fixture
def coll(databases, tmp_path):
    records = []
    for w, monday in enumerate(WEEKS):
        for i in range(4):
            day = date.fromisoformat(monday).replace(day=int(monday[-2:]) + i + (2 if w == 1 else 0))
            records.append({"id": f"w{w}a{i}", "title": f"第{w}周第{i}条新闻", "body": "正文。",
                            "date": f"{day.isoformat()} 20:30"})
    src = tmp_path / "n.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with Collection(databases.new("t")) as c:
        c.ingest([src], fit=False, progress=False)
        c.store.set_tags([TagUpdate(c.store.get(f"w{w}a{i}").key, tags, "") for w, arts in TAGS.items()
                          for i, tags in enumerate(arts)])
        yield c


def test_weekly_series_and_rising(coll):
    t = coll.trends(period="week", top=3)
    assert t.periods == WEEKS and t.articles == [4, 4, 4]
    assert list(t.series) == ["经济", "会议", "台风"]  # most frequent first, ties by name
    assert t.series["经济"] == [(WEEKS[0], 3), (WEEKS[1], 3), (WEEKS[2], 3)]
    assert t.series["台风"] == [(WEEKS[0], 0), (WEEKS[1], 1), (WEEKS[2], 4)]
    assert (t.now, t.before) == (WEEKS[2], WEEKS[1])
    # 降雨 0 -> 3 and 台风 1 -> 4 rise; 经济 (flat) and 会议 (2 -> 1) do not
    assert [r["tag"] for r in t.rising] == ["降雨", "台风"]
    assert t.rising[0] == {"tag": "降雨", "now": 3, "before": 0, "ratio": 4.0}
    assert t.rising[1] == {"tag": "台风", "now": 4, "before": 1, "ratio": 2.5}
    assert [r["tag"] for r in coll.trends(min_count=4).rising] == ["台风"]


def test_days_months_and_ranges(coll):
    days = coll.trends(period="day", tags=["台风"])
    assert days.periods[0] == "2024-06-03" and days.periods[-1] == "2024-06-20"
    assert len(days.periods) == 18  # every day, with the empty ones
    assert sum(n for _, n in days.series["台风"]) == 5
    assert days.rising == [] or all(r["now"] >= 3 for r in days.rising)
    months = coll.trends(period="month", tags=["经济", "没有的标签"])
    assert months.periods == ["2024-06-01"] and months.series == {"经济": [("2024-06-01", 9)], "没有的标签": [("2024-06-01", 0)]}
    assert months.rising == [] and months.before is None
    early = coll.trends(until="2024-06-16", top=5)  # inclusive day: the first two weeks only
    assert early.periods == WEEKS[:2] and early.now == WEEKS[1]
    assert early.series["台风"] == [(WEEKS[0], 0), (WEEKS[1], 1)]
    late = coll.trends(since="2024-06-10", period="week")
    assert late.periods == WEEKS[1:]
    assert coll.trends(since="2030-01-01").periods == []
    with pytest.raises(QueryError):
        coll.trends(period="year")


def test_cooccurring(coll):
    assert coll.cooccurring("台风") == [("经济", 4), ("降雨", 3), ("会议", 1), ("会议2", 1)]
    assert coll.cooccurring("台风", k=1) == [("经济", 4)]
    assert coll.cooccurring("没有的标签") == []


def test_cli_trends(capsys, coll):
    db = coll.db_path
    assert main(["trends", "--db", db, "--json", "--top", "3", "--tag", "台风"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"] == "week" and out["periods"] == WEEKS
    assert out["series"] == {"台风": [{"period": w, "count": n} for w, n in zip(WEEKS, (0, 1, 4), strict=True)]}
    assert out["rising"][0]["tag"] == "降雨"
    assert out["cooccurring"]["台风"][0] == {"tag": "经济", "count": 4}
    assert main(["trends", "--db", db, "--period", "day"]) == 0
    text = capsys.readouterr().out
    assert "rising" in text and "经济" in text
    assert main(["trends", "--db", db, "--since", "not a date"]) == 2  # a usage error
    assert "not a date" in capsys.readouterr().err


def test_period_starts():
    assert period_starts("2024-11-01", "2025-02-01", "month") == ["2024-11-01", "2024-12-01", "2025-01-01", "2025-02-01"]
    assert period_starts("2024-12-30", "2025-01-06", "week") == ["2024-12-30", "2025-01-06"]


def test_real_weekly_counts_match_the_tag_table(databases, tmp_path):
    src = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "xinwenlianbo.jsonl.gz"
    if not src.exists():
        pytest.skip(f"../shared not present: needs {src}")
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        lines = [line for _, line in zip(range(300), fh, strict=False)]
    (tmp_path / "x.jsonl").write_text("".join(lines), encoding="utf-8")
    with Collection(databases.new()) as c:
        c.ingest([tmp_path / "x.jsonl"], fit=False, progress=False)
        t = c.trends(period="week", top=5)
        assert all(date.fromisoformat(p).weekday() == 0 for p in t.periods)
        assert sum(t.articles) == c.count()
        for tag, points in t.series.items():
            assert sum(n for _, n in points) == len(c.list(tag=tag, limit=10_000))
        for r in t.rising:
            assert r["now"] >= 3 and r["now"] > r["before"]
        assert [r["ratio"] for r in t.rising] == sorted((r["ratio"] for r in t.rising), reverse=True)
        top = next(iter(t.series))
        co = c.cooccurring(top, k=3)
        with_top = {a.id for a in c.list(tag=top, limit=10_000)}
        for other, n in co:
            assert n == len(with_top & {a.id for a in c.list(tag=other, limit=10_000)})


def test_a_damaged_database_is_one_line_not_a_traceback(capsys, coll):
    if coll.db_path.startswith("postgresql://"):
        run_sql(coll.db_path, "DROP TABLE article_tags")
    else:
        run_sql(coll.db_path, "DROP INDEX articles_source")
    assert main(["trends", "--db", coll.db_path]) == 1
    err = capsys.readouterr().err
    assert err.startswith("xinwen: error:") and "Traceback" not in err
