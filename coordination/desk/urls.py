from django.urls import path

from . import views

urlpatterns = [
    path("desk/", views.console, name="desk"),
    path("desk/caller.json", views.caller, name="desk_caller"),
    path("desk/similar.json", views.similar, name="desk_similar"),
    path("desk/issues/<int:issue_id>/follow-up/", views.follow_up, name="desk_follow_up"),
]
