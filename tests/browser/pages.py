"""Every page of the platform, as the person who uses it opens it: the catalogue the browser
tests walk (every POST form submitted, axe-core on each, screenshots).

``PAGES`` names each page by its URL name, whom to open it as, and how to build its path in
the world of ``tests/browser/world.py``; ``NOT_PAGES`` lists the URL names that are not pages
(actions that only take a POST, files, redirects, the API) with the reason, so that
``test_every_page_is_in_the_catalogue`` fails when a new page is added without a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from tests.browser.world import World


def _first(model_path: str) -> int:
    """The pk of the first row of a model the demo city seeds (hot issues, topics...)."""
    from django.apps import apps

    return apps.get_model(model_path).objects.order_by("pk").values_list("pk", flat=True)[0]


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, e.g. "issues:track"
    label: str  # what this row shows (one URL name may have several states)
    user: str | None  # the username to open it as; None: anonymous
    path: Callable[[World], str]
    status: int = 200

    def url(self, world: World) -> str:
        return self.path(world)


def _track(key: str) -> Callable[[World], str]:
    return lambda w: reverse("issues:track", args=[w.issues[key].access_token])


def _staff_issue(key: str) -> Callable[[World], str]:
    return lambda w: reverse("coordination:staff_issue", args=[w.issues[key].pk])


PAGES: tuple[Page, ...] = (
    Page("issues:home", "home", None, lambda w: reverse("issues:home")),
    Page("issues:report", "report", None, lambda w: reverse("issues:report")),
    Page(
        "issues:submitted",
        "submitted",
        None,
        lambda w: reverse("issues:submitted", args=[w.issues["pending"].access_token]),
    ),
    Page("issues:track_lookup", "track-lookup", None, lambda w: reverse("issues:track_lookup")),
    Page("issues:track", "track-open", None, _track("pending")),
    Page("issues:track", "track-resolved", None, _track("resolved")),
    Page("issues:track", "track-closed", None, _track("closed")),
    Page("issues:track", "track-merged", None, _track("merged")),
    Page("issues:my_issues", "my-issues", "resident", lambda w: reverse("issues:my_issues")),
    Page("login", "login", None, lambda w: reverse("login")),
    Page("signup", "signup", None, lambda w: reverse("signup")),
    Page("password_reset", "password-reset", None, lambda w: reverse("password_reset")),
    Page(
        "password_reset_done", "password-reset-sent", None, lambda w: reverse("password_reset_done")
    ),
    Page(
        "password_reset_confirm",
        "password-reset-bad-link",
        None,
        lambda w: reverse("password_reset_confirm", args=["MQ", "bad-token"]),
    ),
    Page(
        "password_reset_complete",
        "password-reset-complete",
        None,
        lambda w: reverse("password_reset_complete"),
    ),
    Page(
        "coordination:workbench",
        "workbench",
        "dispatcher",
        lambda w: reverse("coordination:workbench"),
    ),
    Page(
        "coordination:workbench_issue",
        "workbench-triage-issue",
        "dispatcher",
        lambda w: reverse("coordination:workbench_issue", args=[w.issues["triage"].pk]),
    ),
    Page(
        "coordination:workbench_issue",
        "workbench-supervised-issue",
        "dispatcher",
        lambda w: reverse("coordination:workbench_issue", args=[w.issues["supervised"].pk]),
    ),
    Page(
        "coordination:rule_create",
        "rule-new",
        "admin",
        lambda w: reverse("coordination:rule_create", args=[w.draft.pk]),
    ),
    Page(
        "coordination:rule_edit",
        "rule-edit",
        "admin",
        lambda w: reverse(
            "coordination:rule_edit", args=[w.draft.pk, w.draft.rules.order_by("pk")[0].pk]
        ),
    ),
    Page("not-found", "not-found", None, lambda w: "/no-such-page/", status=404),
    Page("coordination:staff_queue", "staff-queue", "staff_urban", lambda w: "/staff/"),
    Page("coordination:knowledge_list", "knowledge", None, lambda w: "/knowledge/"),
    Page("coordination:knowledge_new", "knowledge-new", "staff_urban", lambda w: "/knowledge/new/"),
    Page(
        "coordination:knowledge_review_queue",
        "knowledge-review",
        "dispatcher",
        lambda w: "/knowledge/review/",
    ),
    Page(
        "coordination:staff_issue", "staff-issue-accepted", "staff_urban", _staff_issue("accepted")
    ),
    Page("coordination:staff_issue", "staff-issue-pending", "staff_urban", _staff_issue("pending")),
    Page(
        "coordination:staff_issue",
        "staff-issue-supervised",
        "staff_urban",
        _staff_issue("supervised"),
    ),
    Page("coordination:staff_issue", "staff-issue-closed", "staff_urban", _staff_issue("closed")),
    Page(
        "coordination:dispatch",
        "dispatch",
        "dispatcher",
        lambda w: reverse("coordination:dispatch"),
    ),
    Page(
        "coordination:webhooks",
        "webhooks",
        "manager_urban",
        lambda w: reverse("coordination:webhooks"),
    ),
    Page(
        "coordination:dashboard",
        "dashboard",
        "dispatcher",
        lambda w: reverse("coordination:dashboard"),
    ),
    Page(
        "coordination:monthly_report",
        "monthly-report",
        "dispatcher",
        lambda w: reverse("coordination:monthly_report"),
    ),
    Page(
        "coordination:public_figures",
        "public-figures",
        None,
        lambda w: reverse("coordination:public_figures"),
    ),
    Page(
        "coordination:ruleset_list",
        "rules",
        "admin",
        lambda w: reverse("coordination:ruleset_list"),
    ),
    Page(
        "coordination:ruleset_detail",
        "ruleset-draft",
        "admin",
        lambda w: reverse("coordination:ruleset_detail", args=[w.draft.pk]),
    ),
    Page(
        "coordination:hot_board",
        "hot-board",
        "dispatcher",
        lambda w: reverse("coordination:hot_board"),
    ),
    Page(
        "coordination:hot_issue",
        "hot-issue",
        "dispatcher",
        lambda w: reverse("coordination:hot_issue", args=[_first("hot.HotIssue")]),
    ),
    Page(
        "coordination:hot_warning",
        "hot-warning",
        "dispatcher",
        lambda w: reverse("coordination:hot_warning", args=[_first("hot.HotWarning")]),
    ),
    Page(
        "coordination:hot_cooperation",
        "hot-cooperation",
        "leader",
        lambda w: reverse("coordination:hot_cooperation"),
    ),
    Page("coordination:topics", "topics", "dispatcher", lambda w: reverse("coordination:topics")),
    Page(
        "coordination:topic",
        "topic",
        "dispatcher",
        lambda w: reverse("coordination:topic", args=[_first("hot.Topic")]),
    ),
    Page(
        "coordination:public_issue",
        "public-issue",
        None,
        lambda w: reverse("coordination:public_issue", args=[w.issues["accepted"].pk]),
    ),
    Page(
        "coordination:classifier_list",
        "classifier-versions",
        "admin",
        lambda w: reverse("coordination:classifier_list"),
    ),
    Page(
        "coordination:classifier_detail",
        "classifier-version",
        "admin",
        lambda w: reverse(
            "coordination:classifier_detail", args=[_first("learning.ClassifierVersion")]
        ),
    ),
    Page(
        "coordination:duplicate_review",
        "duplicate-review",
        "dispatcher",
        lambda w: reverse(
            "coordination:duplicate_review",
            args=[w.issues["pending"].pk, w.issues["accepted"].pk],
        ),
    ),
)

# URL names that are not pages a person opens, and why.
NOT_PAGES: dict[str, str] = {
    "coordination:after_login": "a redirect to the person's start page",
    "issues:track_feedback": "POST only: the rating form of the tracking page",
    "issues:track_reopen": "POST only: the reopen form of the tracking page",
    "issues:track_photo": "an image",
    "coordination:staff_photo": "an image",
    "coordination:issue_dispatch": "POST only: a form of the dispatcher's pages",
    "coordination:request_approve": "POST only: a form of the dispatcher's page",
    "coordination:request_reject": "POST only: a form of the dispatcher's page",
    "coordination:issue_escalate": "POST only: a form of the dispatcher's pages",
    "coordination:issue_merge": "POST only: a form of the dispatcher's pages",
    "coordination:ruleset_publish": "POST only: a form of the rule set's page",
    "coordination:ruleset_draft": "POST only: a form of the rule pages",
    "logout": "POST only: the sign-out button of every page",
    "set_language": "POST only: the language switcher of every page",
    "healthz": "JSON for operators",
    "issues:areas": "GeoJSON for the maps",
    "favicon": "a redirect to the icon",
    "coordination:rule_delete": "POST only: a form of the rule set's page",
    "coordination:desk": "the call-takers' console: operators only, driven in tests/desk",
    "coordination:desk_caller": "JSON for the console",
    "coordination:desk_similar": "JSON for the console",
    "coordination:desk_follow_up": "POST only: a form the console draws for a repeat caller",
    "coordination:knowledge_article": "an article of the knowledge base (tests/knowledge)",
    "coordination:knowledge_edit": "the article form of knowledge_new, for an article",
    "coordination:knowledge_submit": "POST only: a form of the article's page",
    "coordination:knowledge_review": "POST only: a form of the article's page",
    "coordination:knowledge_retire": "POST only: a form of the article's page",
    "coordination:knowledge_suggest": "JSON for the report form's suggestions",
    "coordination:knowledge_suggestion_event": "POST only: the report form's counter (JSON)",
    "coordination:issue_dispatch_as": "POST only: a form of the dispatcher's pages",
    "coordination:issue_publication": "POST only: a form of the dispatcher's pages",
    "coordination:category_doubt": "POST only: a form of the dispatcher's pages",
    "coordination:duplicate_dismiss": "POST only: a form of the dispatcher's page",
    "coordination:duplicate_propose": "POST only: a form of the case pages",
    "coordination:classifier_activate": "POST only: a form of the classifier's pages",
    "coordination:classifier_rollback": "POST only: a form of the classifier's pages",
    "coordination:hot_issue_promote": "POST only: a form of the hot issue's page",
    "coordination:topic_new": "POST only: a form of the topics' page",
    "coordination:public_issue_support": "POST only: the 'me too' form of public pages",
    "coordination:public_nearby": "JSON for the report form's 'is it one of these?'",
    "coordination:dashboard_export": "a download (CSV, Excel) of a dashboard's table",
    "coordination:public_figures_data": "open data (CSV, JSON) of a month's public figures",
}
# POST-only actions on an assignment (the case pages) and on a topic (its page).
NOT_PAGE_PREFIXES = ("coordination:assignment_", "coordination:topic_")
# Where no page of ours lives: the API (its docs have a check of their own), Open311 and the
# Django admin.
NOT_PAGE_ROUTES = ("api/", "open311/", "admin/")
