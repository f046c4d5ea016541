from django.urls import path

from . import views

urlpatterns = [
    path("staff/webhooks/", views.webhooks_page, name="webhooks"),
]
