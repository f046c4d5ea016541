"""Rule-set versions: drafting, validation, publishing, rollback, caching and simulation."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from agencies.geometry import rectangle
from agencies.models import Agency
from coordination.dispatch.models import Handoff
from coordination.rules.compiled import facts_from, ruleset_compiled
from coordination.rules.models import Rule, RuleSet, RuleSetPublication
from coordination.rules.selectors import active_ruleset
from coordination.rules.services import (
    rule_save,
    ruleset_draft_create,
    ruleset_publish,
    ruleset_rollback,
)
from coordination.rules.simulate import simulate_facts, simulate_replay
from coordination.rules.validation import RuleSetInvalid, ruleset_problems
from issues.models import Issue
from issues.services import issue_submit
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, AreaFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def to_lead(code: str, category: str, *, co=(), position: int = 10) -> dict:
    return {
        "name": f"{category} → {code}",
        "position": position,
        "conditions": {"all": [{"field": "category", "op": "under", "value": category}]},
        "actions": {
            "lead": {"type": "agency", "agency": code},
            "co_handlers": [{"type": "agency", "agency": c} for c in co],
            "stop": True,
        },
    }


@pytest.fixture
def admin():
    return UserFactory(username="rules-admin", is_superuser=True, is_staff=True)


@pytest.fixture
def world():
    noise = CategoryFactory(code="noise")
    CategoryFactory(code="construction-noise", parent=noise)
    housing = AgencyFactory(code="housing")
    police = AgencyFactory(code="police")
    return {"noise": noise, "housing": housing, "police": police}


def draft_with(admin, *rules: dict) -> RuleSet:
    draft = ruleset_draft_create(actor=admin)
    for rule in rules:
        rule_save(ruleset=draft, **rule)
    return draft


def test_drafts_get_consecutive_versions_and_copy_their_source(admin, world):
    first = draft_with(admin, to_lead("housing", "noise"))
    second = ruleset_draft_create(actor=admin, based_on=first)

    assert (first.version, second.version) == (1, 2)
    assert list(second.rules.values_list("name", "conditions")) == list(
        first.rules.values_list("name", "conditions")
    )
    assert second.based_on == first


def test_publishing_makes_one_active_version_and_records_who_and_when(admin, world):
    first = draft_with(admin, to_lead("housing", "noise"))
    ruleset_publish(ruleset_id=first.pk, actor=admin)
    second = ruleset_draft_create(actor=admin, based_on=first)
    ruleset_publish(ruleset_id=second.pk, actor=admin, note="second")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (RuleSet.Status.RETIRED, RuleSet.Status.ACTIVE)
    assert RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).count() == 1
    publication = RuleSetPublication.objects.first()
    assert (publication.ruleset, publication.previous, publication.actor) == (second, first, admin)
    assert publication.action == RuleSetPublication.Action.PUBLISH
    assert second.published_by == admin and second.published_at is not None


def test_rollback_restores_the_previous_version(admin, world):
    first = draft_with(admin, to_lead("housing", "noise"))
    ruleset_publish(ruleset_id=first.pk, actor=admin)
    second = draft_with(admin, to_lead("police", "noise"))
    ruleset_publish(ruleset_id=second.pk, actor=admin)

    restored = ruleset_rollback(actor=admin)

    assert restored == first
    assert active_ruleset() == first
    assert RuleSetPublication.objects.first().action == RuleSetPublication.Action.ROLLBACK


def test_rollback_without_an_earlier_version_is_refused(admin, world):
    ruleset_publish(ruleset_id=draft_with(admin, to_lead("housing", "noise")).pk, actor=admin)

    with pytest.raises(WorkflowError):
        ruleset_rollback(actor=admin)


def test_published_versions_cannot_be_edited(admin, world):
    ruleset = draft_with(admin, to_lead("housing", "noise"))
    ruleset_publish(ruleset_id=ruleset.pk, actor=admin)

    with pytest.raises(WorkflowError):
        rule_save(ruleset=ruleset, **to_lead("police", "noise", position=20))
    assert ruleset.rules.count() == 1


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        (to_lead("nobody", "noise"), "actions.lead", "nobody"),
        ({**to_lead("housing", "noise"), "conditions": {}}, "conditions", ""),
        (to_lead("housing", "no-such-category"), "conditions.all[0].value", "no-such-category"),
        (
            {
                **to_lead("housing", "noise"),
                "actions": {
                    "lead": {"type": "agency", "agency": "housing"},
                    "deadline_policy": "no-such-policy",
                },
            },
            "actions.deadline_policy",
            "no-such-policy",
        ),
    ],
    ids=["unknown-agency", "empty-condition", "unknown-category", "unknown-deadline-policy"],
)
def test_problems_name_the_rule_and_the_field(admin, world, rule, field, words):
    draft = draft_with(admin, rule)
    rule_id = draft.rules.get().pk

    problems = ruleset_problems(ruleset=draft)

    assert any(p.rule_id == rule_id and p.field.startswith(field) for p in problems), problems
    assert any(words in p.message for p in problems)
    with pytest.raises(RuleSetInvalid) as refused:
        ruleset_publish(ruleset_id=draft.pk, actor=admin)
    assert refused.value.problems
    draft.refresh_from_db()
    assert draft.status == RuleSet.Status.DRAFT


def test_an_unreachable_rule_is_a_problem(admin, world):
    draft = draft_with(
        admin, to_lead("housing", "noise", position=10), to_lead("police", "noise", position=20)
    )
    later = draft.rules.get(position=20)

    problems = ruleset_problems(ruleset=draft)

    assert any(p.rule_id == later.pk and "unreachable" in p.message for p in problems)


def test_routing_records_the_version_and_follows_a_new_publication(
    admin, world, django_capture_on_commit_callbacks
):
    first = draft_with(admin, to_lead("housing", "noise"))
    ruleset_publish(ruleset_id=first.pk, actor=admin)

    def file() -> Issue:
        with django_capture_on_commit_callbacks(execute=True):
            issue = issue_submit(
                title="工地夜间施工", description="吵", category=world["noise"], address="x"
            )
        issue.refresh_from_db()
        return issue

    before = file()
    second = draft_with(admin, to_lead("police", "noise"))
    ruleset_publish(ruleset_id=second.pk, actor=admin)
    after = file()

    assert (before.routing_version, after.routing_version) == (1, 2)
    assert before.assignments.get(role="lead").agency.code == "housing"
    assert after.assignments.get(role="lead").agency.code == "police"
    routed = Handoff.objects.get(issue=after, kind="routed")
    assert routed.details["ruleset"] == {"id": second.pk, "version": 2}
    assert routed.details["rule"]["name"] == "noise → police"
    assert "工地" in routed.details["facts"]["keywords"]


def test_compiled_rules_are_cached_per_version_and_rebuilt_when_an_agency_changes(
    admin, world, django_assert_num_queries
):
    ruleset = draft_with(admin, to_lead("housing", "noise"))
    first = ruleset_compiled(ruleset=ruleset)

    with django_assert_num_queries(3):  # only the three change stamps, no rebuild
        assert ruleset_compiled(ruleset=ruleset) is first
    world["housing"].active = False
    world["housing"].save()

    assert ruleset_compiled(ruleset=ruleset) is not first


def test_no_active_version_sends_everything_to_triage(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(title="t", description="d", category=world["noise"], address="x")
    issue.refresh_from_db()

    assert issue.status == Issue.Status.TRIAGE
    assert "no rule set is active" in Handoff.objects.get(issue=issue, kind="triaged").note


def test_territorial_co_handler_is_the_street_office_of_the_place(admin, world):
    east = AreaFactory(code="east", level="street", geometry=rectangle(116.4, 39.9, 116.5, 40.0))
    AreaFactory(code="west", level="street", geometry=rectangle(116.3, 39.9, 116.4, 40.0))
    AgencyFactory(code="street-east", kind="street_office", area=east)
    draft = draft_with(
        admin,
        {
            **to_lead("housing", "noise"),
            "actions": {
                "lead": {"type": "agency", "agency": "housing"},
                "co_handlers": [{"type": "territorial", "level": "street"}],
            },
        },
    )
    facts = facts_from(title="工地噪音", category=world["noise"], lon=116.45, lat=39.95)

    decision = simulate_facts(ruleset=draft, facts=facts).candidate

    assert (decision.lead, decision.co_handlers) == ("housing", ("street-east",))
    assert "east" in decision.areas


def test_replay_counts_where_issues_would_go(admin, world, django_capture_on_commit_callbacks):
    ruleset_publish(ruleset_id=draft_with(admin, to_lead("housing", "noise")).pk, actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            issue_submit(title=f"t{n}", description="d", category=world["noise"], address="x")
        issue_submit(title="other", description="d", address="x")
    candidate = draft_with(admin, to_lead("police", "noise"))

    replay = simulate_replay(ruleset=candidate, last=10)

    assert (replay["replayed"], replay["changed"]) == (4, 3)
    assert replay["moves"] == [{"from": "housing", "to": "police", "count": 3}]


def test_simulate_api_answers_a_decision_and_the_difference(client, admin, world):
    ruleset_publish(ruleset_id=draft_with(admin, to_lead("housing", "noise")).pk, actor=admin)
    draft = draft_with(admin, to_lead("police", "noise"))
    client.force_login(admin)

    response = client.post(
        f"/api/v1/rulesets/{draft.pk}/simulate/",
        {"issue": {"title": "吵", "category": "noise"}},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"]["lead"] == "police"
    assert body["active_decision"]["lead"] == "housing"
    assert body["changed"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "non_field_errors"),
        ({"replay_last": 0}, "replay_last"),
        ({"replay_last": 10_001}, "replay_last"),
        ({"issue": {"category": "nope"}}, "issue"),
        ({"issue": {"lat": 39.9}}, "issue"),
    ],
)
def test_simulate_api_names_the_bad_field(client, admin, world, payload, field):
    draft = draft_with(admin, to_lead("police", "noise"))
    client.force_login(admin)

    response = client.post(
        f"/api/v1/rulesets/{draft.pk}/simulate/", payload, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_publish_api_lists_problems_and_keeps_the_draft(client, admin, world):
    draft = draft_with(admin, to_lead("nobody", "noise"))
    client.force_login(admin)

    response = client.post(f"/api/v1/rulesets/{draft.pk}/publish/")

    assert response.status_code == 400
    assert response.json()["problems"][0]["field"] == "actions.lead.agency"
    draft.refresh_from_db()
    assert draft.status == RuleSet.Status.DRAFT


def test_rule_pages_and_api_are_for_administrators_only(client, world):
    client.force_login(UserFactory())
    assert client.get("/coordination/rules/").status_code == 403
    assert client.get("/api/v1/rulesets/").status_code == 403


def test_rules_page_publishes_and_simulates(client, admin, world):
    draft = draft_with(admin, to_lead("housing", "noise"))
    client.force_login(admin)

    listing = client.get("/coordination/rules/")
    published = client.post(f"/coordination/rules/{draft.pk}/publish/", follow=True)
    simulated = client.get(
        f"/coordination/rules/{draft.pk}/",
        {
            "simulate": "1",
            "title": "吵",
            "category": "noise",
            "channel": "web",
            "priority": "normal",
        },
    )

    assert listing.status_code == 200
    assert published.status_code == 200
    assert RuleSet.objects.get(pk=draft.pk).status == RuleSet.Status.ACTIVE
    assert simulated.status_code == 200
    # The simulator names organisations by name, not by code.
    housing = Agency.objects.get(code="housing")
    assert f'data-testid="candidate-lead">{housing.name_zh}<' in simulated.content.decode()


def test_import_areas_reads_geojson_idempotently(tmp_path):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "d1", "name": "一区", "level": "district"},
                "geometry": rectangle(0, 0, 2, 2),
            },
            {
                "type": "Feature",
                "properties": {"code": "s1", "name": "一街", "level": "street", "parent": "d1"},
                "geometry": rectangle(0, 0, 1, 1),
            },
        ],
    }
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")

    call_command("import_areas", str(path))
    call_command("import_areas", str(path))

    from agencies.models import Area

    assert Area.objects.count() == 2
    assert Area.objects.get(code="s1").parent.code == "d1"


def test_import_areas_rejects_a_bad_feature_naming_it(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "x", "level": "street"},
                        "geometry": {"type": "Point", "coordinates": [0, 0]},
                    }
                ],
            }
        )
    )

    with pytest.raises(CommandError, match="feature 0 \\(x\\)"):
        call_command("import_areas", str(path))


def test_admin_form_names_the_field_of_a_bad_rule(client, admin, world):
    draft = ruleset_draft_create(actor=admin)
    client.force_login(admin)
    url = f"/admin/rules/ruleset/{draft.pk}/change/"
    form = {
        "title": "",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-position": "10",
        "rules-0-name": "bad",
        "rules-0-conditions": json.dumps(
            {"all": [{"field": "category", "op": "under", "value": "noise"}]}
        ),
        "rules-0-actions": json.dumps({"lead": {"type": "agency", "agency": "nobody"}}),
    }

    response = client.post(url, form)

    assert response.status_code == 200  # the form again, with its errors
    assert "actions.lead" in response.content.decode()
    assert not Rule.objects.filter(ruleset=draft).exists()

    form["rules-0-actions"] = json.dumps({"lead": {"type": "agency", "agency": "housing"}})
    assert client.post(url, form).status_code == 302
    assert Rule.objects.get(ruleset=draft).name == "bad"


def test_the_recorded_rule_is_the_one_that_named_the_lead(admin, world):
    urgent = {
        "name": "gas: urgent",
        "position": 1,
        "conditions": {"any": [{"field": "keyword", "op": "any", "value": ["燃气"]}]},
        "actions": {"priority": "urgent", "stop": False},
    }
    draft = draft_with(admin, urgent, to_lead("housing", "noise"))
    facts = facts_from(title="燃气味道，工地噪音", category=world["noise"])

    details = simulate_facts(ruleset=draft, facts=facts).candidate.as_details()

    assert details["priority"] == "urgent"
    assert details["rule"]["name"] == "noise → housing"
    assert [rule["name"] for rule in details["rules"]] == ["gas: urgent", "noise → housing"]
