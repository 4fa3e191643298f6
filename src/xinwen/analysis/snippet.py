"""Snippets: the lead of the story, cut at a sentence end, without datelines or boilerplate."""

from __future__ import annotations

import re

from xinwen.text import split_sentences

MAX_CHARS = 120

# 央视网消息（新闻联播）：  新华社北京7月6日电（记者 XX）  本报讯 记者XX  (记者 XX 报道)
_DATELINE = re.compile(
    r"^\s*(?:央视网消息\s*|\S{0,12}?消息\s*)?[（(]?新闻联播[)）]?[:：]\s*"
    r"|^\s*\S{0,10}?社\S{0,8}?\d{1,2}月\d{1,2}日电\s*(?:[（(][^）)]{0,30}[)）])?\s*"
    r"|^\s*(?:本报|本台|本刊)\S{0,8}?讯\s*(?:[（(]?记者[^，,。：:]{0,20}[)）]?\s*)?"
    r"|^\s*(?:[（(]?记者[^，,。：:）)]{1,20}(?:报道)?[)）]?\s*)"
    r"|^\s*\S{0,8}?网消息\s*[:：]?\s*"
)
_BOILERPLATE = re.compile(r"^(?:原标题|责任编辑|编辑|来源|图片来源|点击|扫码|关注)[:：]")


def clean_lead(sentence: str) -> str:
    prev = None
    while prev != sentence:
        prev = sentence
        sentence = _DATELINE.sub("", sentence, count=1)
    return sentence.strip()


def make_snippet(title: str, body: str, max_chars: int = MAX_CHARS) -> str:
    """Leading sentences of the body (datelines removed), at most `max_chars`, ending at a sentence end."""
    out = ""
    for sentence in split_sentences(body):
        s = clean_lead(sentence) if not out else sentence.strip()
        if not s or _BOILERPLATE.match(s) or s == title.strip():
            continue
        if len(out) + len(s) > max_chars:
            if not out:
                out = _cut_clause(s, max_chars)
            break
        out += s
    return out or _cut_clause(title.strip(), max_chars)


def _cut_clause(sentence: str, max_chars: int) -> str:
    """A sentence too long for a snippet: cut at the last clause mark that fits, and mark the cut."""
    if len(sentence) <= max_chars:
        return sentence
    head = sentence[: max_chars - 1]
    cut = max(head.rfind(c) for c in "，,；;、：:")
    if cut >= max_chars // 2:
        head = head[:cut]
    return head + "…"
