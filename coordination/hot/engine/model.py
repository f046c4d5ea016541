"""The engine's data: the messages it takes, its parameters, and what it answers (plain,
frozen where it can be, and serialisable for the snapshot)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

SNAPSHOT_VERSION = 1
MessageId = int | str
# (id, time, support, against, voice): voice is "a:<author>" or "t:<digest of the text>"
Member = tuple[MessageId, datetime, int, int, str]


@dataclass(frozen=True)
class Message:
    """One complaint as the engine sees it.

    ``areas``: codes of the areas containing it, outermost (district) first. ``support``:
    "me too" supports (likes); ``against``: dislikes. ``author``: a pseudonymous id, so
    that one person's repeats count as one voice in the heat.
    """

    id: MessageId
    title: str
    text: str
    at: datetime
    lat: float | None = None
    lon: float | None = None
    areas: tuple[str, ...] = ()
    category: str | None = None
    support: int = 0
    against: int = 0
    author: str | None = None


@dataclass(frozen=True)
class Config:
    """The model's parameters (see the module docstring); part of every snapshot."""

    threshold: float = 0.1
    threshold_road: float = 0.2
    threshold_unplaced: float = 0.4
    merge_threshold: float = 0.25
    window_days: float = 30.0
    recent_days: float = 7.0
    half_life_days: float | None = 14.0
    title_weight: float = 0.6
    body_chars: int = 400
    vector_terms: int = 80
    centroid_terms: int = 400
    index_terms: int = 30
    query_terms: int = 15
    max_distance_km: float = 1.0
    site_km: float = 0.2
    area_depth: int = 2
    body_places: int = 6
    cluster_places: int = 12
    label_words: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.recent_days < self.window_days:
            raise ValueError("recent_days must lie between 0 and window_days")
        if not 0 <= self.title_weight <= 1:
            raise ValueError("title_weight must lie between 0 and 1")
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive (or None: no decay)")
        if not 0 <= self.threshold <= self.threshold_road <= self.threshold_unplaced:
            raise ValueError("expected 0 <= threshold <= threshold_road <= threshold_unplaced")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Assignment:
    """Where ``Clusterer.add`` put a message, how similar it was, and why.

    ``similarity`` is the cosine with the cluster joined (1.0 for a new cluster);
    ``merged`` the ids of clusters merged into ``cluster_id`` by this message: they are gone.
    """

    cluster_id: int
    similarity: float
    reasons: tuple[str, ...]
    new: bool = False
    merged: tuple[int, ...] = ()


@dataclass(frozen=True)
class Changes:
    """What changed since the last ``Clusterer.take_changes``: what to write back.

    ``df`` holds the document frequencies that changed, with their new values; ``clusters``
    the ids of clusters whose state changed (``Clusterer.state`` gives it); ``gone`` the ids
    of clusters merged away (their members are in the survivors now). ``documents``,
    ``watermark`` and ``next_id`` are the clusterer's counters as they are now.
    """

    documents: int
    watermark: datetime | None
    next_id: int
    df: dict[str, int]
    clusters: tuple[int, ...]
    gone: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.df or self.clusters or self.gone)


@dataclass(frozen=True)
class Cluster:
    """A hot issue as of a time: what it is about, how big, how hot (module docstring).

    ``members`` in order of time; ``people`` counts distinct voices (authors, or texts
    when the author is unknown); ``support``/``against`` are totals over the members.
    """

    id: int
    members: tuple[MessageId, ...]
    size: int
    people: int
    first: datetime
    last: datetime
    label: str
    keywords: tuple[str, ...]
    places: tuple[str, ...]
    districts: tuple[str, ...]
    areas: tuple[tuple[str, ...], ...]
    categories: tuple[str, ...]
    support: int
    against: int
    heat: float
    growth: float
    recent: int
    before: int


@dataclass
class ClusterState:
    """A cluster's whole state as plain data; ``to_dict`` is JSON-ready.

    ``members`` holds (id, time, support, against, voice) per message, in order of time;
    ``centroid`` the sum of the members' vectors and ``norm2`` its squared length;
    ``places`` (named sites), ``area_names``, ``districts``, ``categories`` and ``words``
    (title words, for the label) count what the members name; ``areas`` counts the
    members' area-code prefixes (joined with "/"); ``geo`` is [sum of lat, sum of lon,
    count] over the members with coordinates.
    """

    id: int
    members: list[Member] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    norm2: float = 0.0
    places: dict[str, int] = field(default_factory=dict)
    area_names: dict[str, int] = field(default_factory=dict)
    districts: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    geo: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    @property
    def first(self) -> datetime:
        return min(m[1] for m in self.members)

    @property
    def last(self) -> datetime:
        return max(m[1] for m in self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "members": [[mid, at.isoformat(), s, a, v] for mid, at, s, a, v in self.members],
            "centroid": dict(self.centroid),
            "norm2": self.norm2,
            "places": dict(self.places),
            "area_names": dict(self.area_names),
            "districts": dict(self.districts),
            "categories": dict(self.categories),
            "areas": dict(self.areas),
            "words": dict(self.words),
            "geo": list(self.geo),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClusterState:
        return cls(
            id=int(data["id"]),
            members=[
                (mid, datetime.fromisoformat(at), int(s), int(a), str(v))
                for mid, at, s, a, v in data["members"]
            ],
            centroid={k: float(v) for k, v in data["centroid"].items()},
            norm2=float(data["norm2"]),
            places=dict(data["places"]),
            area_names=dict(data["area_names"]),
            districts=dict(data["districts"]),
            categories=dict(data["categories"]),
            areas=dict(data["areas"]),
            words=dict(data["words"]),
            geo=[float(x) for x in data["geo"]],
        )
