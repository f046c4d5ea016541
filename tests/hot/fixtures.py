"""Hand-written complaints for the hot-issue tests (invented places, invented people).

Three residents of 青松苑小区 complain about one rubbish station; the same complaint is
written about 红枫家园, a compound elsewhere; 青松苑小区 also has a lift that breaks down; a
road, a school and a bus line have their own troubles.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from coordination.hot.engine import Message

CHINA = timezone(timedelta(hours=8))
START = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)

RUBBISH_QINGSONG = (
    (
        "A3区青松苑小区门口垃圾站臭气熏天",
        "青松苑小区北门旁边的垃圾站每天堆满垃圾，夏天臭气熏天，苍蝇乱飞，居民开窗都不敢，"
        "希望环卫部门尽快清运并搬迁垃圾站。",
    ),
    (
        "青松苑小区垃圾站臭味严重影响居民生活",
        "我住在A3区青松苑小区，北门垃圾站的垃圾好几天才清运一次，臭气熏天，孩子都不敢"
        "下楼玩，请环卫部门清运垃圾。",
    ),
    (
        "投诉A3区青松苑小区北门垃圾站臭气扰民",
        "青松苑小区北门垃圾站长期不清运，臭气熏天，苍蝇蚊子滋生，请求搬迁垃圾站。",
    ),
)
RUBBISH_HONGFENG = (
    "A3区红枫家园门口垃圾站臭气熏天",
    "红枫家园北门旁边的垃圾站每天堆满垃圾，夏天臭气熏天，苍蝇乱飞，居民开窗都不敢，"
    "希望环卫部门尽快清运并搬迁垃圾站。",
)
LIFT_QINGSONG = (
    "A3区青松苑小区电梯经常故障困人",
    "青松苑小区3栋电梯上个月停运四次，老人被困在轿厢里半个小时，维修资金迟迟不到位，"
    "请质监部门检查电梯安全。",
)
ROAD_NOISE = (
    "A5区桂湖路夜间施工噪音扰民",
    "桂湖路修地下管网，每天晚上十一点以后挖掘机还在作业，噪音很大，附近居民无法入睡，"
    "请城管部门查处夜间违规施工。",
)
SCHOOL_FEES = (
    "A6区育才中学违规收取补课费",
    "育才中学初三年级要求每个学生交补课费八百元，周末强制补课，家长负担很重，"
    "请教育部门调查乱收费。",
)
BUS = (
    "12路公交车经常不按时发车",
    "12路公交车早高峰经常二十分钟才来一班，上班族天天迟到，希望公交公司增加早高峰班次。",
)


def message(
    mid: int | str, title_text: tuple[str, str], day: float = 0.0, **fields: object
) -> Message:
    """A ``Message`` from a (title, text) pair, ``day`` days after ``START``."""
    title, text = title_text
    return Message(id=mid, title=title, text=text, at=START + timedelta(days=day), **fields)  # type: ignore[arg-type]
