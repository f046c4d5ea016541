from django.urls import path

from . import views

app_name = "coordination"

urlpatterns = [
    path("accounts/welcome/", views.after_login, name="after_login"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("staff/issues/<int:issue_id>/", views.staff_issue, name="staff_issue"),
    path(
        "staff/assignments/<int:assignment_id>/accept/",
        views.assignment_accept_view,
        name="assignment_accept",
    ),
    path(
        "staff/assignments/<int:assignment_id>/resolve/",
        views.assignment_resolve_view,
        name="assignment_resolve",
    ),
    path("dispatch/", views.dispatch, name="dispatch"),
    path(
        "dispatch/issues/<int:issue_id>/dispatch/",
        views.issue_dispatch_view,
        name="issue_dispatch",
    ),
]
