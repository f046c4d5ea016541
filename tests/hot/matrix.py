"""The hot room in the permission matrix (``tests/dispatch/test_permission_matrix.py``).

:func:`build_hot_world` adds to the matrix's city (``tests/permission_world.py``): the five
cases clustered into one hot issue, a warning about it, and a topic led by the street office
L with the police C taking part, X and W its members, Y proposed, and a milestone owed by C.
:func:`hot_rows` gives the rows of every hot page and endpoint, built with the matrix's own
row constructors.

Who is what here: the board (hot issues, warnings, cooperation) is for the dispatcher,
administrators and managers (MANAGER manages P); the topic is seen by the dispatcher, its
lead's staff (LEAD) and manager (MANAGER reaches L), and its participant's staff (CO_HANDLER);
OTHER and PARTNER have no part in it and get 404; residents get 404 (or 403 where the whole
area is staff's). An issue's public page and "me too" are for everyone, and Z, reported
anonymously, has no public page at all.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from coordination.hot.models import HotMember, HotWarning, Milestone, Support, Topic, TopicMember
from coordination.hot.services import clustering, topics
from tests.permission_world import (
    ADMINISTRATOR,
    ANONYMOUS,
    CO_HANDLER,
    DISPATCHER,
    LEAD,
    MANAGER,
    OTHER,
    PARTNER,
    RESIDENT_A,
    RESIDENT_B,
    ROLES,
)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
DISPATCH_AREA = frozenset({DISPATCHER, ADMINISTRATOR})
BOARD = frozenset({MANAGER, DISPATCHER, ADMINISTRATOR})
STAFF = frozenset({LEAD, OTHER, CO_HANDLER, PARTNER, MANAGER, DISPATCHER, ADMINISTRATOR})
ON_TOPIC = frozenset({LEAD, CO_HANDLER, MANAGER, DISPATCHER, ADMINISTRATOR})
# Who may reach the milestone C owes: the dispatcher, the lead's people, and C's own staff.
MILESTONE = ON_TOPIC
TOPIC_TITLE = "Matrix topic: the corner's street lights"
PHONE = "13700009999"  # a "me too" phone: in no contact of the world


def build_hot_world(w) -> dict:
    """Cluster the world's cases, open a warning, make the topic. Returns what rows need."""
    clustering.forget_memory()
    clustering.hot_assign_pending(since=None)
    hot_id = HotMember.objects.get(issue=w.issues["X"]).hot_issue_id
    # Five complaints in a day: the clustering warned of the hot issue already.
    warning = HotWarning.objects.filter(hot_issue_id=hot_id).first() or HotWarning.objects.create(
        scope=HotWarning.Scope.HOT_ISSUE,
        key=f"hot:{hot_id}",
        hot_issue_id=hot_id,
        observed=5,
        expected=0.2,
        p_value=1e-6,
        peak=5,
        evidence={
            "issues": [w.issues[k].pk for k in "XYZTW"],
            "daily": [[timezone.localdate().isoformat(), 5]],
            "window_hours": 24,
            "baseline_days": 1,
        },
    )
    dispatcher = w.user(DISPATCHER)
    topic = topics.topic_create(
        actor=dispatcher,
        title=TOPIC_TITLE,
        goal="Every lamp of the corner lit again.",
        lead=w.agencies["L"],
        participants=[w.agencies["C"]],
        issues=[w.issues["X"], w.issues["W"]],
    )
    TopicMember.objects.create(
        topic=topic, issue=w.issues["Y"], status=TopicMember.Status.PROPOSED, source="matched"
    )
    milestone = topics.milestone_add(
        topic_id=topic.pk,
        actor=dispatcher,
        title="Poles inspected",
        due_on=timezone.localdate() + timedelta(days=7),
        agency=w.agencies["C"],
    )
    return {"hot_id": hot_id, "warning": warning, "topic": topic, "milestone": milestone}


def _hot(w) -> dict:
    return w.extras["hot"]


def _topic_url(suffix: str = ""):
    return lambda w: f"/hot/topics/{_hot(w)['topic'].pk}/{suffix}"


def _api_topic_url(suffix: str = ""):
    return lambda w: f"/api/v1/topics/{_hot(w)['topic'].pk}/{suffix}"


def _events(kind: str):
    return lambda w, role: _hot(w)["topic"].events.filter(kind=kind).exists()


def _topic_status(status: str):
    return lambda w, role: Topic.objects.get(pk=_hot(w)["topic"].pk).status == status


def _member_status(key: str, status: str):
    return lambda w, role: TopicMember.objects.filter(
        topic=_hot(w)["topic"], issue=w.issues[key], status=status
    ).exists()


def _topic_made(w, role) -> bool:
    return Topic.objects.filter(title="Matrix topic made by the row").exists()


def _milestone_done(w, role) -> bool:
    return Milestone.objects.get(pk=_hot(w)["milestone"].pk).done_at is not None


def _supported(w, role) -> bool:
    return Support.objects.filter(issue=w.issues["Y"]).exists()


def _complete_first(w) -> None:
    topics.topic_complete(topic_id=_hot(w)["topic"].pk, actor=w.user(DISPATCHER), summary="Lit.")


def _topic_form(w, role) -> dict:
    return {
        "title": "Matrix topic made by the row",
        "goal": "Fix it once.",
        "lead": w.agencies["L"].pk,
        "participants": [w.agencies["O"].pk],
    }


def _topic_json(w, role) -> dict:
    return {
        "title": "Matrix topic made by the row",
        "goal": "Fix it once.",
        "lead": w.agencies["L"].code,
        "participants": [w.agencies["O"].code],
        "issues": [w.issues["T"].pk],
    }


def _note(w, role) -> dict:
    return {"note": "Poles ordered.", "public": "on"}


def _note_json(w, role) -> dict:
    return {"note": "Poles ordered.", "public": True}


def _milestone(w, role) -> dict:
    return {
        "title": "Lamps replaced",
        "due_on": (timezone.localdate() + timedelta(days=20)).isoformat(),
    }


def _milestone_done_json(w, role) -> dict:
    return {"milestone": _hot(w)["milestone"].pk, "note": "Done."}


def _issues_form(w, role) -> dict:
    return {"issues": w.number("T")}


def _issues_json(w, role) -> dict:
    return {"issues": [w.issues["T"].pk]}


def _decide_json(w, role) -> dict:
    return {"issue": w.issues["Y"].pk, "confirm": True}


def _participants(w, role) -> dict:
    return {"add": [w.agencies["O"].pk], "note": "Water poles."}


def _summary(w, role) -> dict:
    return {"summary": "Every lamp is lit."}


def _reason(w, role) -> dict:
    return {"reason": "Dark again."}


def _nothing(w, role) -> dict:
    return {}


def _me_too(w, role) -> dict:
    return {"phone": PHONE}


def _added_t(w, role) -> bool:
    return TopicMember.objects.filter(
        topic=_hot(w)["topic"], issue=w.issues["T"], status=TopicMember.Status.CONFIRMED
    ).exists()


def _participant_o(w, role) -> bool:
    return (
        Topic.objects.get(pk=_hot(w)["topic"].pk)
        .participants.filter(pk=w.agencies["O"].pk)
        .exists()
    )


def hot_rows(*, page, page_post, api, api_post, public) -> list:
    """The hot room's rows, made with the matrix's constructors."""
    kind = TopicMember.Status
    nearby = "lat=39.9&lon=116.4&q=street%20light"
    return [
        # ----------------------------------------------------------------- the board
        page("coordination:hot_board", "/hot/", lambda w: "/hot/", allowed=BOARD, area=BOARD),
        page(
            "coordination:hot_issue",
            "/hot/<hot issue>/",
            lambda w: f"/hot/{_hot(w)['hot_id']}/",
            allowed=BOARD,
            area=BOARD,
        ),
        page_post(
            "coordination:hot_issue_promote",
            "/hot/<hot issue>/promote/",
            lambda w: f"/hot/{_hot(w)['hot_id']}/promote/",
            _topic_form,
            allowed=DISPATCH_AREA,
            area=BOARD,
            done=_topic_made,
        ),
        page(
            "coordination:hot_warning",
            "/hot/warnings/<warning>/",
            lambda w: f"/hot/warnings/{_hot(w)['warning'].pk}/",
            allowed=BOARD,
            area=BOARD,
        ),
        page(
            "coordination:hot_cooperation",
            "/hot/cooperation/",
            lambda w: "/hot/cooperation/",
            allowed=BOARD,
            area=BOARD,
        ),
        # -------------------------------------------------------------------- topics
        page(
            "coordination:topics",
            "/hot/topics/",
            lambda w: "/hot/topics/",
            allowed=STAFF,
            area=STAFF,
        ),
        page_post(
            "coordination:topic_new",
            "/hot/topics/new/",
            lambda w: "/hot/topics/new/",
            lambda w, role: {**_topic_form(w, role), "issues": w.number("T")},
            allowed=DISPATCH_AREA,
            done=_topic_made,
        ),
        page("coordination:topic", "/hot/topics/<topic>/", _topic_url(), allowed=ON_TOPIC),
        page_post(
            "coordination:topic_note",
            "/hot/topics/<topic>/notes/",
            _topic_url("notes/"),
            _note,
            allowed=ON_TOPIC,
            done=_events("note"),
        ),
        page_post(
            "coordination:topic_milestone_add",
            "/hot/topics/<topic>/milestones/",
            _topic_url("milestones/"),
            _milestone,
            allowed=DISPATCH_AREA,
            done=lambda w, role: _hot(w)["topic"]
            .milestones.filter(title="Lamps replaced")
            .exists(),
        ),
        page_post(
            "coordination:topic_milestone_done",
            "/hot/topics/<topic>/milestones/<owed by C>/done/",
            lambda w: (
                f"/hot/topics/{_hot(w)['topic'].pk}/milestones/{_hot(w)['milestone'].pk}/done/"
            ),
            lambda w, role: {"note": "Inspected."},
            allowed=MILESTONE,
            done=_milestone_done,
        ),
        page_post(
            "coordination:topic_issues_add",
            "/hot/topics/<topic>/issues/",
            _topic_url("issues/"),
            _issues_form,
            allowed=DISPATCH_AREA,
            done=_added_t,
        ),
        page_post(
            "coordination:topic_member_confirm",
            "/hot/topics/<topic>/members/<Y proposed>/confirm/",
            lambda w: f"/hot/topics/{_hot(w)['topic'].pk}/members/{w.issues['Y'].pk}/confirm/",
            _nothing,
            allowed=DISPATCH_AREA,
            done=_member_status("Y", kind.CONFIRMED),
        ),
        page_post(
            "coordination:topic_member_reject",
            "/hot/topics/<topic>/members/<Y proposed>/reject/",
            lambda w: f"/hot/topics/{_hot(w)['topic'].pk}/members/{w.issues['Y'].pk}/reject/",
            _nothing,
            allowed=DISPATCH_AREA,
            done=_member_status("Y", kind.REJECTED),
        ),
        page_post(
            "coordination:topic_member_remove",
            "/hot/topics/<topic>/members/<W>/remove/",
            lambda w: f"/hot/topics/{_hot(w)['topic'].pk}/members/{w.issues['W'].pk}/remove/",
            lambda w, role: {"note": "Another problem."},
            allowed=DISPATCH_AREA,
            done=_member_status("W", kind.REJECTED),
        ),
        page_post(
            "coordination:topic_participants",
            "/hot/topics/<topic>/participants/",
            _topic_url("participants/"),
            _participants,
            allowed=DISPATCH_AREA,
            done=_participant_o,
        ),
        page_post(
            "coordination:topic_complete",
            "/hot/topics/<topic>/complete/",
            _topic_url("complete/"),
            _summary,
            allowed=DISPATCH_AREA,
            done=_topic_status(Topic.Status.DONE),
        ),
        page_post(
            "coordination:topic_reopen",
            "/hot/topics/<topic, done>/reopen/",
            _topic_url("reopen/"),
            _reason,
            allowed=DISPATCH_AREA,
            prepare=_complete_first,
            done=_topic_status(Topic.Status.ACTIVE),
        ),
        # ------------------------------------------------------- residents' pages
        public(
            page,
            "coordination:public_issue",
            "/public/issues/<X>/",
            lambda w: f"/public/issues/{w.issues['X'].pk}/",
        ),
        page(
            "coordination:public_issue",
            "/public/issues/<Z, anonymous>/",
            lambda w: f"/public/issues/{w.issues['Z'].pk}/",
            allowed=frozenset(),
            anonymous=404,
            public=True,
        ),
        public(
            page_post,
            "coordination:public_issue_support",
            "/public/issues/<Y>/support/",
            lambda w: f"/public/issues/{w.issues['Y'].pk}/support/",
            _me_too,
            done=_supported,
        ),
        public(
            page,
            "coordination:public_nearby",
            "/public/nearby/",
            lambda w: f"/public/nearby/?{nearby}",
        ),
        # --------------------------------------------------------------------- API
        api(
            "api-hot-issue-list",
            "/api/v1/hot/issues/",
            lambda w: "/api/v1/hot/issues/",
            allowed=BOARD,
            area=BOARD,
        ),
        api(
            "api-hot-issue-detail",
            "/api/v1/hot/issues/<hot issue>/",
            lambda w: f"/api/v1/hot/issues/{_hot(w)['hot_id']}/",
            allowed=BOARD,
            area=BOARD,
        ),
        api(
            "api-hot-warnings",
            "/api/v1/hot/warnings/",
            lambda w: "/api/v1/hot/warnings/",
            allowed=BOARD,
            area=BOARD,
        ),
        api(
            "api-hot-cooperation",
            "/api/v1/hot/cooperation/",
            lambda w: "/api/v1/hot/cooperation/",
            allowed=BOARD,
            area=BOARD,
        ),
        public(
            api_post,
            "api-public-support",
            "/api/v1/public/issues/<Y>/supports/",
            lambda w: f"/api/v1/public/issues/{w.issues['Y'].pk}/supports/",
            _me_too,
            ok=201,
            done=_supported,
        ),
        public(
            api,
            "api-public-nearby",
            "/api/v1/public/nearby/",
            lambda w: f"/api/v1/public/nearby/?{nearby}",
        ),
        api("api-topic-list", "/api/v1/topics/", lambda w: "/api/v1/topics/", allowed=SIGNED_IN),
        api_post(
            "api-topic-list",
            "/api/v1/topics/",
            lambda w: "/api/v1/topics/",
            _topic_json,
            ok=201,
            allowed=DISPATCH_AREA,
            area=DISPATCH_AREA,
            done=_topic_made,
        ),
        api("api-topic-detail", "/api/v1/topics/<topic>/", _api_topic_url(), allowed=ON_TOPIC),
        api_post(
            "api-topic-notes",
            "/api/v1/topics/<topic>/notes/",
            _api_topic_url("notes/"),
            _note_json,
            ok=201,
            allowed=ON_TOPIC,
            done=_events("note"),
        ),
        api_post(
            "api-topic-milestones",
            "/api/v1/topics/<topic>/milestones/",
            _api_topic_url("milestones/"),
            _milestone,
            ok=201,
            allowed=DISPATCH_AREA,
            done=lambda w, role: _hot(w)["topic"]
            .milestones.filter(title="Lamps replaced")
            .exists(),
        ),
        api_post(
            "api-topic-milestone-done",
            "/api/v1/topics/<topic>/milestone-done/",
            _api_topic_url("milestone-done/"),
            _milestone_done_json,
            allowed=MILESTONE,
            done=_milestone_done,
        ),
        api_post(
            "api-topic-issues",
            "/api/v1/topics/<topic>/issues/",
            _api_topic_url("issues/"),
            _issues_json,
            allowed=DISPATCH_AREA,
            done=_added_t,
        ),
        api_post(
            "api-topic-decide",
            "/api/v1/topics/<topic>/decide/",
            _api_topic_url("decide/"),
            _decide_json,
            allowed=DISPATCH_AREA,
            done=_member_status("Y", kind.CONFIRMED),
        ),
        api_post(
            "api-topic-complete",
            "/api/v1/topics/<topic>/complete/",
            _api_topic_url("complete/"),
            _summary,
            allowed=DISPATCH_AREA,
            done=_topic_status(Topic.Status.DONE),
        ),
    ]


__all__ = ["RESIDENT_A", "RESIDENT_B", "build_hot_world", "hot_rows"]
