"""``manage.py seed_demo``: load the demo city, 清河市 (Qinghe City) (see ``coordination.demo``).

Running the command again changes nothing. Passwords are set when a user is created, or for
every demo user with ``--reset-passwords``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from coordination.demo.categories import (
    seed_calendar,
    seed_categories,
    seed_questions,
    seed_sla_policies,
)
from coordination.demo.history import seed_history
from coordination.demo.hot import seed_hot_issues, seed_leader
from coordination.demo.knowledge import seed_articles, seed_operator, seed_responsibilities
from coordination.demo.past import seed_past
from coordination.demo.places import seed_agencies, seed_areas
from coordination.demo.rules import seed_rules
from coordination.demo.users import FEATURED_LOGINS, Login, seed_users


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: Iterable[tuple[str, ...]]) -> list[str]:
    rows = list(rows)
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    # Like Django's own commands, the help text is not translated.
    help = (
        "Load the demo city 清河市 (Qinghe City): areas, organisations, categories, deadline "
        "policies, routing rules and demo logins. Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="Do not print the table of demo logins."
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set every demo user's password to DEMO_PASSWORD, not only new users'.",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Skip the year of made-up issues behind the dashboard (faster, for tests).",
        )
        parser.add_argument(
            "--no-classifier",
            action="store_true",
            help="Load the labelled history but train no classifier (DEMO_CLASSIFIER=0 too).",
        )

    def handle(
        self,
        *args: Any,
        quiet: bool = False,
        reset_passwords: bool = False,
        no_classifier: bool = False,
        no_history: bool = False,
        **options: Any,
    ) -> None:
        password: str = settings.DEMO_PASSWORD
        with transaction.atomic():
            areas, created = seed_areas()
            self._done(_("Areas"), len(areas), created)
            agencies, created = seed_agencies(areas)
            self._done(_("Organisations"), len(agencies), created)
            categories, created = seed_categories()
            self._done(_("Categories"), len(categories), created)
            policies, created = seed_sla_policies(categories)
            self._done(_("Deadline policies"), len(policies), created)
            questions, created = seed_questions(categories)
            self._done(_("Category questions"), len(questions), created)
            days, created = seed_calendar()
            self._done(_("Calendar days"), len(days), created)
            logins, created = seed_users(agencies, password=password, reset=reset_passwords)
            leader, new = seed_leader(password=password, reset=reset_passwords)
            logins.append(leader)
            self._done(_("Users"), len(logins), created + new)
            ruleset, created = seed_rules(get_user_model().objects.get(username="admin"))
            self._done(_("Routing rules"), ruleset.rules.count(), created)
            texts, created = seed_history(train=False if no_classifier else None)
            self._done(_("Labelled history"), texts, created)
            operator, new = seed_operator(password=password, reset=reset_passwords)
            logins.append(operator)
            self._done(_("Call-takers"), 1, int(new))
            users = get_user_model().objects.filter(username__startswith="staff_")
            articles, created = seed_articles(
                agencies,
                categories,
                reviewer=get_user_model().objects.get(username="dispatcher"),
                writers={u.username.removeprefix("staff_"): u for u in users},
            )
            self._done(_("Knowledge articles"), articles, created)
            duties, created = seed_responsibilities(agencies, categories)
            self._done(_("Responsibility lists"), duties, created)
            complaints, new = seed_hot_issues(
                agencies, get_user_model().objects.get(username="dispatcher")
            )
            self._done(_("Complaints of the hot-issue demo"), complaints, complaints if new else 0)
            if not no_history:
                past, new = seed_past()
                self._done(_("Issues of the past year"), past, past if new else 0)
        self.stdout.write(self.style.SUCCESS(_("The demo city 清河市 (Qinghe City) is ready.")))
        if not quiet:
            self._print_logins(logins, password)

    def _done(self, section: str, count: int, created: int) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                _("%(section)s: %(count)d (%(created)d new)")
                % {"section": section, "count": count, "created": created}
            )
        )

    def _print_logins(self, logins: list[Login], password: str) -> None:
        by_username = {login.username: login for login in logins}
        featured = [by_username[name] for name in FEATURED_LOGINS if name in by_username]
        header = (_("username"), _("role"), _("organisation"))
        self.stdout.write("")
        self.stdout.write(_("Demo logins (password: %(password)s)") % {"password": password})
        for line in _table([header, *(tuple(login) for login in featured)]):
            self.stdout.write("  " + line)
        self.stdout.write(
            _(
                "…and %(count)d more: staff_<code> and manager_<code> for every organisation "
                "(codes in the admin's organisation list)."
            )
            % {"count": len(logins) - len(featured)}
        )
