"""Article extraction on 62 saved Chinese news pages: xinwen beside trafilatura, readability-lxml and
GeneralNewsExtractor, same pages, same run (issue 18's table).

    nice python bench/bench_extract.py [--pages ../shared/pages] [--fails] [--system NAME]

(The anchors need `pip install -e '.[bench]'` (readability-lxml, gne); a row whose package is missing says so.)

The pages are ../shared/pages (31 sites); what a person read on each page (title, publish time, first and
last sentence of the body) is tests/data/pages_expected.json. Every page is decoded once, as xinwen's
readers decode it (xinwen.encoding.decode_bytes), and that same text is given to every system.

The systems:
- xinwen: `xinwen.readers.html.read_html` (title, published, body of the Article it yields).
- trafilatura: `bare_extraction(html, with_metadata=True, include_comments=False)`: its title, date, text
  (comments off, as a news reader runs it).
- readability-lxml: `Document(html)`: `short_title()`, and the text of `summary(html_partial=True)` with
  block elements as line breaks; it finds no date (its column shows "-").
- GeneralNewsExtractor (gne, GPL-3.0, used here only as a yardstick): `extract(html)`: title,
  publish_time, content.

How an answer is compared with what the person wrote (`flat`: text normalized as xinwen normalizes it,
full-width ASCII folded, every white space removed, letters lower-cased):
- title right: flat(title) == flat(expected title).
- date right to the minute, over the dated pages (every page whose expected `published` is not null):
  the answer, in Beijing time, agrees with the expected time to the minute; where only a date is
  expected (the page prints no time), the answer's date agrees. An answer with a date but no time (a
  plain "2019-09-07") is wrong where a time is expected. In brackets: how many agree to the day.
- body starts right: flat(expected first) occurs in flat(body) and starts within its first LEAD (100)
  characters: a short line left before the first sentence (a repeated headline, a caption) is
  tolerated, a summary box, a menu or a missing first paragraph is not.
- body ends right: flat(expected last) occurs in flat(body) (the last occurrence) and ends within its
  last TAIL (100) characters: a credit line after the last sentence is tolerated, a comment box, a
  recommendation list or a footer is not.
- body free of boilerplate: the body is not empty and has none of the markers of BOILERPLATE (editor and
  copyright lines, share and QR-code prompts, related/recommended lists, comment boxes, navigation).
- ms/page: the mean CPU time (time.process_time, not wall time: the machine may be shared) of one call
  on one page, the first call (imports) left out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xinwen.dates import parse_date  # noqa: E402
from xinwen.encoding import decode_bytes  # noqa: E402
from xinwen.errors import DateError  # noqa: E402
from xinwen.text import fold_width, normalize  # noqa: E402

EXPECTED = ROOT / "tests" / "data" / "pages_expected.json"
PAGES = ROOT.parent / "shared" / "pages"
SH = ZoneInfo("Asia/Shanghai")
LEAD = 100  # characters (white space removed) allowed before the expected first sentence
TAIL = 100  # characters allowed after the expected last sentence
COLUMNS = ("title", "date", "start", "end", "clean")
HEADERS = ("title right", "date right to the minute", "body starts right", "body ends right",
           "body free of boilerplate")  # fmt: skip

# what does not belong in an article's body (searched in the body with white space removed)
BOILERPLATE = re.compile(
    r"责任编辑|责编[:：]|[【\[(（]编辑[:：]|(?:^|\n)编辑[:：|丨]|版权所有|版权声明|allrightsreserved|copyright|©"
    r"|扫一扫|扫码关注|长按(?:识别)?二维码|分享到|分享至|"
    r"相关阅读|相关推荐|相关新闻|相关文章|延伸阅读|推荐阅读|热门推荐|热点推荐|猜你喜欢|为你推荐|大家都在看|热门文章"
    r"|网友评论|热门评论|最新评论|发表评论|我要评论|\d+条评论|跟帖|评论区|已有\d+人参与"
    r"|返回\S{0,4}首页|点击进入|上一篇|下一篇|打开app|下载客户端|关注该公众号|阅读原文|免责声明",
)


def flat(text: str | None) -> str:
    """The text as compared: normalized, full-width ASCII folded, no white space, lower case."""
    return re.sub(r"\s+", "", fold_width(normalize(text or ""))).lower()


@dataclass
class Answer:
    """What one system says about one page."""

    title: str | None
    published: str | datetime | None
    body: str
    seconds: float = 0.0


def title_right(answer: Answer, expected: dict) -> bool:
    """Whether the title is the expected one (white space and width aside)."""
    return bool(answer.title) and flat(answer.title) == flat(expected["title"])


def _as_time(value: str | datetime | None) -> tuple[datetime | None, bool]:
    """(the time in Beijing, whether it carries a time of day) of an answer's date."""
    if value is None or value == "":
        return None, False
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=SH)
        return when.astimezone(SH), True
    text = str(value).strip()
    try:
        when = parse_date(text)
    except DateError:
        return None, False
    has_time = (
        bool(re.search(r"\d{1,2}:\d{2}|[T ]\d{4}", text)) or re.fullmatch(r"\d{10}(\d{3})?", text) is not None
    )
    return when.astimezone(SH), has_time


def date_right(answer: Answer, expected: dict) -> bool | None:
    """Whether the publish time agrees to the minute (to the day where only a date is expected);
    None for a page without an expected date."""
    want = expected.get("published")
    if not want:
        return None
    got, has_time = _as_time(answer.published)
    if got is None:
        return False
    if len(want) <= 10:  # only a date is printed on the page
        return got.date().isoformat() == want
    return has_time and got.strftime("%Y-%m-%dT%H:%M") == want[:16]


def day_right(answer: Answer, expected: dict) -> bool | None:
    """Whether the publish date agrees to the day (shown beside the minute column, for extractors that
    give dates only)."""
    want = expected.get("published")
    if not want:
        return None
    got, _ = _as_time(answer.published)
    return got is not None and got.date().isoformat() == want[:10]


def start_right(answer: Answer, expected: dict) -> bool:
    """Whether the expected first sentence starts within the body's first LEAD characters."""
    pos = flat(answer.body).find(flat(expected["first"]))
    return 0 <= pos <= LEAD


def end_right(answer: Answer, expected: dict) -> bool:
    """Whether the expected last sentence ends within the body's last TAIL characters."""
    body, last = flat(answer.body), flat(expected["last"])
    pos = body.rfind(last)
    return pos >= 0 and len(body) - (pos + len(last)) <= TAIL


def boilerplate(body: str) -> list[str]:
    """The boilerplate markers found in a body."""
    text = "\n".join(re.sub(r"\s+", "", line) for line in normalize(body).lower().split("\n"))
    return [m.group(0).strip() for m in BOILERPLATE.finditer(text)]


def clean(answer: Answer, expected: dict) -> bool:
    """Whether the body is there and free of boilerplate."""
    return bool(flat(answer.body)) and not boilerplate(answer.body)


def score(answer: Answer, expected: dict) -> dict[str, bool | None]:
    """Every column's verdict for one page."""
    return {
        "title": title_right(answer, expected),
        "date": date_right(answer, expected),
        "start": start_right(answer, expected),
        "end": end_right(answer, expected),
        "clean": clean(answer, expected),
    }


def load(pages: Path = PAGES) -> list[tuple[dict, str]]:
    """(expected values, decoded page text) of every page in the expected file."""
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return [(e, decode_bytes((pages / e["page"]).read_bytes(), name=e["page"])) for e in expected]


# -- the systems ------------------------------------------------------------------------------------------
def run_xinwen(text: str, name: str) -> Answer:
    from xinwen.article import Article
    from xinwen.readers.html import read_html

    article = next((a for a in read_html(text, name) if isinstance(a, Article)), None)
    if article is None:
        return Answer(None, None, "")
    return Answer(article.title, article.published, article.body)


def run_trafilatura(text: str, name: str) -> Answer:
    import trafilatura

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    if not doc:
        return Answer(None, None, "")
    return Answer(doc.title, doc.date, doc.text or "")


def run_readability(text: str, name: str) -> Answer:
    import lxml.html
    from readability import Document

    doc = Document(text)
    summary = doc.summary(html_partial=True)
    tree = lxml.html.fromstring(summary)
    for el in tree.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "tr", "section"):
        el.tail = "\n" + (el.tail or "")
    return Answer(doc.short_title(), None, tree.text_content())


def run_gne(text: str, name: str) -> Answer:
    from gne import GeneralNewsExtractor

    found = GeneralNewsExtractor().extract(text)
    return Answer(found.get("title"), found.get("publish_time") or None, found.get("content") or "")


SYSTEMS: dict[str, Callable[[str, str], Answer]] = {
    "xinwen": run_xinwen,
    "trafilatura": run_trafilatura,
    "readability-lxml": run_readability,
    "GeneralNewsExtractor (gne)": run_gne,
}


MODULES = {
    "trafilatura": "trafilatura",
    "readability-lxml": "readability",
    "GeneralNewsExtractor (gne)": "gne",
}


def available(name: str) -> bool:
    """Whether an anchor's package is installed (a missing one leaves its row out)."""
    if name not in MODULES:
        return True
    try:
        __import__(MODULES[name])
    except ImportError:
        return False
    return True


def run(system: Callable[[str, str], Answer], page: str, text: str) -> Answer:
    """One system on one page, timed in CPU time (the machine may be shared); an exception is an empty
    answer (and counts as wrong)."""
    start = time.process_time()
    try:
        answer = system(text, page)
    except Exception as e:  # an anchor's own failure on one page: that page is wrong for it
        print(f"  ({page}: {type(e).__name__}: {e})", file=sys.stderr)
        answer = Answer(None, None, "")
    answer.seconds = time.process_time() - start
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--fails", action="store_true", help="list xinwen's wrong pages per column")
    parser.add_argument("--system", action="append", help="only these systems (names as in the table)")
    args = parser.parse_args()
    if not args.pages.is_dir():
        sys.exit(f"no pages at {args.pages}: the bench needs ../shared/pages")
    pages = load(args.pages)
    dated = sum(bool(e.get("published")) for e, _ in pages)
    print(f"{len(pages)} pages, {dated} dated; ms/page: CPU time of the whole extraction, mean\n")
    print(f"| system | {HEADERS[0]} | {HEADERS[1]} ({dated} dated) | {' | '.join(HEADERS[2:])} | ms/page |")
    print("|---|---|---|---|---|---|---|")
    wrong: dict[str, list[str]] = {c: [] for c in COLUMNS}
    for name, system in SYSTEMS.items():
        if args.system and name not in args.system:
            continue
        if not available(name):
            print(f"| {name} | not installed | | | | | |")
            continue
        run(system, pages[0][0]["page"], pages[0][1])  # imports and caches, outside the timing
        totals = dict.fromkeys((*COLUMNS, "day"), 0)
        seconds = 0.0
        for expected, text in pages:
            answer = run(system, expected["page"], text)
            seconds += answer.seconds
            verdicts = score(answer, expected) | {"day": day_right(answer, expected)}
            for column, ok in verdicts.items():
                totals[column] += bool(ok)
                if name == "xinwen" and ok is False and column in wrong:
                    wrong[column].append(expected["page"])
        dates = "-" if name == "readability-lxml" else f"{totals['date']} ({totals['day']} to the day)"
        cells = [str(totals["title"]), dates, str(totals["start"]), str(totals["end"]), str(totals["clean"])]
        print(f"| {name} | " + " | ".join(cells) + f" | {1000 * seconds / len(pages):.0f} |")
    if args.fails:
        print()
        for column, header in zip(COLUMNS, HEADERS, strict=True):
            print(f"xinwen, {header}, wrong: {', '.join(wrong[column]) or 'none'}")


if __name__ == "__main__":
    main()
