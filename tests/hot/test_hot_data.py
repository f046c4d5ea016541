"""The hot-issue engine on the real message board (TipDM 2020, problem C), read at run time.

The data lives beside the checkout in ``../shared/data`` and is never copied into the
project; without it these tests are skipped. The last three months of the board (703
messages) keep them fast and hold a known hot issue: a concrete mixing plant built next to
丽发新城, which dozens of residents complained about.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordination.hot.engine import Clusterer, Message, cluster

from .fixtures import (
    BUS,
    LIFT_QINGSONG,
    ROAD_NOISE,
    RUBBISH_HONGFENG,
    RUBBISH_QINGSONG,
    SCHOOL_FEES,
    message,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gov_messages_hot.csv"
CHINA = timezone(timedelta(hours=8))
SINCE = "2019-11-01"


@pytest.fixture(scope="module")
def board() -> list[Message]:
    """The board's messages since ``SINCE``, in the order of the file (not of time)."""
    if not DATA.exists():
        pytest.skip(f"the message board data is not at {DATA} (see ../shared/data/README.md)")
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["留言时间"] >= SINCE]
    return [
        Message(
            id=int(row["留言编号"]),
            title=row["留言主题"],
            text=row["留言详情"],
            at=datetime.fromisoformat(row["留言时间"]).replace(tzinfo=CHINA),
            support=int(row["点赞数"] or 0),
            against=int(row["反对数"] or 0),
            author=row["留言用户"],
        )
        for row in rows
    ]


@pytest.fixture(scope="module")
def incremental(board) -> tuple[Clusterer, list]:
    clusterer = Clusterer()
    ordered = sorted(board, key=lambda m: (m.at, m.id))
    return clusterer, [clusterer.add(m) for m in ordered]


def test_batch_equals_incremental_on_the_board(board, incremental):
    clusterer, _ = incremental
    assert cluster(board) == clusterer.clusters()


def test_snapshot_restore_continues_identically_on_the_board(board, incremental):
    straight, expected = incremental
    ordered = sorted(board, key=lambda m: (m.at, m.id))
    half = len(ordered) // 2
    first = Clusterer()
    assigned = [first.add(m) for m in ordered[:half]]
    restored = Clusterer.from_snapshot(json.loads(json.dumps(first.snapshot())))
    assigned += [restored.add(m) for m in ordered[half:]]
    assert assigned == expected
    assert restored.clusters() == straight.clusters()


def test_the_mixing_plant_by_lifa_xincheng_is_one_hot_issue(board, incremental):
    clusterer, _ = incremental
    about = [m.id for m in board if "丽发" in m.title and "搅拌" in m.title]
    assert len(about) > 30
    holders = {clusterer.cluster_of(mid) for mid in about}
    biggest = max(holders, key=lambda cid: sum(clusterer.cluster_of(m) == cid for m in about))
    together = sum(clusterer.cluster_of(m) == biggest for m in about)
    assert together >= 0.9 * len(about)
    hot = clusterer.summary(biggest)
    assert hot.keywords[0].startswith("丽发新城")
    assert "搅拌站" in hot.keywords
    # and it is the hottest issue of those months
    assert clusterer.clusters()[0].id == biggest
    # nothing about another compound got into it
    titles = {m.id: m.title for m in board}
    strays = [titles[mid] for mid in hot.members if "搅拌" not in titles[mid]]
    assert len(strays) <= 0.2 * hot.size


PAIRS = [*RUBBISH_QINGSONG, RUBBISH_HONGFENG, LIFT_QINGSONG, ROAD_NOISE, SCHOOL_FEES, BUS]


@st.composite
def messages(draw) -> list[Message]:
    count = draw(st.integers(min_value=1, max_value=20))
    out = []
    for mid in range(count):
        pair = draw(st.sampled_from(PAIRS))
        day = draw(st.integers(min_value=0, max_value=120)) / 2
        support = draw(st.integers(min_value=0, max_value=50))
        out.append(message(mid, pair, day, support=support))
    return draw(st.permutations(out))


@settings(max_examples=25, deadline=None)
@given(messages(), st.data())
def test_batch_in_any_order_equals_incremental_and_survives_a_snapshot(shuffled, data):
    ordered = sorted(shuffled, key=lambda m: (m.at, m.id))
    clusterer = Clusterer()
    expected = [clusterer.add(m) for m in ordered]
    assert cluster(shuffled) == clusterer.clusters()

    cut = data.draw(st.integers(min_value=0, max_value=len(ordered)))
    first = Clusterer()
    assigned = [first.add(m) for m in ordered[:cut]]
    restored = Clusterer.from_snapshot(json.loads(json.dumps(first.snapshot())))
    assigned += [restored.add(m) for m in ordered[cut:]]
    assert assigned == expected
    assert restored.snapshot() == clusterer.snapshot()
