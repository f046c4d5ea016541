"""Give Schemathesis real objects of the demo city to work on, as the dispatcher and as staff.

Run by ``.ci/schemathesis.sh`` after ``seed_demo``, with the server's settings (tasks run
eagerly, so every report filed here is routed at once): files a dozen made-up reports across
the demo's categories and places, takes some of them a step further (accepted, resolved, a
bounce-back asked for, one left to triage), and writes one Schemathesis configuration per
role into the directory given: ``dispatcher.toml``, ``staff.toml`` and ``admin.toml``. Each
sets the role's API token, binds the path parameters of every operation to the ids that role
can see (most of the time: the rest stay generated, so 404s are tried too), and sizes the
stateful phase.

    python .ci/schemathesis_world.py DIRECTORY
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from agencies.models import Agency  # noqa: E402
from coordination.dispatch.models import Assignment, CoordinationRequest  # noqa: E402
from coordination.dispatch.permissions import issues_visible_to  # noqa: E402
from coordination.dispatch.services import assignments, requests  # noqa: E402
from coordination.rules.models import RuleSet  # noqa: E402
from issues.models import Category, Issue  # noqa: E402
from issues.services import issue_submit  # noqa: E402

# How often a path parameter takes a real id rather than a generated one.
REAL = 0.85
# The stateful phase: how many chains of calls, and how long each may grow.
STATEFUL_SCENARIOS = 25
STATEFUL_MAX_STEPS = 8
# Cases added for the staff's organisation, on top of what the reports gave it.
EXTRA_CASES = 4

# (category, longitude, latitude): places inside the demo's streets and communities.
REPORTS = [
    ("street-light", 116.41, 39.88),
    ("street-light", 116.33, 39.95),
    ("cooking-fumes", 116.46, 39.96),
    ("construction-noise-night", 116.42, 39.90),
    ("illegal-parking", 116.35, 39.87),
    ("lift-failure", 116.47, 39.89),
    ("property-dispute", 116.40, 39.86),
    ("power-cut", 116.45, 39.97),
    ("unpaid-wages", 116.39, 39.95),
    ("women-children", 116.31, 39.90),
    ("fire-lane-blocked", 116.43, 39.91),
    ("other", 116.36, 39.98),
]


def file_reports(reports=REPORTS, *, first: int = 1) -> list[Issue]:
    filed = []
    for number, (code, lon, lat) in enumerate(reports, start=first):
        with transaction.atomic():
            issue = issue_submit(
                title=f"演示诉求 {number}",
                description=f"演示用诉求 {number}：现场情况需要处理。",
                category=Category.objects.get(code=code),
                lat=lat,
                lon=lon,
                address=f"演示路 {number} 号",
                contact_name="演示居民",
                contact_phone="13800000000",
                contact_email="resident@example.org",
            )
        filed.append(issue)  # routed once the transaction committed (tasks run eagerly)
    return filed


def token(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


def busiest_lead_agency() -> Agency:
    """The government department or street office leading the most open cases."""
    leads = Counter(
        Assignment.objects.filter(
            role=Assignment.Role.LEAD,
            status__in=Assignment.ACTIVE_STATUSES,
            agency__kind__in=[Agency.Kind.GOVERNMENT_DEPARTMENT, Agency.Kind.STREET_OFFICE],
        ).values_list("agency__code", flat=True)
    )
    return Agency.objects.get(code=leads.most_common(1)[0][0])


def move_along(agency: Agency, staff) -> None:
    """Some of the agency's work further on: a case resolved (its resolution published), one
    accepted with more time asked for, and a bounce-back asked for: open requests for the
    dispatcher to decide."""
    pending = Assignment.objects.filter(agency=agency, status=Assignment.Status.PENDING)
    leads = list(pending.filter(role=Assignment.Role.LEAD).order_by("id"))
    if leads:
        done = leads.pop(0)
        assignments.assignment_accept(assignment_id=done.pk, actor=staff)
        assignments.assignment_resolve(
            assignment_id=done.pk, actor=staff, resolution="已处理完毕。", published=True
        )
    if leads:
        accepted = leads.pop(0)
        assignments.assignment_accept(assignment_id=accepted.pk, actor=staff)
        accepted.refresh_from_db()
        requests.assignment_request_extension(
            assignment_id=accepted.pk,
            actor=staff,
            until=accepted.due_at + timedelta(days=3),
            reason="需要等待配件。",
        )
    rest = pending.order_by("id").first()
    if rest is not None:
        requests.assignment_request_bounce(
            assignment_id=rest.pk, actor=staff, reason="不属于本单位职责。"
        )


def config(*, api_token: str, ids: dict[str, list]) -> str:
    """A Schemathesis configuration: the token, and each path parameter bound to real ids."""
    bindings = [
        (r"^/api/v1/issues/\{id\}", "issues"),
        (r"^/api/v1/assignments/\{id\}", "assignments"),
        (r"^/api/v1/coordination-requests/\{id\}", "requests"),
        (r"^/api/v1/rulesets/\{id\}", "rulesets"),
        (r"^/api/v1/track/\{access_token\}", "tokens"),
        (r"^/api/v1/agencies/\{code\}", "agencies"),
    ]
    lines = [
        "[headers]",
        f"Authorization = {json.dumps('Token ' + api_token)}",
        "",
        "[phases.stateful]",
        f"max-steps = {STATEFUL_MAX_STEPS}",
        "",
        "[phases.stateful.generation]",
        f"max-examples = {STATEFUL_SCENARIOS}",
        "",
    ]
    for name, values in ids.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    for pattern, name in bindings:
        if not ids.get(name):
            continue
        parameter = "access_token" if name == "tokens" else "code" if name == "agencies" else "id"
        lines += [
            "[[operations]]",
            f"include-path-regex = {json.dumps(pattern)}",
            f'parameters = {{ "path.{parameter}" = '
            f'{{ dictionary = "{name}", probability = {REAL} }} }}',
            "",
        ]
    return "\n".join(lines)


def main(directory: Path) -> None:
    filed = file_reports()
    agency = busiest_lead_agency()
    # More of the same for that organisation, so its staff have a queue to work through.
    case = Assignment.objects.filter(agency=agency, role=Assignment.Role.LEAD).first()
    filed += file_reports(
        [(case.issue.category.code, case.issue.lon, case.issue.lat)] * EXTRA_CASES,
        first=len(REPORTS) + 1,
    )
    staff = get_user_model().objects.get(username=f"staff_{agency.code}")
    move_along(agency, staff)
    dispatcher = get_user_model().objects.get(username="dispatcher")
    admin = get_user_model().objects.get(username="admin")

    def ids_for(user) -> dict[str, list]:
        visible = issues_visible_to(user)
        issue_ids = sorted(visible.values_list("pk", flat=True))
        reach = Assignment.objects.filter(issue__in=visible)
        if user == staff:
            reach = reach.filter(agency=agency)
        return {
            "issues": issue_ids,
            "assignments": sorted(reach.values_list("pk", flat=True)),
            "requests": sorted(
                CoordinationRequest.objects.filter(issue__in=visible).values_list("pk", flat=True)
            )
            if user != staff
            else [],
            "rulesets": sorted(RuleSet.objects.values_list("pk", flat=True)),
            "tokens": [i.access_token for i in filed],
            "agencies": sorted(Agency.objects.values_list("code", flat=True)),
        }

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dispatcher.toml").write_text(
        config(api_token=token("dispatcher"), ids=ids_for(dispatcher))
    )
    (directory / "staff.toml").write_text(
        config(api_token=token(staff.username), ids=ids_for(staff))
    )
    (directory / "admin.toml").write_text(config(api_token=token("admin"), ids=ids_for(admin)))
    print(f"{len(filed)} reports filed; staff user: {staff.username}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
