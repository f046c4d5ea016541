"""The report form's place and categories: places outside the city are refused, an issue
keeps the smallest area holding its place, the areas are served for the maps, and categories
come grouped, sorted in each language and searchable by pinyin."""

import json

import pytest
from django.utils import translation

from agencies.geometry import rectangle
from agencies.models import Area
from issues.forms import ReportForm
from issues.services import issue_submit
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

REPORT = {"title": "Lamp out", "description": "Dark.", "address": "1 Road"}


@pytest.fixture
def city():
    district = Area.objects.create(
        code="qinghe",
        name_zh="清河区",
        name_en="Qinghe District",
        level=Area.Level.DISTRICT,
        geometry=rectangle(116.30, 39.85, 116.50, 40.00),
    )
    street = Area.objects.create(
        code="hexi",
        name_zh="河西街道",
        name_en="Hexi Subdistrict",
        level=Area.Level.STREET,
        parent=district,
        geometry=rectangle(116.30, 39.85, 116.38, 40.00),
    )
    return district, street


def test_a_place_outside_the_city_is_refused_with_a_clear_message(client, city):
    response = client.post(
        "/report/", {**REPORT, "lat": "31.2", "lon": "121.5"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "outside Qinghe City" in str(response.context["form"].errors["lat"])


def test_a_place_inside_the_city_is_filed_with_its_smallest_area(city):
    issue = issue_submit(**REPORT, lat=39.9, lon=116.33)
    elsewhere = issue_submit(**REPORT, lat=39.9, lon=116.45)

    assert issue.area == city[1]  # the street, not the district
    assert elsewhere.area == city[0]


def test_without_areas_there_are_no_city_limits_to_refuse_by(client):
    response = client.post("/report/", {**REPORT, "lat": "31.2", "lon": "121.5"})

    assert response.status_code == 302


def test_the_areas_are_served_as_geojson_in_the_pages_language(client, city):
    response = client.get("/areas.geojson", HTTP_ACCEPT_LANGUAGE="en")

    data = json.loads(response.content)
    assert response.status_code == 200
    assert [f["properties"]["name"] for f in data["features"]] == [
        "Qinghe District",
        "Hexi Subdistrict",
    ]
    assert data["features"][1]["properties"]["parent"] == "qinghe"
    assert "public" in response["Cache-Control"]


def test_categories_are_grouped_sorted_in_each_language_and_searchable_by_pinyin():
    traffic = CategoryFactory(code="traffic", name_zh="交通出行", name_en="Transport")
    CategoryFactory(code="parking", name_zh="违章停车", name_en="Illegal parking", parent=traffic)
    CategoryFactory(code="road", name_zh="道路破损", name_en="Damaged road", parent=traffic)
    CategoryFactory(code="other", name_zh="其他", name_en="Other")

    with translation.override("zh-hans"):
        html = str(ReportForm()["category"])
        zh = [c for c in ReportForm().fields["category"].choices]
    with translation.override("en"):
        en = [c for c in ReportForm().fields["category"].choices]

    assert zh[1][0] == "交通出行"
    # By pinyin: 道路 (daolu) before 违章 (weizhang); in English: Damaged before Illegal.
    assert [label for _value, label in zh[1][1]][1:] == ["道路破损", "违章停车"]
    assert [label for _value, label in en[1][1]][1:] == ["Damaged road", "Illegal parking"]
    assert zh[-1][1] == "其他"  # a category without children stands alone, last
    assert "<optgroup" in html and "data-searchable" in html
    assert "weizhangtingche" in html and "wztc" in html


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (None, None),
        (39.9, 116.4),
        (90, 180),
        (-90, -180),
        (90.5, 116.4),
        (39.9, -180.1),
        (39.9, None),
        (None, 116.4),
        (None, 200.0),
        (-91.0, None),
    ],
)
def test_the_coordinates_are_checked_in_python_as_the_model_constraint_checks_them(lat, lon):
    from django.core.exceptions import ValidationError

    from issues.models import Issue
    from issues.services import COORDINATES_CONSTRAINT, issue_check_coordinates

    issue = Issue(title="t", description="d", lat=lat, lon=lon)
    constraint = next(c for c in Issue._meta.constraints if c.name == COORDINATES_CONSTRAINT)

    def refused(check) -> str | None:
        try:
            check()
        except ValidationError as error:
            return str(error.messages)
        return None

    assert refused(lambda: issue_check_coordinates(issue)) == refused(
        lambda: constraint.validate(Issue, issue)
    )
