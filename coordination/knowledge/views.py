"""The knowledge base's pages: search, an article with its history, writing and editing, the
review queue (the dispatch centre publishes or sends back), and the report form's JSON
suggestions with their counter."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coordination.dispatch.permissions import (
    article_writer_agency_ids,
    can_read_internal_articles,
    can_review_articles,
    can_write_article,
)
from platform_gov.errors import WorkflowError

from .forms import ArticleForm, ReviewForm
from .models import Article, SuggestionEvent
from .search import live_articles, search
from .services import (
    article_publish,
    article_reject,
    article_retire,
    article_save,
    article_submit,
    suggestion_record,
)

SUGGESTIONS = 3


def _may_read(user, article: Article) -> bool:
    """Live public articles: anyone; internal or not yet published: staff of the knowledge
    base (writers of its organisation, reviewers, operators, any organisation's staff)."""
    live = live_articles(internal=True).filter(pk=article.pk).exists()
    if live and article.audience == Article.Audience.PUBLIC:
        return True
    if live and can_read_internal_articles(user):
        return True
    return can_review_articles(user) or can_write_article(user, agency_id=article.organisation_id)


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    internal = user.is_authenticated and can_read_internal_articles(user)
    query = request.GET.get("q", "").strip()[:200]
    articles = live_articles(internal=internal)
    if query:
        shown = [hit.article for hit in search(query, articles=articles, limit=20)]
    else:
        shown = list(articles.select_related("category").order_by("category__code", "id")[:50])
    writer = user.is_authenticated and can_write_article(user, agency_id=None)
    drafts = []
    if writer:
        allowed = article_writer_agency_ids(user)
        drafts_qs = Article.objects.exclude(status=Article.Status.PUBLISHED).exclude(
            status=Article.Status.RETIRED
        )
        if allowed is not None:
            drafts_qs = drafts_qs.filter(organisation_id__in=allowed)
        drafts = list(drafts_qs.select_related("organisation")[:50])
    return render(
        request,
        "knowledge/list.html",
        {
            "query": query,
            "articles": shown,
            "writer": writer,
            "drafts": drafts,
            "reviewer": can_review_articles(user),
        },
    )


@require_GET
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(
        Article.objects.select_related("category", "organisation"), pk=article_id
    )
    user = request.user
    if not _may_read(user, article):
        raise Http404
    staff = can_review_articles(user) or can_write_article(user, agency_id=article.organisation_id)
    return render(
        request,
        "knowledge/detail.html",
        {
            "article": article,
            "history": list(article.versions.select_related("actor")) if staff else [],
            "can_edit": can_write_article(user, agency_id=article.organisation_id)
            and article.status != Article.Status.RETIRED,
            "can_submit": article.status == Article.Status.DRAFT
            and can_write_article(user, agency_id=article.organisation_id),
            "can_review": can_review_articles(user) and article.status == Article.Status.IN_REVIEW,
            "can_retire": staff and article.status != Article.Status.RETIRED,
            "review_form": ReviewForm(),
        },
    )


@login_required
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    user = request.user
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    if not can_write_article(user, agency_id=article.organisation_id if article else None):
        raise PermissionDenied(_("This page is for organisations' staff and the dispatch centre."))
    agency_ids = article_writer_agency_ids(user)
    if request.method == "POST":
        form = ArticleForm(request.POST, agency_ids=agency_ids)
        if form.is_valid():
            try:
                saved = article_save(actor=user, article_id=article_id, **form.cleaned_data)
            except WorkflowError as error:
                messages.error(request, error.message)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("Saved as a draft (version %(v)d).") % {"v": saved.version}
                )
                return redirect("coordination:knowledge_article", saved.pk)
    else:
        initial = {}
        if article:
            initial = {
                "question": article.question,
                "answer": article.answer,
                "organisation": article.organisation_id,
                "category": article.category_id,
                "audience": article.audience,
                "valid_from": article.valid_from,
                "valid_to": article.valid_to,
            }
        form = ArticleForm(initial=initial, agency_ids=agency_ids)
    return render(request, "knowledge/edit.html", {"form": form, "article": article})


def _step(request: HttpRequest, article_id: int, do, done: str) -> HttpResponse:
    try:
        do()
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("coordination:knowledge_article", article_id)


@login_required
@require_POST
def article_submit_view(request: HttpRequest, article_id: int) -> HttpResponse:
    get_object_or_404(Article, pk=article_id)
    return _step(
        request,
        article_id,
        lambda: article_submit(article_id=article_id, actor=request.user),
        _("Submitted to the dispatch centre for review."),
    )


@login_required
@require_POST
def article_review_view(request: HttpRequest, article_id: int) -> HttpResponse:
    get_object_or_404(Article, pk=article_id)
    if not can_review_articles(request.user):
        raise PermissionDenied(_("Only the dispatch centre reviews articles."))
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if request.POST.get("decision") == "publish":
        return _step(
            request,
            article_id,
            lambda: article_publish(article_id=article_id, actor=request.user, note=note),
            _("Published."),
        )
    return _step(
        request,
        article_id,
        lambda: article_reject(article_id=article_id, actor=request.user, note=note),
        _("Sent back to its writers."),
    )


@login_required
@require_POST
def article_retire_view(request: HttpRequest, article_id: int) -> HttpResponse:
    get_object_or_404(Article, pk=article_id)
    return _step(
        request,
        article_id,
        lambda: article_retire(article_id=article_id, actor=request.user),
        _("Retired."),
    )


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    if not can_review_articles(request.user):
        raise PermissionDenied(_("Only the dispatch centre reviews articles."))
    waiting = Article.objects.filter(status=Article.Status.IN_REVIEW).select_related(
        "organisation", "category"
    )
    return render(
        request, "knowledge/review.html", {"articles": list(waiting.order_by("updated_at"))}
    )


# ----------------------------------------------------- the report form's suggestions (JSON)


def answers_json(hits) -> list[dict]:
    return [
        {
            "id": hit.article.pk,
            "question": hit.article.question,
            "answer": hit.article.answer,
            "category": hit.article.category.code if hit.article.category else None,
        }
        for hit in hits
    ]


@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    """``?q=``: the public answers best matching what a resident is typing (three at most);
    for staff and operators (the console) the internal ones too."""
    query = request.GET.get("q", "").strip()[:300]
    user = request.user
    internal = user.is_authenticated and can_read_internal_articles(user)
    articles = live_articles(internal=internal)
    hits = search(query, articles=articles, limit=SUGGESTIONS) if query else []
    return JsonResponse({"results": answers_json(hits)})


@require_POST
def suggestion_event(request: HttpRequest) -> JsonResponse:
    """The report form says what its suggestions did (``visit``, ``kind``, ``article``)."""
    kind = request.POST.get("kind", "")
    visit = request.POST.get("visit", "").strip()
    if kind not in SuggestionEvent.Kind.values or not visit:
        return JsonResponse({"detail": _("Unknown event.")}, status=400)
    article = request.POST.get("article", "")
    counted = suggestion_record(
        visit=visit, kind=kind, article_id=int(article) if article.isdigit() else None
    )
    return JsonResponse({"counted": counted})
