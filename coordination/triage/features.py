"""Text to features: TF-IDF of character 1-3-grams and of jieba words and word pairs.

A text is NFKC-normalised (full-width ＡＢＣ reads as abc) and lowercased; white space is
kept, as one space, only between two Latin letters or digits (English words stay apart, while
the line breaks and padding inside a Chinese body, which the training bodies do not have, go).
Two blocks of features are taken from it:

- ``char``: every run of 1, 2 and 3 characters, spaces included (a Chinese word needs no
  segmenter to be seen this way, and a Latin word contributes its letter trigrams);
- ``word``: jieba words (precise mode, HMM off, as in ``coordination.routing.text``) and every
  pair of neighbouring words; tokens of white space or punctuation alone are dropped. jieba
  cuts Latin script at spaces and punctuation, so English gets its words here too.

Each block is weighted ``(1 + ln tf) * idf`` with ``idf = ln((1 + n) / (1 + df)) + 1``, then
scaled to unit length; the two blocks are joined and scaled by 1/sqrt(2), so a document is a
unit vector. A message with a subject and a body is read as one document whose block vectors
are the sum of the subject's and the body's unit vectors, scaled back to unit length: both
fields count equally, however long the body. (Models since the cross-validated version score
each field alone and take the mean of the scores instead: ``transform_fields``.)

This module keeps its own ``jieba.Tokenizer``, built on first use: the routing code teaches
its tokenizer the words of its rules, and those must not change the features a trained model
was fitted on. The vocabulary is sorted, so the same texts always give the same columns.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from scipy import sparse

__all__ = [
    "BLOCKS",
    "Fields",
    "Vectorizer",
    "analyze",
    "char_ngrams",
    "normalize_text",
    "word_ngrams",
]

BLOCKS = ("char", "word")
CHAR_N = (1, 2, 3)
# A token that is nothing but white space, punctuation or symbols says nothing about a topic.
_NOT_A_WORD = re.compile(r"^[\W_]+$")
_SPACES = re.compile(r"\s+")
# A space that does not stand between two Latin letters or digits.
_LONE_SPACE = re.compile(r"(?<![a-z0-9]) | (?![a-z0-9])")

_lock = threading.Lock()
_tokenizer: Any = None  # jieba.Tokenizer, created on first use


def normalize_text(text: str | None) -> str:
    """NFKC, lowercase, white space only between Latin letters or digits, as one space."""
    if not text:
        return ""
    return _LONE_SPACE.sub("", _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()))


def _get_tokenizer() -> Any:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba  # deferred: loading the dictionary takes about a second

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def char_ngrams(text: str) -> list[str]:
    """Character 1-, 2- and 3-grams of a normalised text."""
    out: list[str] = []
    for n in CHAR_N:
        out += [text[i : i + n] for i in range(len(text) - n + 1)]
    return out


def word_ngrams(text: str) -> list[str]:
    """jieba words of a normalised text and the pairs of neighbouring words (``a b``)."""
    if not text:
        return []
    words = [w for w in _get_tokenizer().cut(text, HMM=False) if not _NOT_A_WORD.match(w)]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


Terms = tuple[list[str], list[str]]


def analyze(text: str | None) -> Terms:
    """The terms of one raw field, per block: (character n-grams, word n-grams)."""
    text = normalize_text(text)
    return char_ngrams(text), word_ngrams(text)


@dataclass(frozen=True)
class Fields:
    """The fields of many documents, one unit-length row per field that has text.

    ``x`` has a row per field, ``owner`` the document of each row. A document's score is
    the mean of its fields' scores (a document without text scores the intercept alone).
    """

    x: sparse.csr_matrix
    owner: np.ndarray
    n_documents: int

    def rows_of(self, documents: np.ndarray) -> np.ndarray:
        """The rows of the given documents (indices into ``x``)."""
        return np.flatnonzero(np.isin(self.owner, documents))

    def mean(self, documents: np.ndarray | None = None) -> sparse.csr_matrix:
        """(documents × rows) matrix averaging each document's rows."""
        if documents is None:
            documents = np.arange(self.n_documents)
        position = np.full(self.n_documents, -1, np.int64)
        position[documents] = np.arange(len(documents))
        rows = np.flatnonzero(position[self.owner] >= 0)
        counts = np.bincount(self.owner[rows], minlength=self.n_documents).astype(np.float64)
        weights = 1.0 / counts[self.owner[rows]]
        return sparse.csr_matrix(
            (weights, (position[self.owner[rows]], rows)),
            shape=(len(documents), self.x.shape[0]),
        )

    def scores(
        self, coef: np.ndarray, intercept: np.ndarray, documents: np.ndarray | None = None
    ) -> np.ndarray:
        """Mean field score per document (all documents, or those given, in that order)."""
        rows = self.x @ coef
        return np.asarray(self.mean(documents) @ rows) + intercept


class Vectorizer:
    """Maps texts to unit-length sparse vectors over a fixed, sorted vocabulary.

    ``vocabularies`` holds one sorted tuple of terms per block (``BLOCKS``) and ``idf`` one
    float array of the same length per block. Build one from texts with ``fit``.
    """

    def __init__(self, vocabularies: Sequence[Sequence[str]], idf: Sequence[np.ndarray]):
        if len(vocabularies) != len(BLOCKS) or len(idf) != len(BLOCKS):
            raise ValueError(f"need one vocabulary and one idf array per block {BLOCKS}")
        self.vocabularies = tuple(tuple(v) for v in vocabularies)
        self.idf = tuple(np.asarray(w, dtype=np.float32) for w in idf)
        for terms, weights in zip(self.vocabularies, self.idf, strict=True):
            if len(terms) != len(weights):
                raise ValueError("a vocabulary and its idf differ in length")
        self._index = tuple({t: i for i, t in enumerate(v)} for v in self.vocabularies)
        self._offsets = (0, len(self.vocabularies[0]))
        self.n_features = sum(len(v) for v in self.vocabularies)

    @classmethod
    def fit(cls, documents: Iterable[Sequence[str]], *, min_df: int = 2) -> Vectorizer:
        """Vocabulary of the terms found in at least ``min_df`` documents (sequences of raw
        fields); ``analyze`` gives what this takes."""
        dfs: list[Counter[str]] = [Counter(), Counter()]
        n = 0
        for fields in documents:
            n += 1
            for b, df in enumerate(dfs):
                df.update({term for field in fields for term in field[b]})
        vocabularies, idf = [], []
        for df in dfs:
            terms = sorted(t for t, c in df.items() if c >= min_df)
            counts = np.array([df[t] for t in terms], dtype=np.float64)
            vocabularies.append(terms)
            idf.append(np.log((1.0 + n) / (1.0 + counts)) + 1.0)
        return cls(vocabularies, idf)

    def _block_rows(self, terms_by_block) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per block: (column indices, unit-length weights) of one field's terms."""
        out = []
        for b, terms in enumerate(terms_by_block):
            index, idf = self._index[b], self.idf[b]
            counts = Counter(i for i in map(index.get, terms) if i is not None)
            if not counts:
                out.append((np.empty(0, np.int64), np.empty(0, np.float32)))
                continue
            cols = np.fromiter(counts.keys(), np.int64, len(counts))
            tf = np.fromiter(counts.values(), np.float32, len(counts))
            w = (1.0 + np.log(tf)) * idf[cols]
            out.append((cols, w / np.float32(math.sqrt(float(w @ w)))))
        return out

    def _row(self, fields: Sequence[Terms]) -> tuple[np.ndarray, np.ndarray]:
        """Columns and weights of one document made of one or more analysed fields."""
        parts = [self._block_rows(terms) for terms in fields if any(terms)]
        cols_out, vals_out, blocks_used = [], [], 0
        for b in range(len(BLOCKS)):
            pieces = [p[b] for p in parts if len(p[b][0])]
            if not pieces:
                continue
            if len(pieces) == 1:
                cols, vals = pieces[0]
            else:  # sum of the fields' unit vectors, back to unit length
                cols, inverse = np.unique(
                    np.concatenate([c for c, _ in pieces]), return_inverse=True
                )
                vals = np.zeros(len(cols), np.float32)
                np.add.at(vals, inverse, np.concatenate([v for _, v in pieces]))
                vals /= np.float32(math.sqrt(float(vals @ vals)))
            cols_out.append(cols + self._offsets[b])
            vals_out.append(vals)
            blocks_used += 1
        if not blocks_used:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        # Each block has unit length; scale the joined vector back to unit length.
        scale = np.float32(1.0 / math.sqrt(blocks_used))
        return np.concatenate(cols_out), np.concatenate(vals_out) * scale

    def transform(self, documents: Iterable[Sequence[str]]) -> sparse.csr_matrix:
        """One row per document; a document is a sequence of raw fields (subject, body)."""
        return self.transform_analyzed([analyze(f) for f in fields] for fields in documents)

    def transform_fields(self, documents: Iterable[Sequence[Terms]]) -> Fields:
        """Each analysed field of each document as its own unit-length row."""
        rows: list[Sequence[Terms]] = []
        owner: list[int] = []
        n = 0
        for n, fields in enumerate(documents, start=1):
            for terms in fields:
                if any(terms):
                    rows.append((terms,))
                    owner.append(n - 1)
        x = self.transform_analyzed(rows)
        # A field none of whose terms the vocabulary knows says nothing: it must not dilute
        # the mean of the fields that do.
        known = np.flatnonzero(np.diff(x.indptr) > 0)
        return Fields(x[known], np.asarray(owner, np.int64)[known], n)

    def transform_analyzed(self, documents: Iterable[Sequence[Terms]]) -> sparse.csr_matrix:
        """``transform`` of documents whose fields went through ``analyze`` already."""
        indptr, indices, data = [0], [], []
        for fields in documents:
            cols, vals = self._row(fields)
            indices.append(cols)
            data.append(vals)
            indptr.append(indptr[-1] + len(cols))
        return sparse.csr_matrix(
            (
                np.concatenate(data) if data else np.empty(0, np.float32),
                np.concatenate(indices) if indices else np.empty(0, np.int64),
                np.asarray(indptr, np.int64),
            ),
            shape=(len(indptr) - 1, self.n_features),
            dtype=np.float32,
        )
