"""The administrator's classifier pages: the versions with their figures, activation and
rollback (as for rule sets, ``/coordination/rules/``)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from platform_gov.pages import act

from .forms import NoteForm
from .models import CategoryLabel, ClassifierActivation, CorpusText
from .permissions import can_manage_classifier
from .selectors import active_version, classifier_versions, labels_since
from .services import classifier_activate, classifier_rollback


def classifier_admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not can_manage_classifier(request.user):
            raise PermissionDenied(_("This page is for administrators of the classifier."))
        return view(request, *args, **kwargs)

    return wrapped


@classifier_admin_required
def classifier_list(request: HttpRequest) -> HttpResponse:
    active = active_version()
    corpora = list(CorpusText.objects.values("corpus").annotate(n=Count("id")).order_by("corpus"))
    labels = CategoryLabel.objects.aggregate(
        total=Count("id"),
        corrected=Count("id", filter=Q(kind=CategoryLabel.Kind.CORRECTED)),
        bounced=Count("id", filter=Q(bounced=True)),
    )
    return render(
        request,
        "coordination/learning/classifier_list.html",
        {
            "versions": classifier_versions()[:50],
            "active": active,
            "activations": ClassifierActivation.objects.select_related(
                "classifier", "previous", "actor"
            )[:20],
            "labels": labels,
            "new_labels": labels_since(active.trained_at if active else None),
            "corpora": corpora,
            "corpora_total": sum(c["n"] for c in corpora),
            "form": NoteForm(),
        },
    )


@classifier_admin_required
def classifier_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(classifier_versions(), pk=version_id)
    figures = version.validation or {}
    return render(
        request,
        "coordination/learning/classifier_detail.html",
        {
            "version": version,
            "figures": figures,
            "per_label": sorted((figures.get("per_label") or {}).items()),
            "by_fields": sorted((figures.get("by_fields") or {}).items()),
            "form": NoteForm(),
        },
    )


@require_POST
@classifier_admin_required
def classifier_activate_view(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(classifier_versions(), pk=version_id)
    act(
        request,
        NoteForm(request.POST),
        lambda data: classifier_activate(
            version_id=version.pk, actor=request.user, note=data["note"]
        ),
        _("Classifier v%(version)s is active: routing predicts with it from the next issue on.")
        % {"version": version.version},
    )
    return redirect("coordination:classifier_list")


@require_POST
@classifier_admin_required
def classifier_rollback_view(request: HttpRequest) -> HttpResponse:
    act(
        request,
        NoteForm(request.POST),
        lambda data: classifier_rollback(actor=request.user, note=data["note"]),
        _("Rolled back to the version active before."),
    )
    return redirect("coordination:classifier_list")
