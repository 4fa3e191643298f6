"""The copy check on real text: copies under noise (changed characters anywhere, excerpts, moved
paragraphs, Traditional script, full-width forms, headers and footers) are copies; templates (the same
words with other names and figures in the same places) are not; the copy form and the fingerprint do
not see script, width or a reprint's header lines."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

import xinwen
from xinwen.analysis.fingerprint import (
    copy_form,
    fingerprint_text,
    similarity,
    strip_boilerplate,
    to_simplified,
)
from xinwen.evaluation.dups import (
    KINDS,
    fullwidth,
    headers,
    insert_delete,
    plant,
    replace_anywhere,
    template_slots,
    traditional,
)
from xinwen.linking.copycheck import Text, compare, eligible, is_copy

SAMPLE = Path(xinwen.__file__).parent / "data" / "news-page.txt"
# the sample page's main story: its paragraphs, which hold figures (7月6日, 2025年, 八届 … 六次全会)
STORY = "\n".join(p for p in SAMPLE.read_text(encoding="utf-8").split("\n\n")[2:9] if len(p) > 20)


def stories(shared: Path, n: int | None = None, title: str | None = None) -> list[dict]:
    out = []
    with gzip.open(shared / "data" / "xinwenlianbo.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if title is None or re.search(title, r["title"]):
                out.append(r)
            if n and len(out) >= n:
                break
    return out


# -- without ../shared: the sample page ---------------------------------------------------------------

def test_copy_form_ignores_script_width_and_a_reprints_lines():
    reprint = ("來源：新華網\n原標題：上海寶山打造全市綠色低碳轉型樣板\n" + fullwidth(traditional(STORY))
               + "\n（責任編輯：王曉明）\n分享到：微信 微博 QQ空間\n【纠错】")
    assert copy_form(reprint) == copy_form(STORY)
    assert to_simplified("寶山區２０２５年") == "宝山区2025年"
    assert strip_boilerplate("来源:人民网\n正文第一段。\n(编辑:陈静 审核:刘洋)") == "\n正文第一段。\n"
    assert similarity(fingerprint_text(reprint), fingerprint_text(STORY)) == 1.0


def test_a_stray_character_in_a_figure_is_noise_another_figure_is_a_template():
    assert "7月6日" in STORY and "2025年" in STORY
    broken = STORY.replace("2025年", "20的5年").replace("7月6日", "7月6在")
    check = compare(STORY, broken)
    assert check.is_copy and not check.number_conflict, check
    other = STORY.replace("7月6日", "7月9日")
    check = compare(STORY, other)
    assert not check.is_copy and check.number_conflict and "figure 6/9" in check.signs, check
    # a Chinese number in the same place (八届 … 六次全会 / 七次全会) and a date: another session
    session = STORY.replace("六次全会", "七次全会").replace("7月6日", "12月6日")
    assert not is_copy(STORY, session)


def test_characters_inserted_or_deleted_inside_a_figure_and_a_name_are_noise():
    """A copy typed or read again: 5% of its characters inserted or deleted at random, and one inside
    each of two figures and a name (2025 -> 20125, 7月6日 -> 7月日, 陈杰 -> 陈文杰), is a copy. The same
    figures changed in a copy without that noise, or into figures of one length, are a template."""
    chars = [ch for ch in STORY if "\u4e00" <= ch <= "\u9fff"]
    edited = STORY.replace("2025年", "20125年").replace("7月6日", "7月日").replace("陈杰", "陈文杰")
    assert edited.count("20125年") == edited.count("陈文杰") == 1
    missed = []
    for seed in range(20):
        copy = insert_delete(edited, 0.05, random.Random(seed), chars)
        if not is_copy(STORY, copy):
            missed.append(compare(STORY, copy).signs)
    assert len(missed) <= 1, missed
    # no noise to explain it: a digit more in a figure is another figure (3日 / 23日)
    check = compare(STORY, STORY.replace("7月6日", "7月16日"))
    assert not check.is_copy and "figure 6/16" in check.signs, check
    # the pair's own noise, but another figure of the same length in the same place: a template
    other = insert_delete(STORY.replace("2025年", "2024年"), 0.02, random.Random(1), chars)
    check = compare(STORY, other)
    assert not check.is_copy and check.number_conflict, check


def test_a_name_replaced_wherever_it_stands_is_a_template():
    other = STORY.replace("陈杰", "张伟明").replace("宝山", "嘉定")
    check = compare(STORY, other)
    assert not check.is_copy and check.name_conflict, check


def test_several_words_changed_once_each_are_a_template():
    """A personnel notice of another province: other names in the same places, each printed once. One
    changed word could be noise; three, where the pair has no other changed character, are not."""
    other = STORY.replace("宝山区", "嘉定区", 1).replace("陈杰", "王强", 1).replace("吴淞", "江湾", 1)
    check = compare(STORY, other)
    assert not check.is_copy and any(s.startswith("changed") for s in check.signs), check
    assert is_copy(STORY, STORY.replace("陈杰", "王强", 1))


def test_copies_of_every_kind_of_the_sample_story():
    rng = random.Random(3)
    chars = [ch for ch in STORY if "\u4e00" <= ch <= "\u9fff"]
    story = {"id": "s", "title": "上海宝山打造全市绿色低碳转型样板", "date": "2024-04-14", "body": STORY}
    for kind in KINDS:
        for i in range(3):
            copy = plant(story, kind, rng, chars, i).copy["body"]
            assert is_copy(STORY, copy), (kind, compare(STORY, copy))


def test_short_and_empty_texts():
    assert not eligible("来源：新华网\n短消息。") and eligible(STORY)
    assert not is_copy("", STORY) and compare("", "").containment == 0.0
    assert Text("").form == "" and copy_form("   \n ") == ""


# -- real stories: ../shared ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    shared = Path(__file__).resolve().parents[1].parent / "shared"
    if not (shared / "data" / "xinwenlianbo.jsonl.gz").is_file():
        pytest.skip(f"../shared not present: the real-data tests need {shared}")
    return stories(shared, 4000)


def test_planted_copies_of_each_kind_are_copies(corpus):
    """30 stories, each copied in every kind of noise: at most one miss per kind."""
    rng = random.Random(11)
    chars = [ch for s in corpus[:1000] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    pool = [s for s in corpus if eligible(s["body"])]
    for kind in KINDS:
        picked = rng.sample(pool, 30)
        missed = [(s["id"], compare(s["body"], c).signs) for i, s in enumerate(picked)
                  if not is_copy(s["body"], c := plant(s, kind, rng, chars, i).copy["body"])]
        assert len(missed) <= 1, (kind, missed)


def test_figures_changed_by_noise_inside_them(corpus):
    """5% of the characters replaced anywhere, and one character inside each of three figures (2023 ->
    20的3, 0.5 -> 0的5): still copies (the old guard called these templates: "a figure the other lacks"
    on both sides)."""
    rng = random.Random(5)
    chars = [ch for s in corpus[:1000] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    with_figures = [s for s in corpus if len(re.findall(r"\d{2,}|\d\.\d", s["body"])) >= 3 and eligible(s["body"])]
    assert len(with_figures) > 100
    for s in rng.sample(with_figures, 40):
        body = s["body"]
        out = list(replace_anywhere(body, 0.05, rng, chars))
        for m in rng.sample(list(re.finditer(r"\d{2,}|\d\.\d", body)), 3):
            out[rng.randrange(m.start() + 1, m.end()) if m.end() - m.start() > 1 else m.start()] = rng.choice(chars)
        copy = "".join(out)
        assert is_copy(body, copy), (s["id"], compare(body, copy))


def test_template_series_stay_apart(corpus):
    """State-visit ceremonies, obituaries, sessions and daily reports: the same words with other names
    and figures in the same places. Every pair of different titles is apart, also with noise on one side."""
    series = [s for s in corpus if re.search(r"举行仪式欢迎.*访华|同志逝世$|遗体在京火化|主要负责同志职务调整"
                                             r"|本台明天将直播|通报最新疫情", s["title"])]
    assert len(series) > 40
    rng = random.Random(2)
    chars = [ch for s in corpus[:500] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    texts = {s["id"]: Text(s["body"]) for s in series}
    merged, overlapping = [], []
    everyone = [(a, b) for i, a in enumerate(series) for b in series[i + 1 :] if a["date"] != b["date"]]
    for a, b in rng.sample(everyone, min(len(everyone), 1500)):
        check = compare(texts[a["id"]], texts[b["id"]])
        if check.containment >= 0.5:  # most of the text in common
            overlapping.append((a, b))
            if check.is_copy and template_slots(a["body"], b["body"]):
                merged.append((a["title"], b["title"], check.signs))
    assert len(overlapping) > 200 and not merged, merged
    noisy = []
    for a, b in rng.sample(overlapping, 60):
        copy = plant(b, "replace5", rng, chars, 0).copy["body"]
        if is_copy(a["body"], copy) and template_slots(a["body"], b["body"]):
            noisy.append((a["title"], b["title"]))
    assert len(noisy) <= 1, noisy


def test_copies_with_characters_inserted_and_deleted_in_figures_and_names(corpus):
    """Real stories with figures, copied with 5% of their characters inserted or deleted at random, and a
    digit inserted into or deleted from two figures and a character inside 习近平: copies (at most one of
    40 missed)."""
    rng = random.Random(8)
    chars = [ch for s in corpus[:1000] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    pool = [s for s in corpus if len(re.findall(r"\d{2,}", s["body"])) >= 2 and "习近平" in s["body"]
            and eligible(s["body"])]
    assert len(pool) > 40
    missed = []
    for s in rng.sample(pool, 40):
        body = s["body"]
        for m in sorted(rng.sample(list(re.finditer(r"\d{2,}", body)), 2), key=lambda m: -m.start()):
            at = rng.randrange(m.start(), m.end())
            body = body[:at] + (rng.choice("0123456789") + body[at:] if rng.random() < 0.5 else body[at + 1 :])
        body = body.replace("习近平", rng.choice(["习平", "习近", "习近和平", "习文近平"]), 1)
        copy = insert_delete(body, 0.05, rng, chars)
        if not is_copy(s["body"], copy):
            missed.append((s["id"], compare(s["body"], copy).signs))
    assert len(missed) <= 1, missed


def test_template_pairs_stay_apart_under_insertions_and_deletions(corpus):
    """Pairs of the corpus with other figures or names in the same places (xinwen eval dups' templates),
    one side with 5% of its characters inserted or deleted at random: still apart (at most one of 60)."""
    series = [s for s in corpus if re.search(r"举行仪式欢迎.*访华|同志逝世$|遗体在京火化|主要负责同志职务调整"
                                             r"|本台明天将直播|通报最新疫情", s["title"])]
    rng = random.Random(6)
    chars = [ch for s in corpus[:500] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    texts = {s["id"]: Text(s["body"]) for s in series}
    pairs = [(a, b) for i, a in enumerate(series) for b in series[i + 1 :] if a["date"] != b["date"]
             and compare(texts[a["id"]], texts[b["id"]]).containment >= 0.5 and template_slots(a["body"], b["body"])]
    assert len(pairs) > 100, len(pairs)
    together = []
    for a, b in rng.sample(pairs, 60):
        if is_copy(a["body"], insert_delete(b["body"], 0.05, rng, chars)):
            together.append((a["title"], b["title"]))
    assert len(together) <= 1, together


def test_signs_say_what_differs_in_the_same_place(corpus):
    by_title = {}
    for s in corpus:
        by_title.setdefault(s["title"], s)
    visits = [s for t, s in by_title.items() if re.match("李强举行仪式欢迎.*总理访华", t)]
    assert len(visits) >= 2
    check = compare(visits[0]["body"], visits[1]["body"])
    assert not check.is_copy and check.coverage >= 0.9 and check.evidence >= 2
    assert any(sign.startswith(("figure", "repeated", "changed", "length")) for sign in check.signs), check


def test_fingerprint_finds_copies_of_each_kind(corpus):
    """The MinHash of the copy form: a copy of any kind shares at least a fifth of its values with the
    original (what the LSH looks for), another story hardly any."""
    rng = random.Random(4)
    chars = [ch for s in corpus[:1000] for ch in s["body"] if "\u4e00" <= ch <= "\u9fff"]
    pool = [s for s in corpus if eligible(s["body"])]
    for kind in KINDS:
        for i, s in enumerate(rng.sample(pool, 20)):
            copy = plant(s, kind, rng, chars, i).copy["body"]
            assert similarity(fingerprint_text(s["body"]), fingerprint_text(copy)) >= 0.22, (kind, s["id"])
    a, b = pool[10]["body"], pool[2000]["body"]
    assert similarity(fingerprint_text(a), fingerprint_text(b)) < 0.1
    assert similarity(fingerprint_text(a), fingerprint_text(headers(a, "标题", rng))) == 1.0
