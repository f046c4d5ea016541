"""The site's own "not found" page, also while debugging (``make run`` sets DJANGO_DEBUG).

With DEBUG on, Django answers a missing page with its technical 404 page, listing every URL
pattern: not what a resident trying ``make run`` should meet, nor a page to screenshot. This
middleware puts the site's 404 page in its place for pages (an HTML answer); the API's JSON
404s and every other answer pass unchanged. ``?debug404`` shows Django's page to a developer.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


class FriendlyNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and "debug404" not in request.GET
            and not getattr(response, "friendly", False)
        ):
            response = render(request, "404.html", status=404)
            response.friendly = True
        return response
