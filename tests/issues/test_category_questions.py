"""Category questions: checked on filing, published as Open311 service attributes."""

import pytest
from django.core.exceptions import ValidationError

from issues.models import CategoryQuestion
from issues.services import issue_submit
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def noise():
    category = CategoryFactory(code="noise", service_code="NOISE")
    CategoryQuestion.objects.create(
        category=category,
        code="source",
        question_zh="噪声来自哪里？",
        question_en="Where from?",
        datatype="singlevaluelist",
        required=True,
        values=[{"key": "site", "name": "工地"}, {"key": "home", "name": "住户"}],
    )
    CategoryQuestion.objects.create(
        category=category, code="decibels", question_zh="分贝", datatype="number", order=2
    )
    return category


def file(category, **answers):
    return issue_submit(
        title="吵",
        description="夜里吵",
        category=category,
        address="x",
        answers=answers,
        require_answers=True,
    )


def test_answers_are_checked_and_stored(noise):
    issue = file(noise, source="site", decibels="72.5")

    assert issue.answers == {"source": "site", "decibels": 72.5}


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({}, "source"),
        ({"source": "moon"}, "source"),
        ({"source": "site", "decibels": "loud"}, "decibels"),
        ({"source": "site", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_answer_names_the_question(noise, answers, code):
    with pytest.raises(ValidationError) as refused:
        file(noise, **answers)

    assert any(message.startswith(code) for message in refused.value.message_dict["answers"])


def test_the_web_form_files_without_the_questions_it_does_not_show_yet(noise):
    issue = issue_submit(title="吵", description="夜里吵", category=noise, address="x")

    assert issue.answers == {}


def test_open311_publishes_questions_as_attributes_and_takes_answers(client, noise):
    from coordination.open311.services import api_key_create

    _, key = api_key_create(name="partner")
    services = client.get("/open311/v2/services.json").json()
    definition = client.get("/open311/v2/services/NOISE.json").json()
    missing = client.post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "NOISE", "address_string": "x", "description": "吵"},
    )
    filed = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "NOISE",
            "address_string": "x",
            "description": "吵",
            "attribute[source]": "home",
        },
    )

    assert services[0]["metadata"] is True
    source = definition["attributes"][0]
    assert (source["code"], source["datatype"], source["required"]) == (
        "source",
        "singlevaluelist",
        True,
    )
    assert source["values"] == [{"key": "site", "name": "工地"}, {"key": "home", "name": "住户"}]
    assert missing.status_code == 400
    assert "attribute" in missing.json()[0]["description"]
    assert filed.status_code == 200, filed.content
    from issues.models import Issue

    assert Issue.objects.get(channel="open311").answers == {"source": "home"}
