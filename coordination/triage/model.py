"""A trained triage model: predictions with calibrated confidence, and its file format.

Scores are linear in the features (``features.Vectorizer``): ``x @ coef + intercept``, one
column per label. A message with a subject and a body scores the mean of its two fields'
scores (``combine="mean"``; files of the first version, without the key, summed the
fields' vectors: ``"sum"``). Probabilities are ``softmax(temperature * scores)``, the
temperature fitted on text the model had not seen (``training.train``: out-of-fold scores),
so that a confidence of 0.9 is right about nine times in ten. A prediction is ``confident``
when its confidence reaches the model's ``threshold``, chosen on the same scores for a
target precision.

File format (``to_bytes`` / ``from_bytes``), made to be read without running any code:

    MAGIC (8 bytes) | header length (4 bytes, little-endian) | header (UTF-8 JSON)
    | payload (raw little-endian arrays, one after another) | SHA-256 of all that (32 bytes)

The header names the format version, the model's version and description, its labels,
temperature, threshold and validation figures, and the dtype, shape and offset of every
array in the payload. Only plain numeric dtypes are accepted, arrays are read with
``numpy.frombuffer`` and the vocabularies are newline-separated UTF-8 text: there is no
pickle anywhere. A file whose digest, magic, version, header or array layout is wrong raises
``ModelFormatError``.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .features import BLOCKS, Vectorizer, analyze

__all__ = ["FORMAT_VERSION", "MAGIC", "Model", "ModelFormatError", "Prediction"]

MAGIC = b"TRIAGE\x00\x01"
FORMAT_VERSION = 1
_DIGEST = 32
_SAFE_DTYPES = {"<f4", "<f8", "<i4", "<i8", "|u1"}
# A header past this size is not one we wrote; refuse it before parsing.
_MAX_HEADER = 1 << 20
COMBINE = ("sum", "mean")


class ModelFormatError(ValueError):
    """The bytes are not an intact triage model of a format version this code reads."""


@dataclass(frozen=True)
class Prediction:
    """The most likely label, its calibrated probability, the top labels, and the verdict.

    ``top`` holds up to k ``(label, probability)`` pairs, most likely first (ties broken by
    label order in the model). ``confident`` is ``confidence >= model.threshold``: the
    message may be routed without a person looking at it.
    """

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    confident: bool


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Model:
    """A linear model over ``Vectorizer`` features with a fitted temperature and threshold.

    Attributes: ``labels`` (sorted), ``temperature``, ``threshold`` (``math.inf`` when no
    confidence reached the target precision on validation), ``validation`` (figures measured
    on the validation split: macro_f1, accuracy, auto_share, auto_precision, ece, n_train,
    n_validation, per_label counts, target_precision), ``description`` (of the training
    data), ``version`` (derived from the learned arrays: equal versions, equal predictions).
    """

    def __init__(
        self,
        *,
        vectorizer: Vectorizer,
        labels: Sequence[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        threshold: float,
        validation: Mapping[str, Any],
        description: str = "",
        spec: str = "",
        combine: str = "sum",
    ):
        if combine not in COMBINE:
            raise ValueError(f"combine must be one of {COMBINE}")
        self.combine = combine
        self.vectorizer = vectorizer
        self.labels = tuple(labels)
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)  # (n_features, n_labels)
        self.intercept = np.ascontiguousarray(intercept, dtype=np.float32)
        if self.coef.shape != (vectorizer.n_features, len(self.labels)):
            raise ValueError(f"coef has shape {self.coef.shape}, not (features, labels)")
        if self.intercept.shape != (len(self.labels),):
            raise ValueError("intercept must have one value per label")
        self.temperature = float(temperature)
        self.threshold = float(threshold)
        self.validation = dict(validation)
        self.description = description
        self.spec = spec
        self._arrays = self._array_map()
        digest = hashlib.sha256()
        for name in sorted(self._arrays):
            digest.update(name.encode())
            digest.update(self._arrays[name].tobytes())
        digest.update(repr((self.temperature, self.threshold)).encode())
        if combine != "sum":  # so that the versions of first-version files stay as they were
            digest.update(combine.encode())
        self.version = f"triage-{digest.hexdigest()[:12]}"

    def __repr__(self) -> str:
        return f"<Model {self.version} {len(self.labels)} labels threshold={self.threshold:.3f}>"

    # Prediction

    def probabilities(self, documents: Iterable[tuple[str, str]]) -> np.ndarray:
        """Calibrated probabilities, one row per (title, description), columns ``labels``."""
        if self.combine == "mean":
            return softmax(self._mean_scores(documents), self.temperature)
        x = self.vectorizer.transform(documents)
        return softmax(np.asarray(x @ self.coef) + self.intercept, self.temperature)

    def _mean_scores(self, documents: Iterable[tuple[str, str]]) -> np.ndarray:
        """The mean of each document's field scores, plus the intercept; a field whose terms
        the vocabulary does not know is left out (``features.Fields``, without its sparse
        matrices: one message at a time this is several times faster)."""
        rows = []
        for title, description in documents:
            total, fields = np.zeros(len(self.labels), np.float64), 0
            for text in (title, description):
                cols, vals = self.vectorizer._row([analyze(text)])
                if len(cols):
                    total += vals @ self.coef[cols]
                    fields += 1
            rows.append(total / fields if fields else total)
        scores = np.array(rows, np.float64).reshape(-1, len(self.labels))
        return scores + self.intercept

    def predict(self, title: str, description: str = "", k: int = 3) -> Prediction:
        """The prediction for one message; either field may be empty."""
        return self.predict_many([(title, description)], k=k)[0]

    def predict_many(self, documents: Iterable[tuple[str, str]], k: int = 3) -> list[Prediction]:
        """Predictions for many (title, description) pairs, in order, in one matrix product."""
        probabilities = self.probabilities(documents)
        k = max(1, min(k, len(self.labels)))
        out = []
        for row in probabilities:
            # A stable sort on -p keeps label order among equal probabilities.
            order = np.argsort(-row, kind="stable")[:k]
            top = tuple((self.labels[i], float(row[i])) for i in order)
            out.append(Prediction(top[0][0], top[0][1], top, top[0][1] >= self.threshold))
        return out

    # Persistence

    def _array_map(self) -> dict[str, np.ndarray]:
        arrays = {"coef": self.coef, "intercept": self.intercept}
        for block, terms, idf in zip(
            BLOCKS, self.vectorizer.vocabularies, self.vectorizer.idf, strict=True
        ):
            arrays[f"vocab_{block}"] = np.frombuffer("\n".join(terms).encode(), np.uint8)
            arrays[f"idf_{block}"] = idf
        return arrays

    def to_bytes(self) -> bytes:
        """The model as bytes in the format described in the module docstring."""
        payload, layout, offset = [], {}, 0
        for name in sorted(self._arrays):
            array = self._arrays[name]
            raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
            layout[name] = {
                "dtype": array.dtype.newbyteorder("<").str,
                "shape": list(array.shape),
                "offset": offset,
                "nbytes": len(raw),
            }
            payload.append(raw)
            offset += len(raw)
        header = {
            "format": FORMAT_VERSION,
            "version": self.version,
            "description": self.description,
            "spec": self.spec,
            "labels": list(self.labels),
            "combine": self.combine,
            "blocks": list(BLOCKS),
            "temperature": self.temperature,
            "threshold": None if math.isinf(self.threshold) else self.threshold,
            "validation": self.validation,
            "arrays": layout,
        }
        head = json.dumps(header, ensure_ascii=False, sort_keys=True).encode()
        body = MAGIC + struct.pack("<I", len(head)) + head + b"".join(payload)
        return body + hashlib.sha256(body).digest()

    def dump(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> Model:
        return cls.from_bytes(Path(path).read_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        """Read a model written by ``to_bytes``; raises ``ModelFormatError`` if it is not one."""
        data = bytes(data)
        if len(data) < len(MAGIC) + 4 + _DIGEST or not data.startswith(MAGIC[:6]):
            raise ModelFormatError("not a triage model file (bad magic or too short)")
        if data[: len(MAGIC)] != MAGIC:
            raise ModelFormatError("triage model file of an unknown format version")
        body, digest = data[:-_DIGEST], data[-_DIGEST:]
        if hashlib.sha256(body).digest() != digest:
            raise ModelFormatError("triage model file is truncated or altered (digest mismatch)")
        (head_len,) = struct.unpack_from("<I", body, len(MAGIC))
        start = len(MAGIC) + 4
        if head_len > _MAX_HEADER or start + head_len > len(body):
            raise ModelFormatError("triage model header has an impossible length")
        try:
            header = json.loads(body[start : start + head_len].decode())
            if header.get("format") != FORMAT_VERSION:
                raise ModelFormatError(f"unsupported triage model format {header.get('format')!r}")
            if header.get("blocks") != list(BLOCKS):
                raise ModelFormatError("triage model was built with other feature blocks")
            arrays = _read_arrays(body[start + head_len :], header["arrays"])
            vocabularies = [_split_vocabulary(arrays[f"vocab_{block}"]) for block in BLOCKS]
            vectorizer = Vectorizer(vocabularies, [arrays[f"idf_{block}"] for block in BLOCKS])
            threshold = header["threshold"]
            model = cls(
                vectorizer=vectorizer,
                labels=[str(label) for label in header["labels"]],
                coef=arrays["coef"],
                intercept=arrays["intercept"],
                temperature=float(header["temperature"]),
                threshold=math.inf if threshold is None else float(threshold),
                validation=header["validation"],
                description=str(header["description"]),
                spec=str(header.get("spec", "")),
                combine=str(header.get("combine", "sum")),
            )
        except ModelFormatError:
            raise
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            raise ModelFormatError(f"triage model file is malformed: {exc}") from exc
        if model.version != header["version"]:
            raise ModelFormatError("triage model content does not match its version")
        return model


def _read_arrays(payload: bytes, layout: Mapping[str, Any]) -> dict[str, np.ndarray]:
    arrays, end = {}, 0
    for name, spec in layout.items():
        dtype = str(spec["dtype"])
        if dtype not in _SAFE_DTYPES:
            raise ModelFormatError(f"array {name!r} has a dtype this format does not allow")
        offset, nbytes = int(spec["offset"]), int(spec["nbytes"])
        shape = tuple(int(n) for n in spec["shape"])
        if offset < 0 or nbytes < 0 or offset + nbytes > len(payload):
            raise ModelFormatError(f"array {name!r} lies outside the file")
        if math.prod(shape) * np.dtype(dtype).itemsize != nbytes:
            raise ModelFormatError(f"array {name!r} does not fill its shape")
        arrays[name] = np.frombuffer(payload, dtype=dtype, count=math.prod(shape), offset=offset)
        arrays[name] = arrays[name].reshape(shape)
        end = max(end, offset + nbytes)
    if end != len(payload):
        raise ModelFormatError("triage model payload has bytes no array accounts for")
    return arrays


def _split_vocabulary(raw: np.ndarray) -> list[str]:
    text = raw.tobytes().decode()
    return text.split("\n") if text else []
