"""The knowledge base, the call desk and the channel figures in the permission matrix
(``tests/dispatch/test_permission_matrix.py``), built with the matrix's row constructors.

Who is what here: the knowledge base's search, its JSON suggestions and counter are for
everyone; an article still a draft is seen, edited, submitted and retired by the staff of its
organisation (L: LEAD, and MANAGER who reaches L) and the dispatch centre; only the dispatch
centre reviews and publishes. The call desk is for operators (a group; no role of the
matrix's city) and the dispatch centre; the channel figures for managers and the dispatch
centre, like the agencies'. The world has no article: ``prepare`` writes the draft each row
needs, inside the cell's transaction.
"""

from __future__ import annotations

from coordination.dispatch.models import Handoff
from coordination.knowledge.models import Article
from coordination.knowledge.services import article_save, article_submit
from tests.permission_world import (
    ADMINISTRATOR,
    ANONYMOUS,
    CO_HANDLER,
    DISPATCHER,
    LEAD,
    MANAGER,
    OTHER,
    PARTNER,
    ROLES,
)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
STAFF = frozenset({LEAD, OTHER, CO_HANDLER, PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR})
CENTRE = frozenset({DISPATCHER, ADMINISTRATOR})
WRITERS = frozenset({LEAD, MANAGER}) | CENTRE


def _draft(w, *, submitted: bool = False) -> None:
    writer = w.user(LEAD)
    article = article_save(
        actor=writer,
        question="停水多久恢复？",
        answer="一般8小时内恢复。",
        organisation=w.lead["X"].agency,
    )
    if submitted:
        article_submit(article_id=article.pk, actor=writer)
    w.extras["article"] = article


def _status(status: str):
    return lambda w, role: Article.objects.get(pk=w.extras["article"].pk).status == status


def knowledge_rows(*, page, page_post, api, api_post, public):
    article_url = lambda suffix: lambda w: f"/knowledge/{w.extras['article'].pk}/{suffix}"  # noqa: E731
    return [
        public(page, "coordination:knowledge_list", "/knowledge/", lambda w: "/knowledge/?q=停水"),
        page(
            "coordination:knowledge_new",
            "/knowledge/new/",
            lambda w: "/knowledge/new/",
            allowed=STAFF,
            area=STAFF,
        ),
        page(
            "coordination:knowledge_review_queue",
            "/knowledge/review/",
            lambda w: "/knowledge/review/",
            allowed=CENTRE,
            area=CENTRE,
        ),
        public(
            page,
            "coordination:knowledge_suggest",
            "/knowledge/suggest.json",
            lambda w: "/knowledge/suggest.json?q=停水",
        ),
        public(
            page_post,
            "coordination:knowledge_suggestion_event",
            "/knowledge/suggest/event/",
            lambda w: "/knowledge/suggest/event/",
            lambda w, role: {"visit": f"v-{role}", "kind": "shown"},
            ok=200,
        ),
        page(
            "coordination:knowledge_article",
            "/knowledge/<draft of L>/",
            article_url(""),
            allowed=WRITERS,
            anonymous=404,
            prepare=_draft,
        ),
        page(
            "coordination:knowledge_edit",
            "/knowledge/<draft of L>/edit/",
            article_url("edit/"),
            allowed=WRITERS,
            area=WRITERS,
            prepare=_draft,
        ),
        page_post(
            "coordination:knowledge_submit",
            "/knowledge/<draft of L>/submit/",
            article_url("submit/"),
            lambda w, role: {},
            allowed=WRITERS,
            signed_in=302,
            prepare=_draft,
            done=_status(Article.Status.IN_REVIEW),
        ),
        page_post(
            "coordination:knowledge_review",
            "/knowledge/<L's article in review>/review/",
            article_url("review/"),
            lambda w, role: {"decision": "publish"},
            allowed=CENTRE,
            area=CENTRE,
            prepare=lambda w: _draft(w, submitted=True),
            done=_status(Article.Status.PUBLISHED),
        ),
        page_post(
            "coordination:knowledge_retire",
            "/knowledge/<draft of L>/retire/",
            article_url("retire/"),
            lambda w, role: {},
            allowed=WRITERS,
            signed_in=302,
            prepare=_draft,
            done=_status(Article.Status.RETIRED),
        ),
        page("coordination:desk", "/desk/", lambda w: "/desk/", allowed=CENTRE, area=CENTRE),
        page(
            "coordination:desk_caller",
            "/desk/caller.json",
            lambda w: "/desk/caller.json?phone=13900009999",
            allowed=CENTRE,
            area=CENTRE,
        ),
        page(
            "coordination:desk_similar",
            "/desk/similar.json",
            lambda w: "/desk/similar.json?title=tree",
            allowed=CENTRE,
            area=CENTRE,
        ),
        page_post(
            "coordination:desk_follow_up",
            "/desk/issues/<X>/follow-up/",
            lambda w: f"/desk/issues/{w.issues['X'].pk}/follow-up/",
            lambda w, role: {"note": "Called again."},
            allowed=CENTRE,
            area=CENTRE,
            done=lambda w, role: w.issues["X"]
            .handoffs.filter(kind=Handoff.Kind.REMINDED, note="Called again.")
            .exists(),
        ),
        api(
            "api-desk-callers",
            "/api/v1/desk/callers/",
            lambda w: "/api/v1/desk/callers/?phone=13900009999",
            allowed=CENTRE,
            area=CENTRE,
        ),
        api_post(
            "api-desk-answers",
            "/api/v1/desk/answers/",
            lambda w: "/api/v1/desk/answers/",
            lambda w, role: {
                "contact_phone": "13900009999",
                "title": f"Asked by {role}",
                "answer": "At nine.",
            },
            ok=201,
            allowed=CENTRE,
            area=CENTRE,
        ),
        public(
            api,
            "api-knowledge-search",
            "/api/v1/knowledge/search/",
            lambda w: "/api/v1/knowledge/search/?q=停水",
        ),
        api(
            "api-stats-channels",
            "/api/v1/stats/channels/",
            lambda w: "/api/v1/stats/channels/",
            # As the other figures: partners count their own issues only.
            allowed=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
            area=frozenset({PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR}),
        ),
    ]
