"""What the classifier gives the dispatcher and the handlers on their pages (the sections
themselves are template tags: ``templatetags/triage_help.py``): dispatching a triage issue
as a category, settling a doubt about a category, and duplicates (并单) — reviewing a pair,
proposing a merge, saying two issues differ."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from coordination.learning import selectors as learning
from coordination.learning import services as learning_services
from coordination.learning.duplicates import distance_m
from coordination.learning.models import DuplicateCandidate
from issues.models import Category
from platform_gov.pages import act

from ..forms import MergeForm
from ..permissions import is_dispatcher, issue_for_user
from ..services import categories
from .common import agency_member_required, dispatcher_required


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.name


class DispatchAsForm(forms.Form):
    category = CategoryField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(active=True),
        to_field_name="code",
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=1000, required=False)


class DoubtForm(forms.Form):
    keep = forms.ChoiceField(choices=[("resident", "resident"), ("predicted", "predicted")])


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_POST
@dispatcher_required
def issue_dispatch_as_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    form = DispatchAsForm(request.POST)
    category = form.cleaned_data["category"] if form.is_valid() else None
    act(
        request,
        form,
        lambda data: categories.issue_dispatch_as(
            issue_id=issue.pk, category=data["category"], actor=request.user, note=data["note"]
        ),
        _("%(number)s dispatched as %(category)s.")
        % {"number": issue.tracking_number, "category": category.name if category else ""},
        prefix=f"{issue.tracking_number}: ",
    )
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def category_doubt_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    act(
        request,
        DoubtForm(request.POST),
        lambda data: learning_services.disagreement_settle(
            issue=issue, keep_resident=data["keep"] == "resident", actor=request.user
        ),
        _("%(number)s: the category is settled; the classifier will learn from it.")
        % {"number": issue.tracking_number},
        prefix=f"{issue.tracking_number}: ",
    )
    return redirect(_back(request, reverse("coordination:dispatch") + "#doubts"))


def _pair(request: HttpRequest, issue_id: int, other_id: int):
    """Both issues, each one the user may see (404 otherwise), newer first."""
    if issue_id == other_id:
        raise Http404("An issue is not its own duplicate.")
    one = issue_for_user(user=request.user, issue_id=issue_id)
    two = issue_for_user(user=request.user, issue_id=other_id)
    return one, two


@agency_member_required
def duplicate_review(request: HttpRequest, issue_id: int, other_id: int) -> HttpResponse:
    """Two issues side by side: the merge proposed (the first into the second), for the
    dispatcher to confirm, swap or dismiss, or for a handler to propose to the dispatcher."""
    duplicate, survivor = _pair(request, issue_id, other_id)
    score = learning.text_likeness(duplicate, survivor)
    distance = (
        distance_m(duplicate.lat, duplicate.lon, survivor.lat, survivor.lon)
        if None not in (duplicate.lat, duplicate.lon, survivor.lat, survivor.lon)
        else None
    )
    candidate = learning.duplicate_candidate_between(duplicate, survivor)
    return render(
        request,
        "coordination/learning/duplicate_review.html",
        {
            "duplicate": duplicate,
            "survivor": survivor,
            "score": score,
            "distance": distance,
            "earlier": min(duplicate.created_at, survivor.created_at),
            "later": max(duplicate.created_at, survivor.created_at),
            "candidate": candidate,
            "dispatcher": is_dispatcher(request.user),
            "merge_form": MergeForm(
                initial={"issue": duplicate.tracking_number, "into": survivor.tracking_number}
            ),
        },
    )


@require_POST
@agency_member_required
def duplicate_propose_view(request: HttpRequest, issue_id: int, other_id: int) -> HttpResponse:
    one, two = _pair(request, issue_id, other_id)
    act(
        request,
        forms.Form(request.POST),
        lambda data: learning_services.duplicate_propose(
            issue=one, other=two, actor=request.user, score=learning.text_likeness(one, two)
        ),
        _("%(one)s and %(two)s: the merge was proposed; the dispatcher decides.")
        % {"one": one.tracking_number, "two": two.tracking_number},
    )
    return redirect(_back(request, reverse("coordination:staff_issue", args=[one.pk])))


@require_POST
@dispatcher_required
def duplicate_dismiss_view(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = (
        DuplicateCandidate.objects.filter(pk=candidate_id).select_related("issue", "other").first()
    )
    if candidate is None:
        raise Http404("No such pair.")
    learning_services.duplicate_dismiss(candidate=candidate, actor=request.user)
    messages.success(
        request,
        _("%(one)s and %(two)s are kept apart.")
        % {"one": candidate.issue.tracking_number, "two": candidate.other.tracking_number},
    )
    return redirect(_back(request, reverse("coordination:dispatch") + "#duplicates"))
