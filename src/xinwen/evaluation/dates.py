"""`xinwen eval dates`: event dates read from the text, and republished stories flagged, on real data.

1. Hand-read stories (tests/data/event_dates.jsonl: 225 stories from xinwenlianbo, sogou400 and sina800,
   each with the event date a person read in it, or null where the story states none). Reported:
   accuracy on the stories that state a date (the date `event_date` gives is that date; an abstention
   counts as wrong), abstention on the null ones (the share where it gives none), each with its 95%
   bootstrap interval, per data set and overall, beside two anchors given the same records: the publish
   date itself (what a system without event dates shows) and the first date-like string of the body
   (Y年M月D日, M月D日, D日, 今天/昨天/前天/明天), read against the publish date without judging which
   event it dates.
2. The sample page: its main story (发布时间 Apr 14, 2024; a meeting 7月6日 the year before) must give
   2023-07-06 and be flagged republished.
3. Planted republications, from the text alone: every xinwenlianbo story is read at its own date
   (untouched: how many are flagged) and `planted` of them, drawn with a fixed seed, again at the same
   month and day a year later (re-dated: how many are flagged). A story re-dated by exactly a year keeps
   "今天（5月15日）" true of its new date, so the text alone rarely tells (only an explicit year does).
4. Planted republications with their copy cluster, as the pipeline sees them: the first `limit` stories
   and re-dated copies of `copies` of them (same text, a year later) are ingested into a new collection
   with the public API; each article's first printing is the earliest publish date among itself and
   `Collection.copies()`, and `republication(published, event_date(...), first_printing)` decides.
   Reported: the re-dated copies flagged (recall), and the untouched stories flagged. The copies are
   drawn from the stories long enough to take part in copy detection (copycheck.eligible: 19,202 of
   the 19,876); a shorter one has only the text to go by.
The text-alone figures stand beside the anchor: the first date-like string taken as the event date.

The rule (xinwen.analysis.eventdate): a story is republished when printed more than
FIRST_PRINTING_AFTER_DAYS (30) after the first printing of its copy cluster, or more than
EVENT_AFTER_DAYS (90) after its event date.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from xinwen.analysis.eventdate import (
    EVENT_AFTER_DAYS,
    FIRST_PRINTING_AFTER_DAYS,
    event_date,
    republication,
)
from xinwen.evaluation import datasets
from xinwen.evaluation.bootstrap import interval

GOLD_NAME = "event_dates.jsonl"
DATASET_FILES = {"xinwenlianbo": "xinwenlianbo.jsonl.gz", "sogou400": "sogou400.jsonl.gz",
                 "sina800": "sina800.jsonl.gz"}
N_PLANTED = 1000  # stories re-dated for the text-only measurement
N_COPIES = 200  # re-dated copies ingested with their originals
COPY_LIMIT = 2000  # stories ingested with them
SEED = 19
SAMPLE_EXPECTED = date(2023, 7, 6)


def gold_path() -> Path | None:
    """tests/data/event_dates.jsonl of the repository this package runs from (or of the working folder)."""
    here = Path(__file__).resolve()
    for base in (here.parents[3], Path.cwd()):
        path = base / "tests" / "data" / GOLD_NAME
        if path.is_file():
            return path
    return None


# -- the anchor: the first date-like string, read naively --------------------------------------------------
_FIRST = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日|(今天|今日|昨天|昨日|昨晚|前天|前日|明天)")
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_OFFSET = {"今": 0, "昨": -1, "前": -2, "明": 1}


def first_date_like(body: str, published: date | None) -> date | None:
    """The anchor: the first date-like string of the body, its year and month taken from the publish
    date when it gives none; None when there is none or it cannot be placed."""
    for m in _FIRST.finditer((body or "").translate(_WIDE_DIGITS)):
        try:
            if m.group(4):
                return published + timedelta(days=_OFFSET[m.group(4)[0]]) if published else None
            y, mo, d = m.group(1), m.group(2), int(m.group(3))
            if y and mo:
                return date(int(y), int(mo), d)
            if published is None:
                return None
            return date(published.year, int(mo) if mo else published.month, d)
        except ValueError:
            continue
    return None


@dataclass
class DatesReport:
    gold: dict[str, Any] = field(default_factory=dict)  # hand-read stories: per data set and "all"
    sample: dict[str, Any] = field(default_factory=dict)
    planted_text: dict[str, Any] = field(default_factory=dict)
    planted_copies: dict[str, Any] = field(default_factory=dict)
    rule: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)  # hand-read stories read wrong
    missing: list[str] = field(default_factory=list)

    @property
    def xinwen(self) -> dict[str, Any]:
        """The headline figures, higher is better (for `--check` floors)."""
        out: dict[str, Any] = {}
        overall = self.gold.get("all", {}).get("xinwen", {})
        if overall:
            out["accuracy"] = overall["accuracy"]
            out["abstention"] = overall["abstention"]
        if self.planted_copies.get("recall") is not None:
            out["republished_recall"] = self.planted_copies["recall"]
            out["untouched_clean"] = round(1 - self.planted_copies["untouched_flagged_rate"], 4)
        if self.planted_text:
            out["untouched_clean_text"] = round(1 - self.planted_text["untouched_flagged_rate"], 4)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"gold": self.gold, "sample": self.sample, "planted_text": self.planted_text,
                "planted_copies": self.planted_copies, "rule": self.rule, "xinwen": self.xinwen,
                "failures": self.failures, "missing": self.missing}


def _as_date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _rate(hits: list[float]) -> dict[str, Any]:
    n = len(hits)
    lo, hi = interval(hits) if n else (float("nan"), float("nan"))
    return {"n": n, "rate": round(sum(hits) / n, 4) if n else None, "ci": [round(lo, 4), round(hi, 4)]}


def _scores(rows: list[tuple[date | None, date | None]]) -> dict[str, Any]:
    """rows: (gold, predicted). Accuracy on the stated ones, abstention on the null ones."""
    stated = [float(p == g) for g, p in rows if g is not None]
    silent = [float(p is None) for g, p in rows if g is None]
    acc, abst = _rate(stated), _rate(silent)
    return {"stated": acc["n"], "right": int(sum(stated)), "accuracy": acc["rate"], "accuracy_ci": acc["ci"],
            "abstained_on_stated": sum(1 for g, p in rows if g is not None and p is None),
            "null": abst["n"], "abstained": int(sum(silent)), "abstention": abst["rate"],
            "abstention_ci": abst["ci"]}


def _records(name: str, ids: set[str] | None = None) -> Iterable[dict[str, Any]]:
    for r in datasets.records(name):
        if ids is None or r["id"] in ids:
            yield r


def evaluate_gold(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Accuracy and abstention on the hand-read stories, beside the anchors; and the stories read wrong."""
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts: dict[str, dict[str, Any]] = {}
    for ds in sorted({g["dataset"] for g in gold}):
        ids = {g["id"] for g in gold if g["dataset"] == ds}
        texts.update({r["id"]: r for r in _records(DATASET_FILES[ds], ids)})
    rows: dict[str, dict[str, list[tuple[date | None, date | None]]]] = {}
    failures = []
    for g in gold:
        record = texts.get(g["id"])
        if record is None:
            continue
        published, truth = _as_date(g.get("published")), _as_date(g.get("event_date"))
        found = event_date(record.get("title") or "", record.get("body") or "", published)
        ours = found.date if found else None
        for key in (g["dataset"], "all"):
            per = rows.setdefault(key, {"xinwen": [], "publish-date": [], "first-date": []})
            per["xinwen"].append((truth, ours))
            per["publish-date"].append((truth, published))
            per["first-date"].append((truth, first_date_like(record.get("body") or "", published)))
        if ours != truth:
            failures.append({"dataset": g["dataset"], "id": g["id"], "published": g.get("published"),
                             "gold": g.get("event_date"), "gold_evidence": g.get("evidence", ""),
                             "xinwen": ours.isoformat() if ours else None,
                             "evidence": found.evidence if found else ""})
    return {key: {name: _scores(r) for name, r in per.items()} for key, per in rows.items()}, failures


def evaluate_sample() -> dict[str, Any]:
    """The sample page's main story: its event date and whether it is flagged republished."""
    article = datasets.page_articles()[0]
    found = event_date(article.title, article.body, article.published)
    flagged = republication(article.published, found)
    return {"title": article.title, "published": article.published.isoformat() if article.published else None,
            "event_date": found.date.isoformat() if found else None, "evidence": found.evidence if found else "",
            "expected": SAMPLE_EXPECTED.isoformat(), "republished": flagged.to_dict() if flagged else None,
            "ok": bool(found and found.date == SAMPLE_EXPECTED and flagged is not None)}


def a_year_later(day: date) -> date:
    """The same month and day a year later (29 February: 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def evaluate_planted_text(stories: list[dict[str, Any]], planted: int = N_PLANTED) -> dict[str, Any]:
    """Every story at its own date, and `planted` of them re-dated a year later, judged on the text alone."""
    flagged_untouched, anchor_untouched = [], []
    seconds = 0.0
    for s in stories:
        published = _as_date(s["date"])
        start = time.process_time()  # CPU time: the machine's other work does not count
        found = event_date(s.get("title") or "", s.get("body") or "", published)
        seconds += time.process_time() - start
        flagged_untouched.append(float(republication(published, found) is not None))
        anchor_untouched.append(float(republication(published, first_date_like(s.get("body") or "", published))
                                      is not None))
    picked = random.Random(SEED).sample(stories, min(planted, len(stories)))
    flagged_planted, anchor_planted = [], []
    for s in picked:
        later = a_year_later(_as_date(s["date"]))  # type: ignore[arg-type]
        found = event_date(s.get("title") or "", s.get("body") or "", later)
        flagged_planted.append(float(republication(later, found) is not None))
        anchor_planted.append(float(republication(later, first_date_like(s.get("body") or "", later)) is not None))
    untouched, recall = _rate(flagged_untouched), _rate(flagged_planted)
    return {"stories": untouched["n"], "untouched_flagged": int(sum(flagged_untouched)),
            "untouched_flagged_rate": untouched["rate"], "untouched_flagged_ci": untouched["ci"],
            "planted": recall["n"], "recall": recall["rate"], "recall_ci": recall["ci"],
            "us_per_article": round(seconds * 1e6 / max(1, len(stories)), 1),
            "first-date": {"untouched_flagged_rate": _rate(anchor_untouched)["rate"],
                           "recall": _rate(anchor_planted)["rate"]}}


def evaluate_planted_copies(stories: list[dict[str, Any]], copies: int = N_COPIES,
                            limit: int = COPY_LIMIT) -> dict[str, Any]:
    """Re-dated copies ingested with their originals; flagged through their copy cluster's first printing."""
    from xinwen.collection import Collection
    from xinwen.linking.copycheck import eligible

    base = [{k: s[k] for k in ("id", "title", "date", "body", "url") if s.get(k) is not None}
            for s in stories[:limit]]
    rng = random.Random(SEED + 1)
    pool = [s for s in base if eligible(s.get("body") or "")]  # long enough to take part in copy detection
    originals = rng.sample(pool, min(copies, len(pool)))
    plants = [{**s, "id": f"redated-{s['id']}", "date": a_year_later(_as_date(s["date"])).isoformat()}  # type: ignore[arg-type]
              for s in originals]
    stream = base + plants
    rng.shuffle(stream)
    flagged: dict[str, bool] = {}
    examples: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stories.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in stream), encoding="utf-8")
        with Collection(Path(tmp) / "dates.db") as c:
            start = time.perf_counter()
            c.ingest([path], progress=False, fit=False)
            seconds = time.perf_counter() - start
            for r in stream:
                published = _as_date(r["date"])
                printings = [a.published for a in c.copies(r["id"]) if a.published is not None]
                first = min([_day(p) for p in printings] + [published]) if published else None
                found = event_date(r.get("title") or "", r.get("body") or "", published)
                flag = republication(published, found, first)
                flagged[r["id"]] = flag is not None
                if flag is not None and not r["id"].startswith("redated-") and len(examples) < 10:
                    examples.append({"id": r["id"], "published": r["date"], **flag.to_dict()})
    planted_ids = {p["id"] for p in plants}
    recall = _rate([float(flagged[i]) for i in sorted(planted_ids)])
    untouched = _rate([float(flagged[r["id"]]) for r in base])
    return {"stories": untouched["n"], "eligible": len(pool), "planted": recall["n"], "recall": recall["rate"],
            "recall_ci": recall["ci"],
            "untouched_flagged": sum(1 for r in base if flagged[r["id"]]),
            "untouched_flagged_rate": untouched["rate"], "untouched_flagged_ci": untouched["ci"],
            "ingest_ms_per_article": round(seconds * 1000 / max(1, len(stream)), 2),
            "untouched_flagged_examples": examples}


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def evaluate_dates(planted: int = N_PLANTED, copies: int = N_COPIES, limit: int = COPY_LIMIT) -> DatesReport:
    """Everything above; a data set that is not on this machine is named in `missing` and skipped.
    `copies=0` skips the ingest (the slow part: about `limit` + `copies` articles through the pipeline)."""
    report = DatesReport(rule={"first_printing_after_days": FIRST_PRINTING_AFTER_DAYS,
                               "event_after_days": EVENT_AFTER_DAYS})
    report.sample = evaluate_sample()
    path = gold_path()
    if path is None:
        report.missing.append(f"{GOLD_NAME}: tests/data is not beside this package or in the working folder")
    else:
        try:
            report.gold, report.failures = evaluate_gold(path)
        except datasets.DatasetMissing as exc:
            report.missing.append(str(exc))
    try:
        stories = [s for s in datasets.records("xinwenlianbo.jsonl.gz") if s.get("date")]
    except datasets.DatasetMissing as exc:
        report.missing.append(str(exc))
        return report
    report.planted_text = evaluate_planted_text(stories, planted)
    if copies:
        report.planted_copies = evaluate_planted_copies(stories, copies, limit)
    return report


def _pct(v: float | None) -> str:
    return "   -  " if v is None else f"{v:6.3f}"


def _ci(ci: list[float]) -> str:
    return f"{ci[0]:.3f}-{ci[1]:.3f}" if ci and ci[0] == ci[0] else "-"


def format_report(report: DatesReport) -> str:
    lines = []
    if report.gold:
        lines.append("hand-read stories: the event date (accuracy on stories that state one; abstention on those "
                     "that do not)")
        lines.append(f"{'data set':14} {'method':14} {'stated':>6} {'accuracy':>8} {'95% interval':>13} "
                     f"{'null':>5} {'abstain':>8} {'95% interval':>13}")
        for key in [k for k in report.gold if k != "all"] + ["all"]:
            for name, d in report.gold[key].items():
                lines.append(f"{key:14} {name:14} {d['stated']:6d} {_pct(d['accuracy']):>8} "
                             f"{_ci(d['accuracy_ci']):>13} {d['null']:5d} {_pct(d['abstention']):>8} "
                             f"{_ci(d['abstention_ci']):>13}")
    s = report.sample
    if s:
        rep = s.get("republished") or {}
        lines.append(f"sample page: published {s['published']}, event {s['event_date']} (expected {s['expected']}), "
                     f"republished: {'yes, ' + str(rep.get('days')) + ' days after' if rep else 'no'} "
                     f"-> {'ok' if s['ok'] else 'WRONG'}")
    t = report.planted_text
    if t:
        lines.append(f"xinwenlianbo, text alone ({t['us_per_article']} CPU us/article): untouched flagged "
                     f"{t['untouched_flagged']}/{t['stories']} = {t['untouched_flagged_rate']:.4f} "
                     f"({_ci(t['untouched_flagged_ci'])}); re-dated a year later flagged "
                     f"{t['recall']:.3f} ({_ci(t['recall_ci'])}) of {t['planted']}")
        a = t["first-date"]
        lines.append(f"  anchor, first date-like string as the event date: untouched flagged "
                     f"{a['untouched_flagged_rate']:.4f}, re-dated flagged {a['recall']:.3f}")
    c = report.planted_copies
    if c:
        lines.append(f"xinwenlianbo with copy clusters ({c['stories']} stories + {c['planted']} re-dated copies "
                     f"ingested, {c['ingest_ms_per_article']} ms/article): re-dated flagged {c['recall']:.3f} "
                     f"({_ci(c['recall_ci'])}); untouched flagged {c['untouched_flagged']}/{c['stories']} = "
                     f"{c['untouched_flagged_rate']:.4f} ({_ci(c['untouched_flagged_ci'])})")
    if report.rule:
        lines.append(f"rule: republished when printed > {report.rule['first_printing_after_days']} days after its "
                     f"copy cluster's first printing, or > {report.rule['event_after_days']} days after its event date")
    for m in report.missing:
        lines.append(f"missing: {m}")
    return "\n".join(lines)
