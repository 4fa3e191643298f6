"""Article vectors learned from the stored corpus, for related articles.

Two views of each article, both from the words segmented at ingest (title_terms and
body_terms in the database; nothing is segmented again):

- lexical: TF-IDF (sublinear term frequency, IDF fitted on the corpus, title words counted
  TITLE_WEIGHT times, stop words dropped), cut to the TOP_TERMS heaviest terms and
  L2-normalized. Cosine between two of them is "more like this": Lucene's MLT keeps the
  top terms of a document the same way. The term -> articles transpose is the inverted
  index that finds lexical candidates.
- dense: LSA, the truncated SVD of the TF-IDF matrix (scikit-learn), DIMS dimensions after
  the first (which mostly measures length and common words), L2-normalized. It relates
  articles that share a topic but few words.

A third view, tags: each article's best tag candidates weighted by the tagger's confidence
(`Analysis.tag_weights`, stored with the article), L2-normalized over an open tag vocabulary.
Two headlines seldom share a word or one of their three chosen tags, but often share
candidates the tag model implies (李娜 -> 网球).

`fit` builds it from the stored articles and `save` writes it as the collection's fitted state
("related.npz"); `xinwen fit` refits it. Articles stored after the fit are transformed with the
fitted vocabulary when the model is next used (and saved when they are many).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import IO

import numpy as np
import scipy.sparse as sp

from xinwen.errors import StoreError

MODEL_VERSION = 2
DIMS = 20
TOP_TERMS = 48
TITLE_WEIGHT = 2
MIN_DF = 2
MAX_DF = 0.5
MAX_FEATURES = 250_000
SAVE_AFTER = 1000  # articles transformed after the fit before the model file is rewritten
APPEND_REBUILD = 20_000  # appended articles kept in postings of their own before all are transposed again
FIT_CHUNK = 4_000  # articles read at a time while fitting
SVD_SAMPLE = 100_000  # articles the LSA is fitted on (spread over the corpus): enough for 20 dimensions

_CONTENT = re.compile(r"\w")


Doc = tuple[str, str]  # an article's index terms as stored: (title terms, body terms), space-joined


def _compared(term: str) -> bool:
    """Whether a term counts: it has a letter or digit and is not a stop word."""
    from xinwen.analysis.lexicon import stopwords

    return bool(_CONTENT.search(term)) and term not in stopwords()


TRANSFORM_CHUNK = 128  # documents a transform takes at once (see ArticleVectors.transform)


class _Numbering(dict):
    """Term -> id; a term looked up for the first time gets the next id."""

    def __missing__(self, term: str) -> int:
        value = self[term] = len(self)
        return value


def term_counts(docs: Sequence[Doc], index: dict[str, int], names: list[str] | None = None) -> sp.csr_matrix:
    """The documents' term counts over `index` (title terms counted TITLE_WEIGHT times; terms without a
    letter or digit and stop words left out). With `names`, a term not in the index joins it (and its
    name is appended to `names`); without, it is left out. Every document's terms are looked up in one
    pass in C (a dict's lookup through map: one call per document cost a third more than the lookups,
    a worker's refresh after each commit of an ingest does this), the counting is numpy's."""
    tokens: list[str] = []
    lengths: list[int] = []  # tokens of each document's title, then body
    for title, body in docs:
        for text in (title, body):
            words = text.split()
            tokens += words
            lengths.append(len(words))
    if names is None:  # a fixed vocabulary: an unknown term is -1
        c = np.fromiter(map(index.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
    else:
        numbering = _Numbering(index)
        c = np.fromiter(map(numbering.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        start = len(names)
        names.extend(list(numbering)[start:])  # the new terms, in the order they got their ids
        index.update(numbering)
    size = len(names) if names is not None else len(index)
    if not len(c):
        return sp.csr_matrix((len(docs), size), dtype=np.float32)
    per_field = np.asarray(lengths, dtype=np.int64)
    r = np.repeat(np.repeat(np.arange(len(docs), dtype=np.int64), 2), per_field)
    w = np.repeat(np.tile(np.array([TITLE_WEIGHT, 1], dtype=np.float32), len(docs)), per_field)
    mask = c >= 0
    if names is not None:
        mask &= np.fromiter((_compared(t) for t in names), dtype=bool, count=len(names))[np.maximum(c, 0)]
    m = sp.coo_matrix((w[mask], (r[mask], c[mask])), shape=(len(docs), size)).tocsr()  # duplicates summed
    m.sum_duplicates()
    return m


class ArticleVectors:
    """Fitted vocabulary, IDF and LSA components, and the vectors of the stored articles."""

    def __init__(
        self,
        vocabulary: list[str],
        idf: np.ndarray,
        components: np.ndarray,
        keys: np.ndarray,
        dense: np.ndarray,
        lexical: sp.csr_matrix,
        n_terms: np.ndarray,
        tag_vocabulary: list[str] | None = None,
        tags: sp.csr_matrix | None = None,
    ) -> None:
        # (arrays of the right type are taken as they are, never copied: a loaded model's arrays are views
        # of its memory-mapped file; they are replaced, never changed in place, see `update`)
        self.vocabulary = vocabulary
        self.index = {t: i for i, t in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.components = np.asarray(components, dtype=np.float32)  # (dims, V)
        self.keys = np.asarray(keys, dtype=np.int64)  # sorted
        self.dense = np.asarray(dense, dtype=np.float32)  # (n, dims), unit rows (or zero)
        self.lexical = lexical.astype(np.float32, copy=False).tocsr()  # (n, V), unit rows (or zero)
        self.n_terms = np.asarray(n_terms, dtype=np.int32)  # distinct known terms per article
        self.synced_at = ""  # the latest ingested_at of the articles the vectors were made from
        # the store's rewrite token when they were last brought in step with it (saved with them: a process
        # that loads them then reads only what was added since, not every stored key)
        self.rewritten: object = None
        # the same object while the vectors only grow by appended rows (an ingest's commits): what was
        # computed from an earlier state holds for the rows it saw (related.ranking's memo)
        self.lineage = object()
        # term -> articles: the transpose of the first `rows` rows of `lexical` (built once), and of the
        # rows appended after them (small, built again as more are appended); see lexical_hits
        self._postings: tuple[sp.csr_matrix, int, sp.csr_matrix | None] | None = None
        self.tag_index = {t: i for i, t in enumerate(tag_vocabulary or [])}
        self.tags = (tags if tags is not None else sp.csr_matrix((len(self.keys), 0))).astype(
            np.float32, copy=False).tocsr()
        self._tag_postings: sp.csr_matrix | None = None
        self._tag_names: list[str] = []

    @property
    def dims(self) -> int:
        return int(self.components.shape[0])

    def lexical_hits(self, q: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the stored articles that share a term with the 1 x V query `q`: its
        cosine with each of them, from the postings (the transpose of `lexical`). Transposing 100,000
        articles' terms takes 0.2 s: the postings of the rows an ingest appends are kept apart and built
        alone, and the whole is transposed again only once they are many (APPEND_REBUILD)."""
        n = self.lexical.shape[0]
        state = self._postings
        if state is None or state[1] > n or n - state[1] > max(APPEND_REBUILD, state[1] // 8):
            state = (self.lexical.T.tocsr(), n, None)
        main, rows, tail = state
        if n > rows and (tail is None or tail.shape[1] != n - rows):
            tail = self.lexical[rows:].T.tocsr()
        self._postings = (main, rows, tail)  # one assignment: other threads see the old or the new
        hits = (q @ main).tocsr()
        if tail is None:
            return hits.indices.astype(np.int64), hits.data
        more = (q @ tail).tocsr()
        return (np.concatenate([hits.indices.astype(np.int64), more.indices.astype(np.int64) + rows]),
                np.concatenate([hits.data, more.data]))

    @property
    def tag_postings(self) -> sp.csr_matrix:
        """tag -> articles (the transpose of `tags`), for finding candidates by their tags."""
        if self._tag_postings is None:
            self._tag_postings = self.tags.T.tocsr()
        return self._tag_postings

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def tag_vocabulary(self) -> list[str]:
        """Tag names by column of `tags` (cached until a tag is added)."""
        if len(self._tag_names) != len(self.tag_index):
            self._tag_names = list(self.tag_index)
        return self._tag_names

    def tag_rows(self, weights: Sequence[dict[str, float]], *, grow: bool = True) -> sp.csr_matrix:
        """Unit rows of tag weights over the tag vocabulary; new tags join it (grow) or are left out."""
        indptr, indices, data = [0], [], []
        for w in weights:
            cols, vals = [], []
            for tag, value in sorted(w.items()):
                i = self.tag_index.get(tag)
                if i is None and grow:
                    i = self.tag_index[tag] = len(self.tag_index)
                if i is not None and value > 0:
                    cols.append(i)
                    vals.append(value)
            v = np.asarray(vals, dtype=np.float32)
            norm = float(np.sqrt((v * v).sum())) if len(v) else 0.0
            indices.append(np.asarray(cols, dtype=np.int64))
            data.append(v / norm if norm else v)
            indptr.append(indptr[-1] + len(cols))
        return sp.csr_matrix(
            (np.concatenate(data) if data else np.empty(0, np.float32),
             np.concatenate(indices) if indices else np.empty(0, np.int64), np.array(indptr)),
            shape=(len(weights), len(self.tag_index)), dtype=np.float32,
        )

    def _widen_tags(self) -> None:
        if self.tags.shape[1] < len(self.tag_index):  # a new matrix: a copy of these vectors may share it
            self.tags = _wider(self.tags, len(self.tag_index))
            self._tag_postings = None

    # -- fitting -----------------------------------------------------------
    @classmethod
    def fit(
        cls, keys: Sequence[int], documents: Sequence[Doc], *, dims: int = DIMS,
        tag_weights: Sequence[dict[str, float]] | None = None,
    ) -> ArticleVectors:
        """Fit on (key, index terms, tag weights) of articles held in memory (see `fit_stream`)."""
        weights = tag_weights if tag_weights is not None else [{}] * len(documents)
        rows = list(zip(keys, documents, weights, strict=True))
        return cls.fit_stream(lambda: iter(rows), dims=dims)

    @classmethod
    def fit_stream(
        cls, rows: Callable[[], Iterator[tuple[int, Doc, dict[str, float]]]], *, dims: int = DIMS,
        chunk: int = FIT_CHUNK, sample: int = SVD_SAMPLE, total: int | None = None,
    ) -> ArticleVectors:
        """Fit on the (key, index terms, tag weights) rows that `rows()` yields, read twice in chunks so
        that memory holds the vectors and one chunk, never every article's text: first the vocabulary and
        document frequencies (and the LSA, fitted on up to `sample` articles spread over the corpus: `total`
        says how many rows there are), then each article's vectors."""
        names: list[str] = []
        index: dict[str, int] = {}
        df = np.zeros(0, dtype=np.int64)
        sampled: list[sp.csr_matrix] = []
        n = 0
        for block in _blocks(rows(), chunk):
            counts = term_counts([doc for _, doc, _ in block], index, names)
            df = np.concatenate([df, np.zeros(len(names) - len(df), dtype=np.int64)])
            df += np.bincount(counts.indices, minlength=len(names))
            take = _spread(n, len(block), sample, total)
            if len(take):
                sampled.append(counts[take])
            n += len(block)
        min_df = MIN_DF if n >= 20 else 1
        max_df = max(MAX_DF * n, 2) if n >= 20 else n
        kept = np.flatnonzero((df >= min_df) & (df <= max_df)).tolist()
        if len(kept) > MAX_FEATURES:
            kept = sorted(kept, key=lambda i: (-df[i], names[i]))[:MAX_FEATURES]
        kept.sort(key=lambda i: names[i])  # the vocabulary in sorted order: a fit is the same run to run
        vocabulary = [names[i] for i in kept]
        column = np.full(len(names), -1, dtype=np.int64)
        column[np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
        idf = (np.log((1 + n) / (1 + df[np.asarray(kept, dtype=np.int64)])) + 1.0).astype(np.float32)
        model = cls(vocabulary, idf, np.zeros((0, len(vocabulary)), np.float32), np.empty(0, np.int64),
                    np.zeros((0, 0), np.float32), sp.csr_matrix((0, len(vocabulary)), dtype=np.float32),
                    np.empty(0, np.int32))
        names.clear()  # the pass over the texts is done: only the vocabulary is kept
        index.clear()
        if sampled:
            # each chunk's counts are as wide as the vocabulary was when it was read: widen the earlier ones
            width = len(column)
            stacked = sp.vstack([m if m.shape[1] == width else _wider(m, width) for m in sampled]).tocsr()
            full, _ = model._weigh(_columns(stacked, column, len(kept)))
            k = min(dims + 1, min(full.shape) - 1)
            if k >= 2:
                from sklearn.decomposition import TruncatedSVD

                svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=0)
                svd.fit(full)
                model.components = svd.components_[1:].astype(np.float32)
            del full, sampled
        keys, dense, lexical, n_terms, tags = [], [], [], [], []
        for block in _blocks(rows(), chunk):  # the second read: each article's vectors, a chunk at a time
            d, lex, nt = model.transform([doc for _, doc, _ in block])
            keys.append(np.asarray([k for k, _, _ in block], dtype=np.int64))
            dense.append(d)
            lexical.append(lex)
            n_terms.append(nt)
            tags.append(model.tag_rows([w for _, _, w in block]))
        if keys:
            all_keys = np.concatenate(keys)
            order = np.argsort(all_keys, kind="stable")
            model.keys = all_keys[order]
            model.dense = np.vstack(dense)[order]
            model.lexical = sp.vstack(lexical).tocsr()[order]
            model.n_terms = np.concatenate(n_terms)[order]
            model._widen_tags()
            width = len(model.tag_index)
            model.tags = sp.vstack([t if t.shape[1] == width else _wider(t, width) for t in tags]).tocsr()[order]
        else:
            model.dense = np.zeros((0, model.dims), np.float32)
            model.tags = sp.csr_matrix((0, len(model.tag_index)), dtype=np.float32)
        return model

    def _weigh(self, counts: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
        """Sublinear TF-IDF rows (unit length) of term counts over the vocabulary, and each row's number
        of known terms."""
        m = counts.tocsr().astype(np.float32)
        m.sort_indices()
        m.data = (1.0 + np.log(m.data)) * self.idf[m.indices]
        _normalize_rows(m)
        return m, np.diff(m.indptr).astype(np.int32)

    def _tfidf(self, documents: Sequence[Doc]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Sublinear TF-IDF rows (unit length) of documents, with the fitted vocabulary."""
        return self._weigh(term_counts(documents, self.index))

    def _project(self, full: sp.csr_matrix) -> np.ndarray:
        if self.dims == 0:
            return np.zeros((full.shape[0], 0), dtype=np.float32)
        z = np.asarray(full @ self.components.T, dtype=np.float32)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return np.divide(z, norms, out=np.zeros_like(z), where=norms > 0)

    def transform(self, documents: Sequence[Doc]) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
        """(dense, lexical, n_terms) of documents, with the fitted vocabulary. Every row is its document's
        alone; many documents are taken TRANSFORM_CHUNK at a time, so that no single call into numpy
        holds the interpreter long (a server worker's refresh after a commit of 1,024 stories held it
        110 ms in one lookup, and every request of that worker waited meanwhile)."""
        if len(documents) > TRANSFORM_CHUNK:
            parts = [self.transform(documents[i: i + TRANSFORM_CHUNK])
                     for i in range(0, len(documents), TRANSFORM_CHUNK)]
            return (np.vstack([d for d, _, _ in parts]), sp.vstack([lex for _, lex, _ in parts], format="csr"),
                    np.concatenate([n for _, _, n in parts]))
        full, n_terms = self._tfidf(documents)
        return self._project(full), _prune(full), n_terms

    # -- articles stored after the fit ------------------------------------------
    def position(self, key: int) -> int | None:
        i = int(np.searchsorted(self.keys, key))
        return i if i < len(self.keys) and self.keys[i] == key else None

    def update(
        self, keep: np.ndarray, keys: Sequence[int], documents: Sequence[Doc],
        tag_weights: Sequence[dict[str, float]] | None = None,
    ) -> None:
        """Keep the rows where `keep` is true and add these articles (key, terms, tag weights). The arrays
        are replaced, never changed in place: a copy of these vectors that a reader holds stays whole."""
        dense, lexical, n_terms = self.transform(documents) if documents else (
            np.zeros((0, self.dims), np.float32), sp.csr_matrix((0, len(self.vocabulary)), dtype=np.float32),
            np.empty(0, np.int32))
        new_keys = np.asarray(keys, dtype=np.int64)
        self.tag_index = dict(self.tag_index)  # tag_rows grows it
        added = self.tag_rows(tag_weights if tag_weights is not None else [{}] * len(keys))
        self._widen_tags()
        if (keep.all() and bool(np.all(np.diff(new_keys) > 0))
                and (not len(self.keys) or not len(new_keys) or new_keys[0] > self.keys[-1])):
            # what an ingest does: new articles, with keys after every stored one, are appended
            # (the lexical postings built so far stay good for the rows before them)
            self.keys = np.concatenate([self.keys, new_keys])
            self.dense = np.vstack([self.dense, dense])
            self.lexical = _append_rows(self.lexical, lexical)
            self.n_terms = np.concatenate([self.n_terms, n_terms])
            self.tags = _append_rows(self.tags, added)
        else:
            all_keys = np.concatenate([self.keys[keep], new_keys])
            order = np.argsort(all_keys, kind="stable")
            rows = np.flatnonzero(keep)
            self.keys = all_keys[order]
            self.dense = np.vstack([self.dense[keep], dense])[order]
            self.lexical = sp.vstack([self.lexical[rows], lexical]).tocsr()[order]
            self.n_terms = np.concatenate([self.n_terms[keep], n_terms])[order]
            self.tags = sp.vstack([self.tags[rows], added]).tocsr()[order]
            self._postings = None
            self.lineage = object()
        self._tag_postings = None

    # -- persistence ---------------------------------------------------------
    def save(self, fh: IO[bytes]) -> None:
        """Write the model into a binary file (numpy's .npz, uncompressed, so that `load` maps its arrays
        rather than reading them; no pickles). The postings (term -> articles, tag -> articles) are saved
        too: transposing them is the one step of a first query that grows with the collection (0.1 s a
        100,000 articles), and a query reads only its own terms' from the mapped file."""
        n = self.lexical.shape[0]
        state = self._postings
        if state is None or state[1] != n or state[2] is not None:
            state = (self.lexical.T.tocsr(), n, None)
            self._postings = state
        post, tag_post = state[0], self.tag_postings
        np.savez(
            fh,
            meta=np.array(json.dumps({"version": MODEL_VERSION, "vocabulary": self.vocabulary,
                                      "tag_vocabulary": self.tag_vocabulary, "synced_at": self.synced_at,
                                      "rewritten": self.rewritten},
                                     ensure_ascii=False)),
            idf=self.idf, components=self.components, rowids=self.keys, dense=self.dense,
            n_terms=self.n_terms, lex_data=self.lexical.data, lex_indices=self.lexical.indices,
            lex_indptr=self.lexical.indptr, tag_data=self.tags.data, tag_indices=self.tags.indices,
            tag_indptr=self.tags.indptr, post_data=post.data, post_indices=post.indices, post_indptr=post.indptr,
            tagpost_data=tag_post.data, tagpost_indices=tag_post.indices, tagpost_indptr=tag_post.indptr,
        )

    @classmethod
    def load(cls, data: bytes | memoryview, where: str = "related-articles model") -> ArticleVectors:
        """The model `save` wrote, from its bytes or a read-only buffer over them (a memory map: the arrays
        are views of it, and only the pages a query touches are read)."""
        try:
            f = _npz_arrays(memoryview(data))
            meta = json.loads(str(f["meta"]))
            if meta.get("version") != MODEL_VERSION:
                raise StoreError("related-articles model of another version; run `xinwen fit`", file=where)
            vocabulary = list(meta["vocabulary"])
            n = len(f["rowids"])
            lexical = sp.csr_matrix((f["lex_data"], f["lex_indices"], f["lex_indptr"]), shape=(n, len(vocabulary)))
            tag_vocabulary = list(meta["tag_vocabulary"])
            tags = sp.csr_matrix((f["tag_data"], f["tag_indices"], f["tag_indptr"]), shape=(n, len(tag_vocabulary)))
            model = cls(vocabulary, f["idf"], f["components"], f["rowids"], f["dense"], lexical, f["n_terms"],
                        tag_vocabulary, tags)
            model.synced_at = str(meta.get("synced_at", ""))
            model.rewritten = meta.get("rewritten")
            if "post_indptr" in f:  # (a model saved before the postings were: they are made on first use)
                post = sp.csr_matrix((f["post_data"], f["post_indices"], f["post_indptr"]), shape=(len(vocabulary), n))
                model._postings = (post.astype(np.float32, copy=False), n, None)
            if "tagpost_indptr" in f:
                model._tag_postings = sp.csr_matrix((f["tagpost_data"], f["tagpost_indices"], f["tagpost_indptr"]),
                                                    shape=(len(tag_vocabulary), n)).astype(np.float32, copy=False)
            return model
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise StoreError(f"cannot read the related-articles model: {exc}; run `xinwen fit`",
                             file=where) from exc


class _BufferFile(io.RawIOBase):
    """A read-only file over a buffer, without copying it (zipfile reads an archive's directory through it)."""

    def __init__(self, buffer: memoryview) -> None:
        super().__init__()
        self.buffer = buffer
        self.at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.at, io.SEEK_END: len(self.buffer)}[whence]
        self.at = max(0, base + offset)
        return self.at

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        chunk = self.buffer[self.at : self.at + len(b)]
        b[: len(chunk)] = chunk
        self.at += len(chunk)
        return len(chunk)


def _npz_arrays(buffer: memoryview) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive in `buffer`: each one stored uncompressed is a view of the buffer
    (read-only where the buffer is), any other is read; object arrays (pickles) are refused."""
    out: dict[str, np.ndarray] = {}
    raw = _BufferFile(buffer)
    with zipfile.ZipFile(raw) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if info.compress_type != zipfile.ZIP_STORED:
                with archive.open(info) as member:
                    out[name] = np.lib.format.read_array(member, allow_pickle=False)
                continue
            at = info.header_offset  # the member's local header, then its name and extra field, then the .npy
            if bytes(buffer[at : at + 4]) != b"PK\x03\x04":
                raise ValueError(f"{info.filename}: no local header where the directory says")
            start = at + 30 + int.from_bytes(buffer[at + 26 : at + 28], "little") + int.from_bytes(
                buffer[at + 28 : at + 30], "little")
            raw.seek(start)
            version = np.lib.format.read_magic(raw)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(raw)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(raw)
            else:
                raise ValueError(f"{info.filename}: .npy format {version} is not read")
            if dtype.hasobject:
                raise ValueError(f"{info.filename}: object arrays are not read")
            count = int(np.prod(shape, dtype=np.int64))
            offset = raw.tell()
            if offset + count * dtype.itemsize > start + info.file_size:
                raise ValueError(f"{info.filename}: the array runs past its member")
            array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset) if count else np.empty(0, dtype)
            out[name] = array.reshape(shape, order="F" if fortran else "C")
    return out


def _blocks(rows: Iterator, size: int) -> Iterator[list]:
    """The rows in lists of `size`."""
    block: list = []
    for row in rows:
        block.append(row)
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


def _spread(start: int, length: int, sample: int, total: int | None) -> np.ndarray:
    """Which rows of a chunk (positions start..start+length of the corpus) the LSA sample takes: `sample`
    rows evenly spread over the `total` (all rows when there are fewer; without a total, the first)."""
    if total is None or total <= sample:
        return np.arange(max(0, min(length, sample - start)), dtype=np.int64)
    pos = np.arange(start, start + length, dtype=np.int64)
    picked = (pos * sample) // total != ((pos - 1) * sample) // total
    return np.flatnonzero(picked)


def _wider(m: sp.csr_matrix, width: int) -> sp.csr_matrix:
    """m with more (empty) columns: a new matrix over the same arrays (a CSR row's columns stay valid)."""
    m = m.tocsr()
    wide = sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], width), copy=False)
    room = getattr(m, "_room", None)
    if room is not None:
        wide._room = room  # type: ignore[attr-defined]
    return wide


# Appending rows to the matrices of 100,000 articles copied all of them at each commit of an ingest
# (25 ms a worker for the related vectors alone). They are kept in arrays with room to spare instead:
# the matrix is a view of the first rows, and rows are appended into the room (a reader's matrix, a view
# of fewer rows, never sees them); the arrays are copied only when the room is used up, doubling it.
def _append_rows(m: sp.csr_matrix, more: sp.csr_matrix) -> sp.csr_matrix:
    """The rows of `more` under those of `m` (as wide as the wider), sharing m's arrays when m is the
    latest matrix made over them and they have room."""
    n, nnz, k, extra = m.shape[0], m.nnz, more.shape[0], more.nnz
    width = max(m.shape[1], more.shape[1])
    room = getattr(m, "_room", None)  # [data, indices, indptr, rows, nnz] of the latest matrix over them
    if room is None or room[3] != n or room[4] != nnz or len(room[0]) < nnz + extra or len(room[2]) < n + k + 1:
        cap_nnz, cap_rows = max(16, 2 * (nnz + extra)), max(16, 2 * (n + k)) + 1
        data = np.empty(cap_nnz, dtype=np.float32)
        index = np.int32 if max(width, cap_nnz) < 2**31 else np.int64  # (indices and indptr alike: no copy)
        indices = np.empty(cap_nnz, dtype=index)
        indptr = np.empty(cap_rows, dtype=index)
        data[:nnz], indices[:nnz], indptr[: n + 1] = m.data, m.indices, m.indptr
        room = [data, indices, indptr, n, nnz]
    data, indices, indptr = room[0], room[1], room[2]
    data[nnz: nnz + extra] = more.data
    indices[nnz: nnz + extra] = more.indices
    indptr[n + 1: n + k + 1] = more.indptr[1:] + nnz
    room[3], room[4] = n + k, nnz + extra
    out = sp.csr_matrix((data[: nnz + extra], indices[: nnz + extra], indptr[: n + k + 1]), shape=(n + k, width),
                        copy=False)
    out._room = room  # type: ignore[attr-defined]
    return out


def _normalize_rows(m: sp.csr_matrix) -> None:
    """Scale each row of a CSR matrix to unit length, in place (empty rows stay empty)."""
    lengths = np.diff(m.indptr)
    if not len(m.data):
        return
    # reduceat gives an empty row the next row's first value: those rows are set apart below
    sq = np.add.reduceat(m.data * m.data, np.minimum(m.indptr[:-1], len(m.data) - 1))
    sq = np.where(lengths > 0, sq, 1.0)
    norms = np.sqrt(sq).astype(np.float32)
    norms[norms == 0] = 1.0
    m.data /= np.repeat(norms, lengths)


def _columns(m: sp.csr_matrix, column: np.ndarray, width: int) -> sp.csr_matrix:
    """A CSR matrix with its columns renumbered by `column` (old -> new, -1: dropped)."""
    m = m.tocsr()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    new = column[m.indices]
    keep = new >= 0
    out = sp.csr_matrix((m.data[keep], (rows[keep], new[keep])), shape=(m.shape[0], width), dtype=np.float32)
    out.sort_indices()
    return out


def _prune(matrix: sp.csr_matrix, top: int = TOP_TERMS) -> sp.csr_matrix:
    """Keep each row's `top` heaviest terms, renormalized to unit length (ties: the lower column)."""
    m = matrix.tocsr()
    m.sort_indices()
    lengths = np.diff(m.indptr)
    if not len(m.data) or lengths.max() <= top:
        out = m.copy()
    else:
        rows = np.repeat(np.arange(m.shape[0]), lengths)
        order = np.lexsort((m.indices, -m.data, rows))  # by row, then heaviest first
        rank = np.arange(len(order)) - np.repeat(m.indptr[:-1], lengths)
        picked = np.sort(order[rank < top])  # back to row-major, column order
        out = sp.csr_matrix((m.data[picked], (rows[picked], m.indices[picked])), shape=m.shape, dtype=np.float32)
        out.sort_indices()
    out = out.astype(np.float32)
    _normalize_rows(out)
    return out
