"""Every write to issues: filing them and adding to their public timeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.selectors import area_ids_at
from platform_gov.errors import WorkflowError
from platform_gov.throttling import resilient_cache

from .models import (
    Attachment,
    Category,
    ContactAccess,
    Feedback,
    Issue,
    Update,
    new_tracking_number,
)
from .photos import Photo, photos_check_count
from .signals import issue_rated, issue_reopened, issue_submitted

logger = logging.getLogger(__name__)

TRACKING_NUMBER_ATTEMPTS = 5


def issue_submit(
    *,
    title: str,
    description: str,
    category: Category | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    anonymous: bool = False,
    channel: str = Issue.Channel.WEB,
    priority: str = Issue.Priority.NORMAL,
    reporter: AbstractBaseUser | None = None,
    answers: dict[str, Any] | None = None,
    require_answers: bool = False,
    photos: Sequence[Photo] = (),
    share_contact_with_partners: bool = False,
    keep_private: bool = False,
    media_url: str = "",
) -> Issue:
    """File a resident's issue and announce it for routing.

    Validates every field (raises ``django.core.exceptions.ValidationError`` naming the
    field), saves the issue with status ``submitted`` and a first public update, and sends
    ``issue_submitted`` inside the same transaction; the coordination app records the
    submission and enqueues routing once the transaction commits. A clash of the random
    tracking number is retried with a new one.

    ``photos`` are ``issues.photos.Photo``: uploads already checked and re-encoded by
    ``photos_prepare``. Their files are written to the private storage inside the same
    transaction, one Attachment row each, in the order given; if the filing fails, the files
    it wrote are deleted before the error propagates (``photos_sweep_orphans`` removes
    those of a caller's transaction rolled back later). ``share_contact_with_partners`` is
    the resident's consent that enterprise partners see the contact; an anonymous report
    gives none, whatever it says. ``keep_private`` keeps the issue off every public surface
    (``issues.publication``); ``media_url`` is a partner's link to a photo, never fetched.
    """
    issue_check_description(description)
    checked_answers = issue_check_answers(
        category=category, answers=answers or {}, require=require_answers
    )
    photos = list(photos)
    issue_check_photos(photos=photos)
    for attempt in range(TRACKING_NUMBER_ATTEMPTS):
        issue = Issue(
            title=title.strip(),
            description=description.strip(),
            category=category,
            lat=lat,
            lon=lon,
            address=address.strip(),
            area_id=_area_id(lat=lat, lon=lon),
            contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(),
            contact_email=contact_email.strip(),
            anonymous=anonymous,
            share_contact_with_partners=bool(share_contact_with_partners) and not anonymous,
            keep_private=bool(keep_private),
            media_url=media_url.strip(),
            channel=channel,
            priority=priority,
            reporter=reporter if reporter is not None and reporter.is_authenticated else None,
            answers=checked_answers,
            language=resident_language(),
        )
        if attempt:
            issue.tracking_number = new_tracking_number()
        # The category came loaded and the area from the city's own shapes: asking the
        # database whether they exist, and to evaluate the coordinates' check, took three
        # of a filing's queries. The check is asked of Python instead (the same rule).
        issue.full_clean(
            exclude=["category", "area"], validate_unique=False, validate_constraints=False
        )
        issue_check_coordinates(issue)
        written: list[str] = []
        try:
            with transaction.atomic():
                issue.save()
                Update.objects.create(issue=issue, kind=Update.Kind.SUBMITTED, at=issue.created_at)
                _attachments_create(issue=issue, photos=photos, written=written)
                issue_submitted.send(sender=Issue, issue=issue)
        except IntegrityError:
            _files_delete(written)
            if Issue.objects.filter(tracking_number=issue.tracking_number).exists():
                continue  # another issue took this tracking number first: draw again
            raise
        except BaseException:
            _files_delete(written)  # the rows are gone with the transaction: so go the files
            raise
        return issue
    raise RuntimeError("could not draw a free tracking number")  # pragma: no cover


COORDINATES_CONSTRAINT = "issues_issue_coordinates_in_range"


def issue_check_coordinates(issue: Issue) -> None:
    """The model's check of the coordinates, in Python: the database still enforces it; this
    raises the ValidationError ``full_clean`` would, without the query Django evaluates a
    check constraint with. A test keeps the two in step.

    As SQL reads the constraint (a NULL passes a CHECK), a coordinate given out of range is
    refused, and a place with one coordinate only is not: the forms and the API refuse that.
    """
    lat, lon = issue.lat, issue.lon
    if (lat is None or -90 <= lat <= 90) and (lon is None or -180 <= lon <= 180):
        return
    constraint = next(c for c in Issue._meta.constraints if c.name == COORDINATES_CONSTRAINT)
    raise ValidationError(
        {
            NON_FIELD_ERRORS: [
                ValidationError(
                    constraint.get_violation_error_message(),
                    code=constraint.violation_error_code,
                )
            ]
        }
    )


def issue_check_description(description: str) -> None:
    """Raises ValidationError naming ``description`` when it is longer than the model allows
    (``full_clean`` checks a CharField's ``max_length``, not a TextField's)."""
    limit = Issue._meta.get_field("description").max_length
    if len(description.strip()) > limit:
        raise ValidationError(
            {
                "description": [
                    _("Ensure this value has at most %(limit)d characters.") % {"limit": limit}
                ]
            }
        )


def _area_id(*, lat: float | None, lon: float | None) -> int | None:
    """The smallest area holding the place, or None (no place, or outside every area)."""
    if lat is None or lon is None:
        return None
    found = area_ids_at(lon=lon, lat=lat)
    return found[-1] if found else None


def resident_language() -> str:
    """The platform language closest to the one this request is served in (the page the
    resident filed from, or the API's ``Accept-Language``)."""
    active = translation.get_language() or settings.LANGUAGE_CODE
    codes = [code for code, _name in settings.LANGUAGES]
    for candidate in (active.lower(), active.split("-")[0].lower()):
        for code in codes:
            if code == candidate or code.split("-")[0] == candidate:
                return code
    return settings.LANGUAGE_CODE


def issue_check_photos(*, photos: Sequence[Photo]) -> None:
    """Raises ValidationError ``{"photos": [...]}`` for too many photos, or for anything that
    did not come out of ``issues.photos.photos_prepare`` (an upload as it came, say)."""
    photos_check_count(len(photos))
    if not all(isinstance(photo, Photo) for photo in photos):
        raise ValidationError({"photos": [_("Photos must be checked before they are stored.")]})


def _attachments_create(*, issue: Issue, photos: Sequence[Photo], written: list[str]) -> None:
    """Write each photo's file and its row; ``written`` collects the names as files land, so
    the caller can delete them when the transaction does not commit."""
    for position, photo in enumerate(photos):
        attachment = Attachment(
            issue=issue,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            size=photo.size,
            sha256=photo.sha256,
            position=position,
        )
        # The name is attachment_path's random one; this one only gives the storage a suffix.
        attachment.file.save(f"photo.{photo.extension}", ContentFile(photo.content), save=False)
        written.append(attachment.file.name)
        attachment.full_clean(validate_unique=False)
        attachment.save()


def _files_delete(names: Sequence[str]) -> None:
    if not names:
        return
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # the sweep will find it
            logger.warning("could not delete photo file %s", name, exc_info=True)


def issue_check_answers(
    *, category: Category | None, answers: dict[str, Any], require: bool = False
) -> dict[str, Any]:
    """The answers to the category's questions, checked and in stored form.

    Raises ValidationError ``{"answers": ["code: message", ...]}`` for answers of the wrong
    type or choice, answers to questions the category does not ask, and — with ``require``,
    for channels that show the questions (Open311 clients read them from the service
    definition) — missing answers to required questions.
    """
    questions = {q.code: q for q in category.questions.all()} if category else {}
    errors: dict[str, str] = {}
    checked: dict[str, Any] = {}
    for code in answers:
        if code not in questions:
            errors[code] = str(_("No such question in this category."))
    for code, question in questions.items():
        if code not in answers and not require:
            continue
        try:
            value = question.check_answer(answers.get(code))
        except ValidationError as error:
            errors[code] = " ".join(error.messages)
            continue
        if value is not None:
            checked[code] = value
    if errors:
        raise ValidationError(
            {"answers": [f"{code}: {message}" for code, message in sorted(errors.items())]}
        )
    return checked


def issue_add_update(
    *,
    issue: Issue,
    kind: str,
    note: str = "",
    agency: Agency | None = None,
    published: bool = False,
) -> Update:
    """Add one entry to the resident's public timeline. Callers run it in their transaction.

    ``agency`` names the organisation the resident should know about (the one now handling
    the issue); no person is ever named on the public timeline. ``published``: staff marked
    the note for everyone, not only the resident (``issues.publication``).
    """
    update = Update(issue=issue, kind=kind, note=note, agency=agency, published=published)
    update.full_clean()
    update.save()
    return update


def issues_add_updates(updates: Sequence[Update]) -> list[Update]:
    """:func:`issue_add_update` for many entries at once (a batch of routings), in one
    insert. Each is checked as one would be, but for the rows it points to, which the
    caller has just read."""
    for update in updates:
        update.full_clean(exclude=["issue", "agency"])
    return Update.objects.bulk_create(updates)


# ----------------------------------------------------------------- the resident's follow-up


def issue_feedback(*, issue_id: int, rating: int, comment: str = "") -> Feedback:
    """The resident rates the resolution (回访), once per resolution.

    Records the rating and its public update, and announces ``issue_rated`` in the same
    transaction: the dispatcher closes the issue (3–5) or sends it back to the same lead as
    redo (1–2). Raises ValidationError ``{"rating": …}`` for a rating outside 1–5, and
    WorkflowError unless the issue is resolved and this resolution not yet rated.
    """
    if rating not in range(1, 6):
        raise ValidationError({"rating": [_("A rating is from 1 to 5.")]})
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        if issue.status != Issue.Status.RESOLVED:
            raise WorkflowError(
                _("You can rate an issue once it is resolved."), code="not_resolved"
            )
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    issue=issue,
                    rating=rating,
                    comment=comment.strip(),
                    round=issue.redo_count,
                    at=timezone.now(),
                )
        except IntegrityError as error:
            raise WorkflowError(
                _("This resolution has been rated already."), code="rated_already"
            ) from error
        issue_add_update(issue=issue, kind=Update.Kind.FEEDBACK, note=f"{rating}/5")
        issue_rated.send(sender=Issue, issue=issue, feedback=feedback)
    return feedback


def issue_reopen_window_open(issue: Issue) -> bool:
    """Whether the resident may still reopen the issue: resolved or closed, within
    ``REOPEN_WINDOW`` of its resolution."""
    return (
        issue.status in (Issue.Status.RESOLVED, Issue.Status.CLOSED)
        and issue.resolved_at is not None
        and timezone.now() - issue.resolved_at <= settings.REOPEN_WINDOW
    )


def issue_reopen(*, issue_id: int, reason: str) -> Issue:
    """The resident reopens a resolved (or closed) issue within the reopen window.

    Announces ``issue_reopened`` in the transaction (the dispatcher sends it back to its
    lead as redo) and adds the reason to the public timeline. Raises WorkflowError without a
    reason, for an issue not resolved or closed, or once the window has passed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("Say what is still wrong."), code="reason_required")
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        if issue.status not in (Issue.Status.RESOLVED, Issue.Status.CLOSED):
            raise WorkflowError(_("Only a resolved issue can be reopened."), code="not_resolved")
        if not issue_reopen_window_open(issue):
            raise WorkflowError(
                _("The time to reopen this issue has passed."), code="reopen_window_passed"
            )
        issue_reopened.send(sender=Issue, issue=issue, reason=reason)
        issue_add_update(issue=issue, kind=Update.Kind.REOPENED, note=reason)
    return issue


def contact_access_record(*, user, issue: Issue, level: str, via: str) -> None:
    """Write the audit row for a view of a resident's contact (nothing when none was shown).

    ``level`` is ``full`` or ``masked`` (anything else records nothing); ``via`` is
    ``page``, ``api`` or ``admin``. Only ids and the level are recorded: the contact itself
    never goes into a log.

    Views by the same person of the same issue, at the same level and the same way, within
    ``CONTACT_ACCESS_WINDOW_SECONDS`` of the first are that first row: the case page is
    opened again after every action on it, and a row per reload said no more (who, which
    issue, how much, where, from when) than one per window. A shared-cache key per window
    tells; it is taken before the row is written and given back if the write fails, and
    without the shared cache each process keeps its own (a row more, never one less).
    ``0`` records every view.
    """
    if level not in (ContactAccess.Level.FULL, ContactAccess.Level.MASKED) or not (
        issue.contact_name or issue.contact_phone or issue.contact_email
    ):
        return
    window = settings.CONTACT_ACCESS_WINDOW_SECONDS
    key = f"contact-access:{user.pk}:{issue.pk}:{level}:{via}"
    if window > 0 and not resilient_cache.add(key, 1, timeout=window):
        return  # already on the record for this window
    try:
        ContactAccess.objects.create(user=user, issue=issue, level=level, via=via)
    except BaseException:
        if window > 0:
            resilient_cache.delete(key)
        raise


# ----------------------------------------------------------------------------- publication


def issue_publication_set(
    *,
    issue_id: int,
    public_summary: str | None = None,
    keep_private: bool | None = None,
) -> Issue:
    """Staff's part in the publication policy (``issues.publication``): approve the text the
    public sees instead of the description (``public_summary``; empty: the scrubbed
    description again), or withhold the issue from publication (``keep_private=True``).

    Only the dispatcher may call this (the caller asks ``coordination.dispatch.permissions``).
    Withholding cannot be undone here: a resident's choice and a staff's decision look alike,
    and neither may be reversed by a click (an administrator can, in the admin). Raises
    ValidationError naming ``public_summary`` when it is too long, WorkflowError when asked
    to publish what is withheld.
    """
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        fields: list[str] = []
        if public_summary is not None:
            limit = Issue._meta.get_field("public_summary").max_length
            summary = public_summary.strip()
            if len(summary) > limit:
                raise ValidationError(
                    {
                        "public_summary": [
                            _("Ensure this value has at most %(limit)d characters.")
                            % {"limit": limit}
                        ]
                    }
                )
            issue.public_summary = summary
            fields.append("public_summary")
        if keep_private is not None:
            if issue.keep_private and not keep_private:
                raise WorkflowError(
                    _("This issue is kept private; only an administrator can publish it."),
                    code="kept_private",
                )
            issue.keep_private = keep_private
            fields.append("keep_private")
        if fields:
            issue.save(update_fields=[*fields, "updated_at"])
    return issue
