"""The hot-issue engine: which complaints join, which stay apart, and what a cluster says.

Plain pytest, no database: hand-written complaints (tests/hot/fixtures.py) fed to
``Clusterer.add`` one by one, as the platform will.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import timedelta

import pytest

from coordination.hot.engine import Assignment, Clusterer, Config, Message, cluster

from .fixtures import (
    BUS,
    LIFT_QINGSONG,
    ROAD_NOISE,
    RUBBISH_HONGFENG,
    RUBBISH_QINGSONG,
    SCHOOL_FEES,
    START,
    message,
)


def feed(messages: list[Message], config: Config | None = None) -> tuple[Clusterer, list]:
    clusterer = Clusterer(config)
    return clusterer, [clusterer.add(m) for m in messages]


def rubbish_qingsong(**fields: object) -> list[Message]:
    return [message(i + 1, pair, i * 0.5, **fields) for i, pair in enumerate(RUBBISH_QINGSONG)]


# -- joining and staying apart ------------------------------------------------------------


def test_near_duplicates_join_one_cluster():
    clusterer, assignments = feed(rubbish_qingsong())
    assert assignments[0].new
    assert [a.cluster_id for a in assignments] == [1, 1, 1]
    assert all(a.similarity > 0.5 for a in assignments[1:])
    assert any("青松苑小区" in reason for reason in assignments[1].reasons)
    (only,) = clusterer.clusters()
    assert only.members == (1, 2, 3)


def test_the_same_complaint_about_another_named_place_stays_apart():
    clusterer, assignments = feed([*rubbish_qingsong(), message(4, RUBBISH_HONGFENG, 2)])
    last = assignments[-1]
    assert last.new
    assert "红枫家园" in " ".join(last.reasons)
    assert len(clusterer.clusters()) == 2


def test_a_different_problem_of_the_same_compound_stays_apart():
    _, assignments = feed([*rubbish_qingsong(), message(4, LIFT_QINGSONG, 2)])
    assert assignments[-1].new


@pytest.mark.parametrize(
    "pair", [ROAD_NOISE, SCHOOL_FEES, BUS], ids=["road noise", "school fees", "bus"]
)
def test_different_problems_elsewhere_open_their_own_clusters(pair):
    _, assignments = feed([*rubbish_qingsong(), message(4, pair, 2)])
    assert assignments[-1].new


def test_coordinates_far_apart_keep_one_text_in_two_clusters():
    here = {"lat": 28.2000, "lon": 112.9800}
    far = {"lat": 28.2450, "lon": 112.9800}  # 5 km north
    _, assignments = feed(
        [message(1, BUS, 0, **here), message(2, BUS, 0.5, **here), message(3, BUS, 1, **far)]
    )
    assert [a.cluster_id for a in assignments] == [1, 1, 2]
    assert "km away" in " ".join(assignments[2].reasons)


def test_coordinates_of_one_site_let_a_weaker_text_join():
    # Two texts about 12路 that are only somewhat alike: without a place in common they
    # need threshold_unplaced, 50 metres apart only threshold.
    other = (
        "12路公交车早高峰班次太少",
        "早上在站台等12路要等二十多分钟，车上挤满了人，请增加班次。",
    )
    loose = Config(threshold=0.05, threshold_road=0.05, threshold_unplaced=0.95)
    near = [{"lat": 28.2000, "lon": 112.9800}, {"lat": 28.2004, "lon": 112.9800}]
    _, placed = feed([message(1, BUS, 0, **near[0]), message(2, other, 0.5, **near[1])], loose)
    _, unplaced = feed([message(1, BUS, 0), message(2, other, 0.5)], loose)
    assert 0.05 <= placed[1].similarity < 0.95
    assert [a.cluster_id for a in placed] == [1, 1]
    assert [a.cluster_id for a in unplaced] == [1, 2]


def test_different_areas_keep_one_text_in_two_clusters():
    _, assignments = feed(
        [
            message(1, BUS, 0, areas=("d1", "s1", "c1")),
            message(2, BUS, 0.5, areas=("d1", "s1", "c2")),  # same street: together
            message(3, BUS, 1, areas=("d1", "s2", "c3")),  # another street: apart
        ]
    )
    assert [a.cluster_id for a in assignments] == [1, 1, 2]


def test_different_district_codes_in_the_text_keep_complaints_apart():
    moved = (BUS[0].replace("12路", "A5区12路"), BUS[1])
    home = (BUS[0].replace("12路", "A3区12路"), BUS[1])
    _, assignments = feed([message(1, home, 0), message(2, home, 0.5), message(3, moved, 1)])
    assert [a.cluster_id for a in assignments] == [1, 1, 2]
    assert "district A5区" in " ".join(assignments[2].reasons)


def test_different_categories_keep_complaints_apart():
    _, assignments = feed([message(1, BUS, 0, category="T1"), message(2, BUS, 0.5, category="T2")])
    assert [a.cluster_id for a in assignments] == [1, 2]


# -- time -----------------------------------------------------------------------------------


def test_a_message_after_the_window_opens_a_new_cluster():
    config = Config(window_days=30)
    clusterer, assignments = feed(
        [
            message(1, RUBBISH_QINGSONG[0], 0),
            message(2, RUBBISH_QINGSONG[1], 29),  # 29 days after the last: joins
            message(3, RUBBISH_QINGSONG[2], 60),  # 31 days after the last: too late
        ],
        config,
    )
    assert [a.cluster_id for a in assignments] == [1, 1, 2]
    assert not clusterer.is_open(1)
    assert clusterer.is_open(2)


def test_a_late_message_sees_only_clusters_still_open():
    clusterer, _ = feed([message(1, BUS, 0), message(2, ROAD_NOISE, 40)])
    late = clusterer.add(message(3, BUS, 1))  # a day after message 1, but 1 has closed
    assert late.new


def test_adding_a_message_twice_is_refused():
    clusterer, _ = feed([message(1, BUS, 0)])
    with pytest.raises(ValueError, match="already added"):
        clusterer.add(message(1, BUS, 1))


# -- what a cluster says ------------------------------------------------------------------


def test_label_names_the_place_then_the_problem():
    clusterer, _ = feed(rubbish_qingsong())
    (only,) = clusterer.clusters()
    assert only.keywords[0] == "青松苑小区"
    assert "垃圾站" in only.keywords
    assert only.label == " ".join(only.keywords)
    assert only.places[0] == "青松苑小区"
    assert only.districts == ("A3区",)


def test_heat_counts_voices_supports_and_decay_as_documented():
    config = Config(half_life_days=10)
    base = rubbish_qingsong()
    messages = [
        replace(base[0], support=20, against=5, author="u1"),  # 1 + ln(16)
        replace(base[1], support=0, against=3, author="u2"),  # 1 + ln(1): dislikes floor at 0
        replace(base[2], support=3, author="u1"),  # a repeat of u1: 0 + ln(4)
    ]
    clusterer, _ = feed(messages, config)
    as_of = START + timedelta(days=10)
    hot = clusterer.summary(1, as_of)
    ages = [10, 9.5, 9]
    weights = [1 + math.log(16), 1.0, math.log(4)]
    expected = sum(0.5 ** (age / 10) * w for age, w in zip(ages, weights, strict=True))
    assert hot.heat == pytest.approx(expected, abs=1e-6)
    assert (hot.size, hot.people, hot.support, hot.against) == (3, 2, 23, 8)


def test_without_authors_a_repeated_text_is_one_voice():
    twice = [message(1, BUS, 0), message(2, BUS, 0.1), message(3, BUS, 0.2, author="u3")]
    clusterer, _ = feed(twice, Config(half_life_days=None))
    (only,) = clusterer.clusters()
    assert (only.size, only.people, only.heat) == (3, 2, 2.0)


def test_heat_without_decay_ignores_members_after_as_of():
    clusterer, _ = feed(rubbish_qingsong(), Config(half_life_days=None))
    assert clusterer.summary(1, START + timedelta(days=0.75)).heat == 2.0


def test_growth_compares_the_recent_rate_with_the_rest_of_the_window():
    config = Config(window_days=30, recent_days=7, half_life_days=None)
    pairs = [RUBBISH_QINGSONG[i % 3] for i in range(6)]
    # two members 20 and 18 days before as_of, four in the last week
    days = [0, 2, 14, 15, 16, 17]
    clusterer, assignments = feed(
        [message(i, p, d) for i, (p, d) in enumerate(zip(pairs, days, strict=True))], config
    )
    assert {a.cluster_id for a in assignments} == {1}
    hot = clusterer.summary(1, START + timedelta(days=20))
    assert (hot.recent, hot.before) == (4, 2)
    assert hot.growth == pytest.approx((4 / 7) / (2 / 23), abs=1e-6)
    quiet = clusterer.summary(1, START + timedelta(days=40))
    assert (quiet.recent, quiet.growth) == (0, 0.0)


def test_clusters_come_hottest_first():
    messages = [*rubbish_qingsong(), message(4, SCHOOL_FEES, 1), message(5, BUS, 1.5)]
    clusterer, _ = feed(messages)
    heats = [c.heat for c in clusterer.clusters()]
    assert heats == sorted(heats, reverse=True)
    assert clusterer.clusters()[0].id == 1
    assert [c.id for c in clusterer.clusters(min_size=2)] == [1]


# -- merging ------------------------------------------------------------------------------


def test_a_message_similar_to_two_clusters_of_one_place_merges_them():
    # Strict joining, lenient merging: the first two open two clusters, the third joins
    # one, bridges both, and the younger is merged into the older.
    config = Config(threshold=0.5, threshold_road=0.5, threshold_unplaced=0.9, merge_threshold=0.1)
    smell = ("青松苑小区垃圾站臭气熏天", "北门垃圾站夏天臭气熏天，开窗都不敢。")
    flies = ("青松苑小区垃圾站苍蝇蚊子滋生", "北门垃圾站旁边苍蝇蚊子成群，孩子被咬。")
    both = (
        "青松苑小区垃圾站臭气熏天苍蝇蚊子滋生",
        "北门垃圾站臭气熏天，苍蝇蚊子成群，开窗都不敢。",
    )
    pairs = [smell, flies, both]
    clusterer, assignments = feed([message(i + 1, p, i * 0.5) for i, p in enumerate(pairs)], config)
    assert [a.new for a in assignments] == [True, True, False]
    assert assignments[2].cluster_id == 1
    assert assignments[2].merged == (2,)
    assert [c.id for c in clusterer.clusters()] == [1]
    assert clusterer.cluster_of(2) == 1
    assert clusterer.summary(1).members == (1, 2, 3)


# -- batch, snapshots ---------------------------------------------------------------------


def mixed_messages() -> list[Message]:
    pairs = [*RUBBISH_QINGSONG, RUBBISH_HONGFENG, LIFT_QINGSONG, ROAD_NOISE, SCHOOL_FEES, BUS]
    out = []
    for i in range(40):
        pair = pairs[(i * 7) % len(pairs)]
        out.append(message(i, pair, day=i * 37 % 90, support=i % 4, author=f"u{i % 9}"))
    return out


def test_batch_equals_incremental_in_time_order_whatever_the_input_order():
    messages = mixed_messages()
    ordered = sorted(messages, key=lambda m: (m.at, m.id))
    clusterer, _ = feed(ordered)
    assert cluster(list(reversed(messages))) == clusterer.clusters()
    assert cluster(messages) == clusterer.clusters()


def test_snapshot_through_json_continues_identically():
    ordered = sorted(mixed_messages(), key=lambda m: (m.at, m.id))
    straight, expected = feed(ordered)

    half = len(ordered) // 2
    first, assigned = feed(ordered[:half])
    restored = Clusterer.from_snapshot(json.loads(json.dumps(first.snapshot())))
    assigned += [restored.add(m) for m in ordered[half:]]

    assert assigned == expected
    assert restored.snapshot() == straight.snapshot()
    assert restored.clusters() == straight.clusters()


def test_a_snapshot_without_closed_clusters_still_continues_identically():
    # the rubbish station in May, the road and the school in June (May's cluster closes),
    # then all of them again in July
    may = [message(i, pair, i) for i, pair in enumerate(RUBBISH_QINGSONG)]
    june = [message(10 + i, pair, 40 + i) for i, pair in enumerate([ROAD_NOISE, SCHOOL_FEES])]
    july = [
        message(20 + i, pair, 50 + i)
        for i, pair in enumerate([*RUBBISH_QINGSONG, ROAD_NOISE, SCHOOL_FEES, BUS])
    ]
    _, expected = feed([*may, *june, *july])
    first, _ = feed([*may, *june])
    data = first.snapshot()
    kept = [c for c in data["clusters"] if first.is_open(c["id"])]
    assert len(kept) < len(data["clusters"])  # May's closed: the case under test
    data["clusters"] = kept
    restored = Clusterer.from_snapshot(data)
    later: list[Assignment] = [restored.add(m) for m in july]
    assert later == expected[len(may) + len(june) :]


def test_pruning_closed_clusters_changes_nothing_to_come():
    may = [message(i, pair, i) for i, pair in enumerate(RUBBISH_QINGSONG)]
    july = [message(10 + i, pair, 50 + i) for i, pair in enumerate([*RUBBISH_QINGSONG, BUS])]
    _, expected = feed([*may, *july])
    clusterer, _ = feed(may)
    clusterer.add(july[0])
    assert clusterer.prune() == [1]
    assert clusterer.cluster_of(0) is None
    assert [a.cluster_id for a in expected[len(may) + 1 :]] == [
        clusterer.add(m).cluster_id for m in july[1:]
    ]
    assert [c.id for c in clusterer.clusters()] == [2, 3]


def test_snapshot_of_another_version_is_refused():
    with pytest.raises(ValueError, match="version"):
        Clusterer.from_snapshot({"version": 99})


def test_config_refuses_a_recent_period_longer_than_the_window():
    with pytest.raises(ValueError, match="recent_days"):
        Config(window_days=7, recent_days=10)


# -- persisting as it goes ---------------------------------------------------------------


class Store:
    """What the Django layer keeps: counters, document frequencies, one state per cluster."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.counters: dict = {"documents": 0, "watermark": None, "next_id": 1}
        self.df: dict[str, int] = {}
        self.clusters: dict[int, dict] = {}

    def write(self, clusterer: Clusterer) -> None:
        changes = clusterer.take_changes()
        self.counters = {
            "documents": changes.documents,
            "watermark": changes.watermark.isoformat() if changes.watermark else None,
            "next_id": changes.next_id,
        }
        self.df.update(changes.df)
        for cid in changes.gone:
            self.clusters.pop(cid, None)
        for cid in changes.clusters:
            self.clusters[cid] = json.loads(json.dumps(clusterer.state(cid).to_dict()))

    def load(self) -> Clusterer:
        return Clusterer.from_snapshot(
            {
                "version": 1,
                "config": self.config.to_dict(),
                **self.counters,
                "df": dict(self.df),
                "clusters": list(self.clusters.values()),
            }
        )


def test_changes_written_after_each_message_rebuild_the_same_clusterer():
    ordered = sorted(mixed_messages(), key=lambda m: (m.at, m.id))
    straight, expected = feed(ordered)
    store = Store(straight.config)
    assigned = []
    for m in ordered:
        clusterer = store.load()  # a fresh process for every message, as a restarted worker
        assigned.append(clusterer.add(m))
        store.write(clusterer)
    assert assigned == expected
    assert store.load().snapshot() == straight.snapshot()


def test_changes_name_the_merged_clusters_as_gone():
    config = Config(threshold=0.5, threshold_road=0.5, threshold_unplaced=0.9, merge_threshold=0.1)
    smell = ("青松苑小区垃圾站臭气熏天", "北门垃圾站夏天臭气熏天，开窗都不敢。")
    flies = ("青松苑小区垃圾站苍蝇蚊子滋生", "北门垃圾站旁边苍蝇蚊子成群，孩子被咬。")
    both = ("青松苑小区垃圾站臭气熏天苍蝇蚊子滋生", "北门垃圾站臭气熏天，苍蝇蚊子成群。")
    clusterer = Clusterer(config)
    assert not clusterer.take_changes()
    clusterer.add(message(1, smell))
    first = clusterer.take_changes()
    assert first.clusters == (1,) and first.gone == () and first.documents == 1
    assert first.df
    clusterer.add(message(2, flies, 0.5))
    assert clusterer.take_changes().clusters == (2,)
    assert clusterer.add(message(3, both, 1)).merged == (2,)
    changes = clusterer.take_changes()
    assert changes.clusters == (1,)
    assert changes.gone == (2,)
    assert changes.next_id == 3


def test_a_support_after_the_complaint_counts_in_the_heat():
    clusterer, _ = feed(rubbish_qingsong(), Config(half_life_days=None))
    before = clusterer.clusters()[0]
    clusterer.take_changes()
    assert clusterer.set_support(2, 4) == before.id
    after = clusterer.clusters()[0]
    assert after.support == before.support + 4
    assert after.heat == pytest.approx(before.heat + math.log1p(4))
    assert clusterer.take_changes().clusters == (before.id,)
    # the same count again changes nothing
    clusterer.set_support(2, 4)
    assert not clusterer.take_changes()


def test_a_support_for_an_unknown_message_is_refused():
    clusterer, _ = feed(rubbish_qingsong())
    with pytest.raises(KeyError):
        clusterer.set_support(99, 1)
