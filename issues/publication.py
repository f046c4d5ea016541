"""The publication policy: whether an issue may be shown to the public, and in what form.

A complaint can expose its resident to the very person complained about, so every public
surface — Open311 (``requests``, ``requests/<id>``, ``servicerequestupdates``), the tracking
page of a merged report, hot issues, maps — asks here, and shows nothing of an issue this
module does not give it.

Whether (:func:`publication_refusal`, :func:`is_publishable`, :func:`publishable_issues`)
    An issue is published only when it was not filed anonymously, the resident did not ask
    to keep it private (``Issue.keep_private``: the form's and the API's ``keep_private``),
    it has a category and neither that category nor one above it is private
    (``Category.private``: e.g. women and children, labour disputes), and it was not
    rejected (spam, not a public matter). An issue not yet categorised is not published:
    whether its category is private is not known yet.

What (:func:`public_issue` → :class:`PublicIssue`)
    - the summary: ``Issue.public_summary`` when staff wrote or approved one, otherwise the
      description through :func:`scrub` (phone numbers, ID numbers, e-mail addresses,
      messaging accounts, room numbers and names removed — a filter, not a guarantee: staff
      approve a summary where it matters); the title through :func:`scrub` too;
    - the place: the coordinates rounded to ``PLACE_DECIMALS`` (about 100 m) and the name of
      the finest area containing them (community, street or district); never the address the
      resident typed, never the exact point;
    - never contact fields, photos, answers to the category's questions or the access token.

The timeline (:func:`public_updates`, :func:`public_note`)
    The steps of the case (received, sent to an organisation, accepted, resolved, merged,
    closed) without their notes; the words of staff only where staff marked a reply or a
    resolution published (``Update.published``), through :func:`scrub`; never a resident's
    words (reopen reasons, ratings), and no reply that was not marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.areas import AreaLocator, LocatedArea, area_locator

from .models import Category, Issue, Update

# 0.001° is 111 m north–south and about 85 m east–west at Beijing's latitude.
PLACE_DECIMALS = 3
SUMMARY_MAX_LENGTH = 4000
MASK = "***"

# Refusals, by code (for logs, tests and a staff page that says why).
ANONYMOUS = "anonymous"
KEPT_PRIVATE = "kept_private"
UNCATEGORISED = "uncategorised"
PRIVATE_CATEGORY = "private_category"
REJECTED = "rejected"
# The same, in words for staff pages.
REFUSAL_LABELS = {
    ANONYMOUS: _("Not published: reported anonymously."),
    KEPT_PRIVATE: _("Not published: kept private by the resident or the dispatch centre."),
    UNCATEGORISED: _("Not published until it has a category."),
    PRIVATE_CATEGORY: _("Not published: its category is private."),
    REJECTED: _("Not published: rejected."),
}

# Notes staff write for the resident, published only when marked.
STAFF_NOTE_KINDS = (Update.Kind.REPLIED, Update.Kind.RESOLVED)
# Notes that are no one's words (the other report's tracking number).
PLAIN_NOTE_KINDS = (Update.Kind.MERGED,)
# The resident's own act, worded for them ("Your rating"): on no public timeline.
RESIDENT_KINDS = (Update.Kind.FEEDBACK, Update.Kind.FOLLOW_UP)


@dataclass(frozen=True)
class PublicPlace:
    """Where, as the public may know it: a rounded point and the area it falls in."""

    lat: float | None
    lon: float | None
    area: LocatedArea | None

    @property
    def area_name(self) -> str | None:
        return self.area.name if self.area else None


@dataclass(frozen=True)
class PublicIssue:
    """What the public may know of one issue."""

    issue_id: int
    tracking_number: str
    title: str
    summary: str
    category: Category | None
    status: str
    created_at: datetime
    place: PublicPlace
    media_url: str


# ------------------------------------------------------------------------------ whether


def private_category_ids() -> frozenset[int]:
    """The categories never published: the private ones and every category below one."""
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    private = set(Category.objects.filter(private=True).values_list("pk", flat=True))
    found: set[int] = set()
    for pk in parents:
        seen: set[int] = set()
        node: int | None = pk
        while node is not None and node not in seen:
            if node in private:
                found.add(pk)
                break
            seen.add(node)
            node = parents.get(node)
    return frozenset(found)


def publication_refusal(issue: Issue) -> str | None:
    """Why ``issue`` may not be published (one of the codes above), or None when it may."""
    if issue.anonymous:
        return ANONYMOUS
    if issue.keep_private:
        return KEPT_PRIVATE
    if issue.category_id is None:
        return UNCATEGORISED
    if any(category.private for category in issue.category.ancestors()):
        return PRIVATE_CATEGORY
    if issue.status == Issue.Status.REJECTED:
        return REJECTED
    return None


def is_publishable(issue: Issue) -> bool:
    return publication_refusal(issue) is None


def publishable_issues(issues: QuerySet[Issue] | None = None) -> QuerySet[Issue]:
    """``issues`` (default: all) less those :func:`publication_refusal` refuses, in SQL."""
    issues = Issue.objects.all() if issues is None else issues
    return (
        issues.filter(anonymous=False, keep_private=False, category__isnull=False)
        .exclude(category_id__in=private_category_ids())
        .exclude(status=Issue.Status.REJECTED)
    )


# ------------------------------------------------------------------------------ what


def public_place(issue: Issue, *, areas: AreaLocator | None = None) -> PublicPlace:
    """The issue's point rounded to about 100 m, and the finest area that contains it."""
    if issue.lat is None or issue.lon is None:
        return PublicPlace(lat=None, lon=None, area=None)
    areas = areas if areas is not None else area_locator()
    return PublicPlace(
        lat=round(issue.lat, PLACE_DECIMALS),
        lon=round(issue.lon, PLACE_DECIMALS),
        area=areas.at(lon=issue.lon, lat=issue.lat),
    )


def public_summary(issue: Issue) -> str:
    """The staff's summary, or the description with personal data removed."""
    text = issue.public_summary.strip() or scrub(issue.description, names=_names(issue))
    return text[:SUMMARY_MAX_LENGTH]


def public_title(issue: Issue) -> str:
    """The title with personal data removed, as every public surface shows it."""
    return scrub(issue.title, names=_names(issue))


def public_issue(issue: Issue, *, areas: AreaLocator | None = None) -> PublicIssue | None:
    """What the public may know of ``issue``; None when it may not be published at all.

    Pass ``areas`` (``agencies.areas.area_locator()``) when building many, to look the
    areas up once.
    """
    if not is_publishable(issue):
        return None
    return PublicIssue(
        issue_id=issue.pk,
        tracking_number=issue.tracking_number,
        title=public_title(issue),
        summary=public_summary(issue),
        category=issue.category,
        status=issue.status,
        created_at=issue.created_at,
        place=public_place(issue, areas=areas),
        media_url=issue.media_url,
    )


def _public_steps(updates: QuerySet[Update]) -> QuerySet[Update]:
    return updates.exclude(kind__in=RESIDENT_KINDS).exclude(
        kind=Update.Kind.REPLIED, published=False
    )


def public_updates(updates: QuerySet[Update] | None = None) -> QuerySet[Update]:
    """The timeline entries the public may see: of publishable issues, less the replies
    staff did not mark published and the resident's rating. Show each one's
    :func:`public_note`, never ``note``."""
    updates = Update.objects.all() if updates is None else updates
    return _public_steps(updates.filter(issue__in=publishable_issues()))


def public_timeline(issue: Issue) -> list[tuple[Update, str]]:
    """One issue's steps as someone other than its resident may follow them (the resident of
    a report merged into it): every step but the rating and unpublished replies, each with
    its :func:`public_note` when the issue is publishable, with no words otherwise."""
    words = is_publishable(issue)
    steps = _public_steps(issue.updates.select_related("agency", "issue").order_by("at", "id"))
    return [(update, public_note(update) if words else "") for update in steps]


def public_note(update: Update) -> str:
    """The words of ``update`` the public may read: a published staff note (scrubbed), the
    tracking number of a merge, otherwise nothing."""
    if update.kind in STAFF_NOTE_KINDS and update.published:
        return scrub(update.note, names=_names(update.issue))
    if update.kind in PLAIN_NOTE_KINDS:
        return update.note
    return ""


# ------------------------------------------------------------------------------ scrubbing

# The most common Chinese surnames (and a few of two characters): a name is recognised by
# its surname before a title ("王先生") or after a self-introduction ("我叫王秀英").
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|"
    "["
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋"
    "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎"
    "段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪"
    "庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛"
    "曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦"
    "褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇"
    "桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "]"
)
_TITLES = (
    "先生|女士|小姐|老师|师傅|阿姨|大爷|大妈|大姐|大哥|奶奶|爷爷|老板|经理|主任|书记|同志|"
    "医生|律师|警官"
)
# After these a name is all but certain; after the weak ones ("我是时代中心的业主", "本人党费")
# only a name of two or three characters followed by punctuation counts.
_INTRODUCTIONS = "我叫|名叫|姓名|联系人|投诉人|反映人|举报人"
_WEAK_INTRODUCTIONS = "我是|本人|户主|业主"
_NAME_ENDS = r"(?=[，,。.、；;：:！!？?（(\s]|$)"

_KEEP = re.compile(r"(?<![A-Za-z0-9-])\d{8}-[2-9A-Z]{6}(?![A-Za-z0-9-])")  # tracking numbers stay
# Each pattern with a cheap test of whether it can match at all (a search for literal
# words or one character class): most descriptions have no e-mail address, room number or
# English name, and skipping those passes keeps a page of a thousand summaries fast.
_HAS_DIGIT_RUN = re.compile(r"\d(?:[\s-]?\d){6}")
_HAS_TRACKING_NUMBER = re.compile(r"\d{8}-")


def _has_any(*needles: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)


_PATTERNS: list[tuple[re.Pattern[str], re.Pattern[str], str]] = [
    # e-mail addresses
    (_has_any("@"), re.compile(r"[A-Za-z0-9._%+-]+@[\w-]+(?:\.[\w-]+)+"), MASK),
    # resident ID numbers: 17 digits and a check digit or X
    (_HAS_DIGIT_RUN, re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"), MASK),
    # mobile numbers of mainland China, also +86 and grouped
    (
        _HAS_DIGIT_RUN,
        re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"),
        MASK,
    ),
    # landlines with their area code: 010-12345678, 0731 8888 1234
    (_HAS_DIGIT_RUN, re.compile(r"(?<!\d)0\d{2,3}[\s-]\d{3,4}[\s-]?\d{4}(?!\d)"), MASK),
    # any other run of seven digits or more (single spaces allowed): numbers of all sorts
    (
        _HAS_DIGIT_RUN,
        re.compile(r"(?<![\d+])(?<!\d\.)\+?\d(?:[ ]?\d){6,}(?!\d)(?!\.\d)"),
        MASK,
    ),
    # messaging accounts
    (
        _has_any("微信", "wechat", "weixin", "qq"),
        re.compile(r"(?i)(?P<keep>(?:微信号?|wechat|weixin|qq号?)[\s:：]*)[A-Za-z0-9_.-]{5,}"),
        r"\g<keep>" + MASK,
    ),
    # homes: building, unit and room (3号楼2单元501室, 3栋501, 3-2-501, Room 501, Flat 3B);
    # not a building alone, nor households counted ("1200户居民")
    (
        _has_any("室", "号房", "单元", "栋", "幢", "号楼"),
        re.compile(
            r"(?:\d+\s*(?:号楼|栋|幢|座)\s*)?(?:\d+\s*单元\s*)?\d+\s*(?:室|号房)"
            r"|(?:\d+\s*(?:号楼|栋|幢|座)\s*)?\d+\s*单元\s*\d+(?:\s*[号户])?"
            r"|\d+\s*(?:号楼|栋|幢)\s*\d{3,4}(?:\s*[号户])?(?!\d)"
        ),
        MASK,
    ),
    (_has_any("-"), re.compile(r"(?<![\d-])\d{1,3}-\d{1,2}-\d{3,4}(?![\d-])"), MASK),
    (
        _has_any("room", "flat", "apt", "suite"),
        re.compile(r"(?i)\b(?:room|flat|apt\.?|apartment|suite)\s*#?\s*\d+[a-z]?\b"),
        MASK,
    ),
    # names: a surname and a title, a self-introduction, English titles and introductions
    (_has_any(*_TITLES.split("|")), re.compile(rf"(?:{_SURNAMES})(?:{_TITLES})"), MASK),
    (
        _has_any(*_INTRODUCTIONS.split("|")),
        re.compile(
            rf"(?P<keep>(?:{_INTRODUCTIONS})[\s:：是为]*)(?:{_SURNAMES})[\u4e00-\u9fff]{{1,2}}"
        ),
        r"\g<keep>" + MASK,
    ),
    (
        _has_any(*_WEAK_INTRODUCTIONS.split("|")),
        re.compile(
            rf"(?P<keep>(?:{_WEAK_INTRODUCTIONS})[\s:：是为]*)"
            rf"(?:{_SURNAMES})[\u4e00-\u9fff]{{1,2}}{_NAME_ENDS}"
        ),
        r"\g<keep>" + MASK,
    ),
    (
        _has_any("Mr", "Ms", "Miss", "Mx", "Dr"),
        re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?"),
        MASK,
    ),
    (
        _has_any("name", "I am", "I'm", "contact"),
        re.compile(
            r"(?P<keep>\b(?:[Mm]y name is|I am|I'm|[Nn]ame:|[Cc]ontact:)\s+)"
            r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?"
        ),
        r"\g<keep>" + MASK,
    ),
]


def _names(issue: Issue) -> list[str]:
    return [issue.contact_name] if issue.contact_name else []


def _name_forms(name: str) -> list[str]:
    """The name and, for a full name, its parts that identify (a given name of two
    characters, a word of three letters or more), longest first."""
    name = name.strip()
    if len(name) < 2:
        return []
    forms = {name}
    if re.fullmatch(r"[\u4e00-\u9fff]{3,4}", name):
        forms.add(name[1:] if len(name) == 3 else name[2:])
    else:
        forms.update(part for part in re.split(r"[\s·.-]+", name) if len(part) >= 3)
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, *, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, ID numbers, e-mail addresses, messaging accounts, room
    numbers and names replaced by ``***``; ``names`` (the resident's own) wherever they
    appear. Tracking numbers are kept. A filter of patterns: it cannot know every name."""
    if not text:
        return ""
    kept: list[str] = []

    def hold(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    if _HAS_TRACKING_NUMBER.search(text):
        text = _KEEP.sub(hold, text)
    tested: dict[re.Pattern[str], bool] = {}
    for may_match, pattern, replacement in _PATTERNS:
        if may_match not in tested:
            tested[may_match] = may_match.search(text) is not None
        if tested[may_match]:
            text = pattern.sub(replacement, text)
    for name in names:
        for form in _name_forms(name):
            # Latin names as whole words ("Hua", not the "hua" of "Huaxi Road").
            bounded = rf"\b{re.escape(form)}\b" if form.isascii() else re.escape(form)
            text = re.sub(bounded, MASK, text, flags=re.IGNORECASE)
    return re.sub(
        r"\ue000(\d+)\ue001",
        lambda m: kept[int(m.group(1))] if int(m.group(1)) < len(kept) else "",
        text,
    )
