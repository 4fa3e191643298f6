"""Snippets: the lead of the story, cut at a sentence end, without datelines or boilerplate."""

from __future__ import annotations

import re

from xinwen.text import split_sentences

MAX_CHARS = 120

# Datelines and bylines at the start of a story, removed before the lead is used:
#   央视网消息（新闻联播）：   新华网消息：
#   新华社北京7月6日电（记者 张三 李四）   人民网北京3月2日电 （记者张三）   中新网上海7月3日电
#   本报讯（记者 王五）   本报讯   （记者 张三 报道）   记者王五报道：
_BRACKETED = r"\s*(?:[（(][^（()）]{0,40}[)）])?\s*"
_DATELINE = re.compile(
    r"^\s*(?:\S{0,8}?消息)\s*(?:[（(]新闻联播[)）])?\s*[:：]\s*"
    r"|^\s*\S{0,8}?消息\s*[（(]新闻联播[)）]\s*[:：]?\s*"
    r"|^\s*[^\s，。,]{0,16}?\d{1,2}月\d{1,2}日(?:电|讯)" + _BRACKETED
    + r"|^\s*(?:本报|本台|本刊|本网)[^\s，。,]{0,8}?讯\s*[:：]?" + _BRACKETED
    + r"|^\s*[（(](?:本报)?(?:记者|通讯员|实习生|特约记者)[^（()）]{1,30}[)）]\s*"
    + r"|^\s*(?:本报)?记者[^\s，。,:：]{1,12}(?:\s+[^\s，。,:：]{1,6}){0,2}\s*报道\s*[:：]?\s*"
)
_BOILERPLATE = re.compile(r"^(?:原标题|责任编辑|编辑|来源|图片来源|点击|扫码|关注|记者|通讯员|摄影|图)[:：]")
_TRAILER = re.compile(r"[（(](?:完|责任编辑[^）)]*|编辑[^）)]*|记者[^）)]*)[)）]\s*$")


def clean_lead(sentence: str) -> str:
    """A sentence without the datelines and bylines it starts with."""
    prev = None
    while prev != sentence:
        prev = sentence
        sentence = _DATELINE.sub("", sentence, count=1)
    return sentence.strip()


def make_snippet(title: str, body: str, max_chars: int = MAX_CHARS) -> str:
    """Leading sentences of the body (datelines removed), at most `max_chars`, ending at a sentence end."""
    out = ""
    for sentence in split_sentences(clean_lead(body)):
        s = clean_lead(sentence) if not out else _TRAILER.sub("", sentence).strip()
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
