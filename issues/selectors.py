"""Reads of issues that are more than a ``.get()``."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import BooleanField, Expression, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from agencies.models import Membership
from platform_gov.collation import search_text, sort_key

from .models import OPERATORS_GROUP, Attachment, Category, Issue, Update


def channel_allowed(*, user, channel: str) -> bool:
    """Whether ``user`` may record an issue as having come by ``channel`` through the REST API:
    anybody the public channels (web, app, mini-program, WeChat, API); staff of an
    organisation, operators and administrators also phone, e-mail, letter and walk-in;
    nobody Open311 (that endpoint sets it itself)."""
    if channel in Issue.PUBLIC_CHANNELS:
        return True
    if channel not in Issue.STAFF_CHANNELS or not user.is_authenticated:
        return False
    return bool(
        user.is_superuser
        or user.groups.filter(name=OPERATORS_GROUP).exists()
        or Membership.objects.filter(user=user, agency__active=True).exists()
    )


def category_choices() -> QuerySet[Category]:
    """Active categories, parents before their children, for forms and the API."""
    return (
        Category.objects.filter(active=True)
        .select_related("parent")
        .order_by("parent__code", "code")
    )


def category_grouped_choices(*, language: str, empty_label: str) -> tuple[list, dict[str, str]]:
    """The active categories as grouped choices for a select: each top category an optgroup
    holding itself ("…: something else") and its children, groups and options sorted as
    ``language``'s readers expect; top categories without children (其他 Other) last, on
    their own. Also ``search``: value → the names and pinyin a searchable list matches.
    """
    categories = list(category_choices())
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    tops = [c for c in categories if not c.parent_id]

    def key(category: Category) -> tuple[str, str]:
        return sort_key(category.name, language)

    search = {
        str(c.pk): search_text(
            c.name_zh, c.name_en, *((c.parent.name_zh, c.parent.name_en) if c.parent_id else ())
        )
        for c in categories
    }
    grouped: list = [("", empty_label)]
    alone = []
    for top in sorted(tops, key=key):
        kids = sorted(children.get(top.pk, []), key=key)
        if not kids:
            alone.append((top.pk, top.name))
            continue
        general = _("%(name)s: something else") % {"name": top.name}
        grouped.append((top.name, [(top.pk, general)] + [(kid.pk, kid.name) for kid in kids]))
    return grouped + alone, search


def issue_by_access_token(*, token: str) -> Issue:
    """The issue behind a resident's link; 404 when no issue has that token."""
    # ``get``, not ``first``: a token is unique, and ``first`` orders (and compiles) by date.
    try:
        return Issue.objects.select_related("category").get(access_token=token)
    except Issue.DoesNotExist:
        raise Http404("No issue has this tracking link.") from None


def with_photo_flag(issues: QuerySet[Issue]) -> QuerySet[Issue]:
    """``issues``, each with ``has_photos``: whether any photo is attached, so that a page
    showing an issue without photos (most) skips asking for them (``issue_shown_photos``).
    Plain SQL for the flag: the ORM's ``Exists`` took longer to compile than the query it
    saves took to run."""
    # Only the models' own table names go into the text; nothing a person typed.
    has_photos = RawSQL(  # noqa: S611
        f'EXISTS (SELECT 1 FROM "{Attachment._meta.db_table}" photo '  # noqa: S608
        f'WHERE photo."issue_id" = "{Issue._meta.db_table}"."id")',
        (),
        output_field=BooleanField(),
    )
    return issues.annotate(has_photos=has_photos)


# Facts other apps show on the tracking page, read in the issue's own SQL statement instead
# of a statement more each (the page is the one residents reload). The hot room registers its
# marks, the dispatcher the expected deadline, each in its app's ``ready``; each reads its
# annotations when present and asks the database itself when not (an issue fetched elsewhere).
_TRACKING_FACTS: list[Callable[[], dict[str, Expression]]] = []


def tracking_facts_register(facts: Callable[[], dict[str, Expression]]) -> None:
    """Have ``issue_tracked`` annotate each issue with ``facts()``: annotation names and
    expressions on the issue's own row (typically sub-selects by ``issues_issue.id``)."""
    if facts not in _TRACKING_FACTS:
        _TRACKING_FACTS.append(facts)


def issue_tracked(*, token: str) -> Issue:
    """The issue behind a resident's link, for its tracking page: as ``issue_by_access_token``,
    with ``has_photos`` (``with_photo_flag``) and the registered tracking facts."""
    facts = {name: expression for make in _TRACKING_FACTS for name, expression in make().items()}
    issues = with_photo_flag(Issue.objects.select_related("category")).annotate(**facts)
    try:
        return issues.get(access_token=token)
    except Issue.DoesNotExist:
        raise Http404("No issue has this tracking link.") from None


def issue_by_tracking_number(*, number: str, check: str) -> Issue | None:
    """The issue with this tracking number, if ``check`` is the last four digits of the phone
    the resident gave or their e-mail address; else None (whether the number exists or not,
    so the answer tells nothing to someone guessing)."""
    issue = Issue.objects.filter(tracking_number=number.upper()).first()
    if issue is None:
        return None
    check = check.strip()
    digits = "".join(c for c in issue.contact_phone if c.isdigit())
    if len(check) == 4 and check.isdigit() and len(digits) >= 4:
        matched = constant_time_compare(digits[-4:], check)
    elif "@" in check and issue.contact_email:
        matched = constant_time_compare(issue.contact_email.lower(), check.lower())
    else:
        matched = False
    return issue if matched else None


def issue_public_timeline(*, issue: Issue) -> QuerySet[Update]:
    return issue.updates.select_related("agency").order_by("at", "id")


def issues_reported_by(*, user) -> QuerySet[Issue]:
    """The issues a signed-in resident filed, newest first: their "my issues".

    This is the resident's own list, shown the way the tracking page shows an issue (no
    handlers' names, no internal notes); it is not a way into the staff pages, which ask
    ``coordination.dispatch.permissions.issues_visible_to``.
    """
    if not user.is_authenticated:
        return Issue.objects.none()
    return (
        Issue.objects.filter(reporter=user)
        .select_related("category")
        .order_by("-created_at", "-id")
    )


def issue_photos(*, issue: Issue) -> QuerySet[Attachment]:
    """The issue's photos in the order the resident gave them."""
    return issue.attachments.order_by("position", "id")


def issue_shown_photos(*, issue: Issue) -> QuerySet[Attachment] | tuple:
    """``issue_photos``, asked for only when ``issue`` carries ``has_photos``
    (``with_photo_flag``) and it is true."""
    return issue_photos(issue=issue) if issue.has_photos else ()


def issue_photo(*, issue: Issue, photo_id: int) -> Attachment:
    """One photo of this issue; 404 when missing or another issue's (the caller has already
    checked the user may see ``issue``)."""
    attachment = issue.attachments.filter(pk=photo_id).first()
    if attachment is None:
        raise Http404("No such photo.")
    return attachment
