"""The rule editor: conditions and actions as rows of fields chosen by name, saved as the
engine's JSON; problems beside their field; names, not codes, on the rule pages."""

import pytest

from agencies.models import Agency
from coordination.rules.models import Rule, RuleSet
from coordination.rules.services import ruleset_draft_create
from tests.factories import AgencyFactory, AreaFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def admin():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def draft(admin):
    return ruleset_draft_create(actor=admin)


@pytest.fixture
def city():
    return {
        "noise": CategoryFactory(code="noise", name_zh="噪声扰民", name_en="Noise"),
        "housing": AgencyFactory(code="housing", name_zh="住建局", name_en="Housing Bureau"),
        "power": AgencyFactory(
            code="power",
            name_zh="供电公司",
            name_en="Power Company",
            kind=Agency.Kind.ENTERPRISE_PARTNER,
        ),
        "hexi": AreaFactory(code="hexi", name_zh="河西街道", name_en="Hexi"),
    }


def form(**fields):
    data = {
        "rule-name": "Noise at night to housing",
        "rule-position": "10",
        "rule-priority": "",
        "rule-deadline_policy": "",
        "rule-stop": "on",
        "conditions-TOTAL_FORMS": "2",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-group": "all",
        "conditions-0-field": "category",
        "conditions-0-category": "noise",
        "conditions-0-category_children": "on",
        "conditions-1-group": "any",
        "conditions-1-field": "keyword",
        "conditions-1-words": "工地, 施工",
        "co-TOTAL_FORMS": "1",
        "co-INITIAL_FORMS": "0",
        "co-0-type": "agency",
        "co-0-agency": "power",
        "lead-type": "agency",
        "lead-agency": "housing",
    }
    data.update(fields)
    return data


def test_a_rule_is_made_from_rows_of_fields_chosen_by_name(client, admin, draft, city):
    client.force_login(admin)
    page = client.get(f"/coordination/rules/{draft.pk}/rules/new/", **EN)
    assert "Housing Bureau" in page.content.decode()  # chosen by name

    response = client.post(f"/coordination/rules/{draft.pk}/rules/new/", form())

    assert response.status_code == 302, response.context["editor"].rule.errors
    rule = Rule.objects.get(ruleset=draft)
    assert rule.conditions == {
        "all": [{"field": "category", "op": "under", "value": "noise"}],
        "any": [{"field": "keyword", "op": "any", "value": ["工地", "施工"]}],
    }
    assert rule.actions["lead"] == {"type": "agency", "agency": "housing"}
    assert rule.actions["co_handlers"] == [{"type": "agency", "agency": "power"}]


def test_editing_a_rule_shows_its_rows_and_saves_the_change(client, admin, draft, city):
    client.force_login(admin)
    client.post(f"/coordination/rules/{draft.pk}/rules/new/", form())
    rule = Rule.objects.get(ruleset=draft)

    page = client.get(f"/coordination/rules/{draft.pk}/rules/{rule.pk}/", **EN)
    editor = page.context["editor"]
    assert editor.conditions.forms[0].initial["category"] == "noise"
    assert editor.lead.initial["agency"] == "housing"
    client.post(
        f"/coordination/rules/{draft.pk}/rules/{rule.pk}/",
        form(
            **{
                "rule-name": "Renamed",
                "conditions-INITIAL_FORMS": "2",
                "co-INITIAL_FORMS": "1",
                "conditions-1-DELETE": "on",
            }
        ),
    )

    rule.refresh_from_db()
    assert rule.name == "Renamed"
    assert "any" not in rule.conditions


def test_a_missing_value_is_shown_beside_its_field(client, admin, draft, city):
    client.force_login(admin)

    response = client.post(
        f"/coordination/rules/{draft.pk}/rules/new/",
        form(**{"conditions-0-category": "", "lead-agency": ""}),
        **EN,
    )

    assert response.status_code == 400
    editor = response.context["editor"]
    assert editor.conditions.forms[0].errors["category"]
    assert editor.lead.errors["agency"]
    assert not Rule.objects.filter(ruleset=draft).exists()


def test_problems_the_validation_finds_land_beside_the_field(client, admin, draft, city):
    client.force_login(admin)
    # A condition on an area with a territorial lead is fine; an empty rule is not: no
    # conditions at all is a problem of the rule itself.
    response = client.post(
        f"/coordination/rules/{draft.pk}/rules/new/",
        form(
            **{
                "conditions-0-field": "area",
                "conditions-0-area": "hexi",
                "conditions-0-DELETE": "on",
                "conditions-1-DELETE": "on",
            }
        ),
        **EN,
    )

    assert response.status_code == 400
    assert response.context["editor"].rule.non_field_errors()


def test_published_rule_sets_are_not_edited(client, admin, draft, city):
    RuleSet.objects.filter(pk=draft.pk).update(status=RuleSet.Status.RETIRED)
    client.force_login(admin)

    assert client.get(f"/coordination/rules/{draft.pk}/rules/new/").status_code == 403


def test_a_rule_is_deleted_from_its_draft(client, admin, draft, city):
    client.force_login(admin)
    client.post(f"/coordination/rules/{draft.pk}/rules/new/", form())
    rule = Rule.objects.get(ruleset=draft)

    client.post(f"/coordination/rules/{draft.pk}/rules/{rule.pk}/delete/")

    assert not Rule.objects.filter(pk=rule.pk).exists()


def test_the_rule_table_names_organisations_categories_and_areas(client, admin, draft, city):
    client.force_login(admin)
    client.post(
        f"/coordination/rules/{draft.pk}/rules/new/",
        form(**{"conditions-1-field": "area", "conditions-1-area": "hexi"}),
    )

    body = client.get(f"/coordination/rules/{draft.pk}/", **EN).content.decode()

    assert "Housing Bureau" in body and "Power Company" in body
    assert "Noise" in body and "Hexi" in body
    assert "lead: housing" not in body


def test_routing_reasons_are_said_in_chinese_with_names():
    from django.utils import translation

    from coordination.rules.wording import describe_reason

    AgencyFactory(code="housing", name_zh="住建局")
    CategoryFactory(code="noise", name_zh="噪声扰民")
    with translation.override("zh-hans"):
        said = describe_reason("rule 'Noise' (#3) matched: category under noise")
        lead = describe_reason("lead by rule 'Noise' (#3): named")
        triage = describe_reason("no rule matched: triage at the dispatch centre")

    assert "噪声扰民" in said and "matched" not in said
    assert "规则" in lead
    assert "派单中心" in triage
