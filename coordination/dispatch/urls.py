from django.urls import path

from .views import common, dispatcher, staff, workbench

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
]
