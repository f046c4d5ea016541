from django.urls import path

from . import views

urlpatterns = [
    path("hot/", views.board, name="hot_board"),
    path("hot/<int:hot_id>/", views.hot_issue, name="hot_issue"),
    path("hot/<int:hot_id>/promote/", views.hot_issue_promote, name="hot_issue_promote"),
    path("hot/warnings/<int:warning_id>/", views.warning, name="hot_warning"),
    path("hot/cooperation/", views.cooperation_page, name="hot_cooperation"),
    path("hot/topics/", views.topics, name="topics"),
    path("hot/topics/new/", views.topic_new, name="topic_new"),
    path("hot/topics/<int:topic_id>/", views.topic, name="topic"),
    path("hot/topics/<int:topic_id>/notes/", views.topic_note, name="topic_note"),
    path(
        "hot/topics/<int:topic_id>/milestones/",
        views.topic_milestone_add,
        name="topic_milestone_add",
    ),
    path(
        "hot/topics/<int:topic_id>/milestones/<int:milestone_id>/done/",
        views.topic_milestone_done,
        name="topic_milestone_done",
    ),
    path("hot/topics/<int:topic_id>/issues/", views.topic_issues_add, name="topic_issues_add"),
    *[
        path(
            f"hot/topics/<int:topic_id>/members/<int:issue_id>/{decision}/",
            views.topic_member_decide,
            {"decision": decision},
            name=f"topic_member_{decision}",
        )
        for decision in ("confirm", "reject", "remove")
    ],
    path(
        "hot/topics/<int:topic_id>/participants/",
        views.topic_participants,
        name="topic_participants",
    ),
    path("hot/topics/<int:topic_id>/complete/", views.topic_complete, name="topic_complete"),
    path("hot/topics/<int:topic_id>/reopen/", views.topic_reopen, name="topic_reopen"),
    # Residents: an issue as the public sees it, "me too", and the report form's lookup.
    path("public/issues/<int:issue_id>/", views.public_issue_page, name="public_issue"),
    path(
        "public/issues/<int:issue_id>/support/",
        views.public_issue_support,
        name="public_issue_support",
    ),
    path("public/nearby/", views.nearby, name="public_nearby"),
]
