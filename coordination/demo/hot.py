"""The demo city's hot issues and a topic (专题), and its leader.

Complaints written for the demo (invented places and people): a rubbish station in Binhe that
many residents complain about over a week, night works on one road in Songlin, a lift in
Fengqiao, and a few single complaints. They are filed through the residents' service (so they
are routed as any report is), dated over the last days, clustered at once, and the rubbish
station is made a topic led by the Hedong street office with the city management and
environment bureaus, the Youth League's volunteers and the property company. ``leader`` (in
the group of city leaders) sees the whole city's hot issues and topics. Seeding twice files
nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.hot.models import HotMember, Topic
from coordination.hot.services.clustering import hot_assign_pending
from coordination.hot.services.topics import topic_create
from issues.models import Category, Issue, Update
from issues.services import issue_submit

from .users import Login, _Passwords, _user

LEADERS_GROUP = "city-leaders"

# (days ago, category, (lat, lon), title, description)
# fmt: off
COMPLAINTS: tuple[tuple[float, str, tuple[float, float] | None, str, str], ...] = (
    (8.2, "garbage-collection", (39.8912, 116.4105), "滨河小区北门垃圾站臭气熏天",
     "滨河小区北门的垃圾站每天堆满，夏天臭气熏天，苍蝇很多，请尽快清运。"),
    (6.5, "garbage-collection", (39.8915, 116.4101), "滨河小区垃圾站垃圾几天不清运",
     "北门垃圾站的垃圾好几天才运走一次，臭味飘到楼里，老人孩子都受不了。"),
    (5.1, "garbage-collection", (39.8909, 116.4108), "投诉滨河小区北门垃圾站臭味扰民",
     "垃圾站紧挨着3号楼，臭气熏天，窗户都不敢开，希望搬迁垃圾站。"),
    (3.4, "garbage-collection", (39.8913, 116.4104), "滨河小区北门垃圾站污水横流",
     "垃圾站的污水流到人行道上，又脏又臭，请城管处理。"),
    (2.2, "garbage-collection", (39.8911, 116.4107), "滨河小区垃圾站太臭了",
     "北门垃圾站臭气熏天，苍蝇蚊子多，孩子被咬了好几次。"),
    (0.9, "garbage-collection", (39.8914, 116.4102), "滨河小区北门垃圾站能否改成密闭式",
     "垃圾站是敞开的，臭气熏天，建议改成密闭式垃圾站并每天清运。"),
    (0.4, "garbage-collection", (39.8910, 116.4106), "滨河小区北门垃圾站又满了",
     "今天早上北门垃圾站又堆满了，臭气熏天。"),
    (4.0, "construction-noise-night", (39.9650, 116.4120), "松林路夜间施工噪音扰民",
     "松林路修管道，每天晚上十一点以后挖掘机还在干活，噪音太大睡不着。"),
    (2.6, "construction-noise-night", (39.9655, 116.4125), "松林路工地半夜施工",
     "松林路工地凌晨一点还在施工，噪音扰民，请查处夜间违规施工。"),
    (1.1, "construction-noise-night", (39.9648, 116.4118), "松林路晚上施工太吵",
     "松林路管道工程夜里施工，噪音很大，附近居民无法休息。"),
    (3.0, "lift-failure", (39.9620, 116.4700), "枫桥家园5号楼电梯经常故障",
     "枫桥家园5号楼电梯这个月坏了三次，老人被困在电梯里。"),
    (1.6, "lift-failure", (39.9622, 116.4702), "枫桥家园5号楼电梯又坏了",
     "5号楼电梯又停运了，物业说等配件，住高层的老人下不了楼。"),
    # A burst this morning: the early warning's demo (停水, in Xinqiao).
    *(
        (0.4 - n * 0.05, "water-cut", (39.8800 + n * 0.0003, 116.4700),
         f"新桥社区{n + 1}号楼停水", f"新桥社区{n + 1}号楼从今天早上开始停水，没有任何通知。")
        for n in range(6)
    ),
    (2.0, "bus-service", None, "12路公交早高峰班次太少",
     "12路公交早高峰二十分钟才来一班，希望增加班次。"),
    (1.3, "street-light", (39.9300, 116.3400), "荷塘路路灯不亮",
     "荷塘路中段的三盏路灯一周都不亮了，晚上走路很危险。"),
)
# fmt: on
TOPIC_TITLE = "滨河小区北门垃圾站整治"


def seed_leader(*, password: str, reset: bool) -> tuple[Login, int]:
    """``leader``: the city's leaders see every hot issue, topic and figure (read only)."""
    group, _created = Group.objects.get_or_create(name=LEADERS_GROUP)
    permission = Permission.objects.get(codename="view_city", content_type__app_label="hot")
    group.permissions.add(permission)
    user, created = _user("leader", passwords=_Passwords(password), reset=reset)
    user.groups.add(group)
    return Login("leader", _("city leader"), _("hot issues and topics, /hot/")), int(created)


def seed_hot_issues(agencies: dict[str, Agency], dispatcher) -> tuple[int, bool]:
    """File the demo complaints once, cluster them, and make the rubbish station a topic.
    Returns (complaints, whether anything was new)."""
    if Issue.objects.filter(title=COMPLAINTS[0][3]).exists():
        return len(COMPLAINTS), False
    categories = {c.code: c for c in Category.objects.all()}
    now = timezone.now()
    for n, (days, category, place, title, text) in enumerate(COMPLAINTS, start=1):
        lat, lon = place if place else (None, None)
        issue = issue_submit(
            title=title,
            description=text,
            category=categories.get(category),
            lat=lat,
            lon=lon,
            address="" if place else "12路公交",
            contact_email=f"demo-resident-{n}@example.org",
        )
        # Spread over the last days, as they would have come in.
        at = now - timedelta(days=days)
        Issue.objects.filter(pk=issue.pk).update(created_at=at)
        Update.objects.filter(issue=issue, kind=Update.Kind.SUBMITTED).update(at=at)
    hot_assign_pending(since=None)
    first = Issue.objects.get(title=COMPLAINTS[0][3])
    hot = HotMember.objects.get(issue=first).hot_issue
    if not Topic.objects.filter(title=TOPIC_TITLE).exists():
        today = timezone.localdate()
        topic_create(
            actor=dispatcher,
            title=TOPIC_TITLE,
            goal="把滨河小区北门的敞开式垃圾站改造为密闭式，日产日清，污水不再外流。",
            lead=agencies["street-east"],
            participants=[
                agencies["urban"],
                agencies["env"],
                agencies["youth-league"],
                agencies["property"],
            ],
            due_on=today + timedelta(days=45),
            hot_issue=hot,
            milestones=[
                ("选址和改造方案论证", today + timedelta(days=7)),
                ("密闭式垃圾站改造完工", today + timedelta(days=30)),
            ],
        )
    return len(COMPLAINTS), True
