from django.urls import path

from .views import common, dispatcher, learning, staff, workbench

urlpatterns = [
    path("accounts/welcome/", common.after_login, name="after_login"),
    path("staff/", staff.staff_queue, name="staff_queue"),
    path("staff/issues/<int:issue_id>/", staff.staff_issue, name="staff_issue"),
    path(
        "staff/issues/<int:issue_id>/photos/<int:photo_id>/",
        staff.staff_photo,
        name="staff_photo",
    ),
    *[
        path(
            f"staff/assignments/<int:assignment_id>/{action}/",
            staff.assignment_act,
            {"action": action},
            name=f"assignment_{action}",
        )
        for action in staff.ASSIGNMENT_ACTIONS
    ],
    path("dispatch/", dispatcher.dispatch, name="dispatch"),
    path("dispatch/issues/", workbench.workbench, name="workbench"),
    path("dispatch/issues/<int:issue_id>/", workbench.workbench_issue, name="workbench_issue"),
    path(
        "dispatch/issues/<int:issue_id>/dispatch/",
        dispatcher.issue_dispatch_view,
        name="issue_dispatch",
    ),
    path(
        "dispatch/requests/<int:request_id>/approve/",
        dispatcher.request_approve_view,
        name="request_approve",
    ),
    path(
        "dispatch/requests/<int:request_id>/reject/",
        dispatcher.request_reject_view,
        name="request_reject",
    ),
    path(
        "dispatch/issues/<int:issue_id>/escalate/",
        dispatcher.issue_escalate_view,
        name="issue_escalate",
    ),
    path("dispatch/merge/", dispatcher.issue_merge_view, name="issue_merge"),
    path(
        "dispatch/issues/<int:issue_id>/publication/",
        dispatcher.issue_publication_view,
        name="issue_publication",
    ),
    # The classifier's help (coordination.learning): categories, doubts, duplicates.
    path(
        "dispatch/issues/<int:issue_id>/dispatch-as/",
        learning.issue_dispatch_as_view,
        name="issue_dispatch_as",
    ),
    path(
        "dispatch/issues/<int:issue_id>/category-doubt/",
        learning.category_doubt_view,
        name="category_doubt",
    ),
    path(
        "dispatch/duplicates/<int:candidate_id>/dismiss/",
        learning.duplicate_dismiss_view,
        name="duplicate_dismiss",
    ),
    path(
        "staff/issues/<int:issue_id>/duplicates/<int:other_id>/",
        learning.duplicate_review,
        name="duplicate_review",
    ),
    path(
        "staff/issues/<int:issue_id>/duplicates/<int:other_id>/propose/",
        learning.duplicate_propose_view,
        name="duplicate_propose",
    ),
]
