from django.urls import path

from . import views

urlpatterns = [
    path("knowledge/", views.article_list, name="knowledge_list"),
    path("knowledge/new/", views.article_edit, name="knowledge_new"),
    path("knowledge/review/", views.review_queue, name="knowledge_review_queue"),
    path("knowledge/suggest.json", views.suggest, name="knowledge_suggest"),
    path("knowledge/suggest/event/", views.suggestion_event, name="knowledge_suggestion_event"),
    path("knowledge/<int:article_id>/", views.article_detail, name="knowledge_article"),
    path("knowledge/<int:article_id>/edit/", views.article_edit, name="knowledge_edit"),
    path("knowledge/<int:article_id>/submit/", views.article_submit_view, name="knowledge_submit"),
    path("knowledge/<int:article_id>/review/", views.article_review_view, name="knowledge_review"),
    path("knowledge/<int:article_id>/retire/", views.article_retire_view, name="knowledge_retire"),
]
