"""Near-duplicate fingerprints: MinHash over character shingles of a body's copy form, and the LSH band keys.

A copy of a story may be printed in Traditional script, with full-width digits and punctuation,
with a source line on top and an editor line or share prompts at the end. None of that makes it
another story, so the fingerprint is taken of the body's *copy form* (`copy_form`): Traditional
characters as Simplified (OpenCC's character table), full-width forms as ASCII, header and footer
lines dropped (来源, 编辑, 原标题, 分享, 扫一扫 …, `strip_boilerplate`), white space dropped and every
other non-word character (punctuation) as one placeholder, `|`. Words from a segmenter would not
do: jieba cuts a Traditional text differently from its Simplified twin, so the shingles are runs
of SHINGLE characters of the copy form.

The signature is NUM_PERM minima of a multiply-shift hash family over those shingles. Everything
is derived from fixed constants (no process-seeded `hash()`, no RNG stream), so a signature stored
by one process is comparable with one computed by any other.

Cost: the shingles are packed into integers and mixed with numpy (no Python per character), and
the NUM_PERM minima come from one (NUM_PERM x shingles) numpy operation over chunks of
MINHASH_CHUNK shingles, so memory stays bounded whatever the body (bench/bench_dups.py).

Banding: BANDS bands of ROWS values each. Two texts become candidates when any band is
equal, with probability 1 - (1 - J**ROWS)**BANDS for Jaccard similarity J: 0.998 at
J = 0.3 (a copy with 10% of its characters changed is about 0.55; a 40% excerpt of a story with
5% changed, about 0.3), 0.47 at J = 0.1. Candidates are then filtered on the signatures and
checked on the text (xinwen.linking.copies, xinwen.linking.copycheck).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import resources

import numpy as np

FINGERPRINT_VERSION = 3  # 1: datasketch over word trigrams (skeleton); 2: word bigrams; 3: copy-form trigrams
NUM_PERM = 128
ROWS = 2
BANDS = NUM_PERM // ROWS
SHINGLE = 3  # characters of the copy form
EMPTY = np.uint64(0xFFFFFFFF)  # every value of an empty text's signature
PLACEHOLDER = "|"  # what punctuation becomes in the copy form

_BITS = np.uint64(21)  # a code point fits in 21 bits: SHINGLE of them are packed into one uint64


# -- the copy form -----------------------------------------------------------------------------

_OPENCC_FILES = ("STCharacters.txt", "TSCharacters.txt", "TWVariants.txt", "TWVariantsRev.txt",
                 "HKVariants.txt", "HKVariantsRev.txt")


@lru_cache(maxsize=1)
def _simplified_table() -> dict[int, str]:
    """Each character of a Simplified/Traditional/variant class (OpenCC's character tables: 了 瞭, 复 復 複
    覆, 台 臺 檯 颱, 裡 裏 里) as one of them: one that no table converts further, a Simplified one if
    there is one, of the basic CJK block, the lowest code point of several. One character for one, not OpenCC's phrase conversion: a copy converted
    with phrases (瞭解 for 了解, 覆蓋 for 复盖) comes back the same, and a Simplified text loses only
    distinctions no copy check needs (画 and 划 are one character here). Needs the
    `opencc-python-reimplemented` package (its dictionary files); with another `opencc` module, the
    classes are read off its converters instead."""
    try:
        import opencc
    except ImportError as exc:  # a hard dependency: fingerprints must not depend on what is installed
        raise ImportError("xinwen needs OpenCC for copy detection: pip install opencc-python-reimplemented"
                          ) from exc
    entries: list[tuple[str, list[str]]] = []
    simplified: set[str] = set()
    traditional: set[str] = set()
    try:
        folder = resources.files("opencc") / "dictionary"
        for name in _OPENCC_FILES:
            pairs = _dictionary_entries((folder / name).read_text(encoding="utf-8"))
            entries += pairs
            if name == "STCharacters.txt":
                simplified = {k for k, _ in pairs}
            elif name in ("TSCharacters.txt", "TWVariantsRev.txt", "HKVariantsRev.txt"):
                traditional |= {k for k, _ in pairs}  # what converts to another character
    except (OSError, AttributeError, TypeError):  # an opencc without its text dictionaries
        chars = [chr(c) for c in range(0x3400, 0xA000)]
        for config in ("t2s", "s2t"):
            converted = opencc.OpenCC(config).convert("\n".join(chars)).split("\n")
            for c, t in zip(chars, converted, strict=False):
                if len(t) == 1 and t != c:
                    entries.append((c, [t]))
                    (traditional if config == "t2s" else simplified).add(c)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])  # halve the path
            x = parent[x]
        return x

    for key, values in entries:
        for v in values:
            a, b = root(key), root(v)
            if a != b:
                parent[max(a, b)] = min(a, b)
    classes: dict[str, list[str]] = {}
    for x in {c for key, values in entries for c in (key, *values)}:
        classes.setdefault(root(x), []).append(x)
    table: dict[int, str] = {}
    for members in classes.values():
        best = min(members, key=lambda c: (c in traditional, c not in simplified, not "\u4e00" <= c <= "\u9fff", c))
        table.update({ord(c): best for c in members if c != best})
    return table


def _dictionary_entries(text: str) -> list[tuple[str, list[str]]]:
    """(character, its one-character readings) of an OpenCC dictionary file's one-character entries."""
    out = []
    for line in text.splitlines():
        key, _, values = line.partition("\t")
        if len(key) == 1 and values:
            out.append((key, [v for v in values.split(" ") if len(v) == 1]))
    return out


_BMP = 0x10000
_PLACE = ord(PLACEHOLDER)
WORD, SPACE, BREAK, MARK = 0, 1, 2, 3  # the kinds of character form_arrays tells apart


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables over the Basic Multilingual Plane (numpy, so that a text is converted without a Python
    step per character): each character's Simplified, half-width form (full-width ASCII forms and the
    ideographic space as ASCII), and the kind of each character (a letter or digit, white space, a
    line break, anything else)."""
    fold = np.arange(_BMP, dtype=np.uint32)
    for k, v in _simplified_table().items():
        if k < _BMP and ord(v) < _BMP:
            fold[k] = ord(v)
    fold[0xFF01:0xFF5F] = np.arange(0x21, 0x7F, dtype=np.uint32)
    fold[0x3000] = 0x20
    kind = np.array([_kind(chr(c)) for c in range(_BMP)], dtype=np.uint8)
    return fold, kind


def _kind(ch: str) -> int:
    if ch == "\n":
        return BREAK
    if ch.isspace():
        return SPACE
    return WORD if ch.isalnum() else MARK  # \w less the underscore


def _fold(text: str) -> np.ndarray:
    """The text's code points, each Simplified and half-width (uint32)."""
    c = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    fold, _ = _tables()
    if len(c) and int(c.max()) >= _BMP:  # beyond the BMP (rare CJK extensions, emoji): kept as they are
        out = fold[np.where(c >= _BMP, 0, c)]
        out[c >= _BMP] = c[c >= _BMP]
        return out
    return fold[c]


def to_simplified(text: str) -> str:
    """`text` with Traditional characters as Simplified and full-width forms as ASCII."""
    return _fold(text).tobytes().decode("utf-32-le")


# A header or footer line: a label and a colon (来源：新华网, 责任编辑：王晓明, 原标题：…), or a share
# prompt (分享到, 扫一扫, 【纠错】, 打印本页), short, in brackets or not. Applied after to_simplified.
_LABELS = ("(?:本文|文章|稿件|信息|新闻|图片|视频)?(?:来源|来自|出处|转自|转载自?|原标题|原题|原文标题|原文链接|"
           "原文|责任编辑|编辑|责编|编审|审核|审校|校对|终审|监制|制片|制作|出品|主编|统筹|策划|撰文|作者|"
           "记者|通讯员|摄影|摄像|图|文|翻译|编译|本期编辑|值班编辑|实习编辑)")
_BOILERPLATE_LINE = re.compile(
    rf"^[ \t]*[(\[【〔<《]?[ \t]*{_LABELS}[ \t]*[:|｜丨][^\n]{{0,60}}$"
    r"|^[^\n]{0,30}(?:分享到|分享至|分享给|扫一扫|扫描二维码|扫码|长按识别|长按二维码|点击右上角|点击下方|"
    r"关注我们|关注公众号|纠错|打印本页|关闭窗口|返回顶部|返回首页|版权所有|未经授权|免责声明|举报)[^\n]{0,40}$",
    re.MULTILINE)
# a label in brackets inside a line: （来源：人民日报） （编辑：陈静 审核：刘洋）
_BOILERPLATE_BRACKETS = re.compile(rf"[(\[【〔][ \t]*{_LABELS}[ \t]*[:|｜丨][^()\[\]【】〔〕\n]{{0,40}}[)\]】〕]")
_LABEL_HINT = re.compile(r"[:|｜丨]|分享|扫|关注|纠错|打印|窗口|返回|版权|授权|声明|举报")


def strip_boilerplate(text: str) -> str:
    """`text` (after to_simplified) without header and footer lines: source, editor, 原标题 and author
    lines, share prompts, and bracketed 来源/编辑 notes inside a line. What a reprint adds around a story
    is not the story; dropping it keeps a copy's shingles and its length those of the story."""
    if not _LABEL_HINT.search(text):
        return text
    text = _BOILERPLATE_BRACKETS.sub("", text)
    return _BOILERPLATE_LINE.sub("", text)


def form_arrays(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The characters of `text`'s copy form before its white space is dropped: their code points (int64,
    each punctuation mark as PLACEHOLDER) and kinds (uint8: WORD, SPACE, BREAK or MARK). Copycheck needs
    to know where a copy had a space or a line break."""
    if not text:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint8)
    folded = _fold(text)
    plain = folded.tobytes().decode("utf-32-le")
    stripped = strip_boilerplate(plain)
    if len(stripped) != len(plain):
        folded = np.frombuffer(stripped.encode("utf-32-le"), dtype="<u4")
    _, table = _tables()
    big = folded >= _BMP
    if big.any():
        kind = table[np.where(big, 0, folded)]
        kind[big] = [_kind(chr(c)) for c in folded[big].tolist()]
    else:
        kind = table[folded]
    codes = np.where(kind == MARK, _PLACE, folded).astype(np.int64)
    return codes, kind


def form_codes(text: str) -> np.ndarray:
    """The copy form of `text` as code points (int64)."""
    codes, kind = form_arrays(text)
    return codes[(kind != SPACE) & (kind != BREAK)]


def copy_form(text: str) -> str:
    """The form in which texts are compared for copies: Simplified, half-width, without header and footer
    lines and white space, each punctuation mark as PLACEHOLDER (so that a character changed into or out
    of punctuation keeps its place, and 、 against ， is no difference)."""
    return form_codes(text).astype("<u4").tobytes().decode("utf-32-le")


def word_chars(form: str) -> int:
    """Letters and digits in a copy form (what counts towards a body's length)."""
    return len(form) - form.count(PLACEHOLDER)


# -- MinHash -----------------------------------------------------------------------------------

def _constants(label: str, n: int) -> np.ndarray:
    out = []
    for i in range(n):
        digest = hashlib.blake2b(f"xinwen-minhash-{label}-{i}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "little"))
    return np.array(out, dtype=np.uint64)


_A = (_constants("a", NUM_PERM) | np.uint64(1)).astype(np.uint32)  # odd multipliers (the low 32 bits)
_B = _constants("b", NUM_PERM).astype(np.uint32)
_BAND_SALT = _constants("band", BANDS)

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: (x * _MIX mod 2**64) >> 32 hashes 64-bit keys to 32 bits


def shingle_hashes(codes: np.ndarray, size: int = SHINGLE) -> np.ndarray:
    """32-bit hashes (uint32) of the runs of `size` characters of a copy form, given as its code points (one
    run of them all when it is shorter): the code points packed into one integer, multiply-shift hashed."""
    c = codes.astype(np.uint64)
    if not len(c):
        return np.empty(0, dtype=np.uint32)
    if len(c) < size:
        packed = np.zeros(1, dtype=np.uint64)
        for v in c:
            packed = (packed << _BITS) | v
    else:
        n = len(c) - size + 1
        packed = c[:n] << (_BITS * np.uint64(size - 1))
        for k in range(1, size):
            packed |= c[k : k + n] << (_BITS * np.uint64(size - 1 - k))
    with np.errstate(over="ignore"):
        packed *= _MIX
    return (packed >> np.uint64(32)).astype(np.uint32)  # repeats are harmless: a minimum is over the set


MINHASH_CHUNK = 8192  # shingles hashed at once: memory stays at NUM_PERM x this, whatever the body


def minhash(hashes: np.ndarray) -> np.ndarray:
    """NUM_PERM minima of (a*x + b mod 2**32) over the shingle hashes (uint32; a odd, so each is a
    permutation of the 32-bit values), taken over chunks of MINHASH_CHUNK shingles; as uint64."""
    if hashes.size == 0:
        return np.full(NUM_PERM, EMPTY, dtype=np.uint64)
    out = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    x = hashes.astype(np.uint32)
    with np.errstate(over="ignore"):
        for i in range(0, x.size, MINHASH_CHUNK):
            mixed = _A[:, None] * x[None, i : i + MINHASH_CHUNK]
            mixed += _B[:, None]
            np.minimum(out, mixed.min(axis=1), out=out)
    return out.astype(np.uint64)


def fingerprint_text(text: str) -> np.ndarray:
    """MinHash signature (NUM_PERM uint64 values below 2**32) of the character shingles of the text's copy
    form; EMPTY values for a text without letters or digits."""
    codes = form_codes(text)
    if not (codes != _PLACE).any():
        return np.full(NUM_PERM, EMPTY, dtype=np.uint64)
    return minhash(shingle_hashes(codes))


def fingerprint(words: list[str]) -> np.ndarray:
    """fingerprint_text of the text the words were cut from (a segmenter's words put together give it back)."""
    return fingerprint_text("".join(words))


def is_empty(signature: np.ndarray) -> bool:
    return bool(np.all(signature == EMPTY))


def band_keys(signature: np.ndarray) -> np.ndarray:
    """BANDS 64-bit keys, one per band (its ROWS values, salted with the band number)."""
    sig = signature.astype(np.uint64).reshape(BANDS, ROWS)
    key = sig[:, 0]
    for r in range(1, ROWS):
        key = (key << np.uint64(32)) | sig[:, r]
    return key ^ _BAND_SALT


def band_keys_many(signatures: np.ndarray) -> np.ndarray:
    """band_keys for each row of an (n, NUM_PERM) array: (n, BANDS)."""
    sig = signatures.astype(np.uint64).reshape(len(signatures), BANDS, ROWS)
    key = sig[:, :, 0]
    for r in range(1, ROWS):
        key = (key << np.uint64(32)) | sig[:, :, r]
    return key ^ _BAND_SALT[None, :]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)
