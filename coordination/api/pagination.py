"""Pages of long lists whose exact length would cost more than the page itself.

Counting every issue a busy organisation may see (200,000 of a million) took most of a list
request's time. The count is capped instead: ``count`` is exact up to ``COUNT_CAP`` and
``count_capped`` says when there are more; pages are served as far as the cap reaches (narrow
the list with its filters to go further back).
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator that counts at most ``COUNT_CAP + 1`` rows (one query with a LIMIT)."""

    cap = COUNT_CAP

    @cached_property
    def raw_count(self) -> int:
        query = self.object_list
        if hasattr(query, "order_by"):
            query = query.order_by()
        return query[: self.cap + 1].count()  # SELECT count(*) FROM (… LIMIT cap + 1)

    @cached_property
    def count(self) -> int:
        return min(self.raw_count, self.cap)

    @property
    def capped(self) -> bool:
        return self.raw_count > self.cap

    def page(self, number):
        """The page's rows as they are (Django's would stop at the capped count)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class CappedCountPagination(PageNumberPagination):
    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.page.paginator.count,
                "count_capped": self.page.paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count"]["description"] = (
            f"Exact up to {COUNT_CAP}; with more, {COUNT_CAP} and count_capped true."
        )
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when more than {COUNT_CAP} match (narrow with the filters).",
        }
        described["required"] = [*described.get("required", []), "count_capped"]
        return described
