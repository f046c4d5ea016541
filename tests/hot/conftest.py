"""Fixtures of the hot room's Django tests: a small city, and issues filed the real way."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from agencies.geometry import rectangle
from agencies.models import Agency, Area, Membership
from coordination.hot.services import clustering
from issues.services import issue_submit
from tests.factories import AgencyFactory, AreaFactory, CategoryFactory, UserFactory, member
from tests.hot.fixtures import START


@pytest.fixture(autouse=True)
def _fresh_clusterer():
    """Each test starts with no clusterer in memory (its database is rolled back)."""
    clustering.forget_memory()
    yield
    clustering.forget_memory()


class City:
    """Two streets of one district, a category tree, a street office, two departments, an
    enterprise, the dispatch centre, and their people."""

    def __init__(self) -> None:
        self.district = AreaFactory(
            code="hx-district",
            level=Area.Level.DISTRICT,
            geometry=rectangle(116.0, 39.0, 117.0, 40.0),
        )
        self.east = AreaFactory(
            code="hx-east",
            level=Area.Level.STREET,
            parent=self.district,
            name_zh="东街道",
            name_en="East Street",
            geometry=rectangle(116.5, 39.0, 117.0, 40.0),
        )
        self.west = AreaFactory(
            code="hx-west",
            level=Area.Level.STREET,
            parent=self.district,
            name_zh="西街道",
            name_en="West Street",
            geometry=rectangle(116.0, 39.0, 116.5, 40.0),
        )
        self.environment = CategoryFactory(
            code="hx-environment", name_zh="环境", name_en="Environment"
        )
        self.rubbish = CategoryFactory(
            code="hx-rubbish", parent=self.environment, name_zh="垃圾", name_en="Rubbish"
        )
        self.transport = CategoryFactory(code="hx-transport", name_zh="交通", name_en="Transport")
        kind = Agency.Kind
        self.centre = AgencyFactory(code="hx-centre", kind=kind.DISPATCH_CENTRE)
        self.street = AgencyFactory(
            code="hx-street-east", kind=kind.STREET_OFFICE, area=self.east, name_en="East office"
        )
        self.sanitation = AgencyFactory(
            code="hx-sanitation", kind=kind.GOVERNMENT_DEPARTMENT, name_en="Sanitation"
        )
        self.housing = AgencyFactory(
            code="hx-housing", kind=kind.GOVERNMENT_DEPARTMENT, name_en="Housing"
        )
        self.league = AgencyFactory(
            code="hx-league", kind=kind.MASS_ORGANISATION, name_en="Youth League"
        )
        self.utility = AgencyFactory(
            code="hx-utility", kind=kind.ENTERPRISE_PARTNER, name_en="Utility"
        )
        self.dispatcher = member(self.centre, username="hx_dispatcher")
        self.street_staff = member(self.street, username="hx_street_staff")
        self.sanitation_staff = member(self.sanitation, username="hx_sanitation_staff")
        self.sanitation_manager = member(
            self.sanitation, role=Membership.Role.MANAGER, username="hx_sanitation_manager"
        )
        self.housing_staff = member(self.housing, username="hx_housing_staff")
        self.league_staff = member(self.league, username="hx_league_staff")
        self.resident = UserFactory(username="hx_resident")


@pytest.fixture
def city(db) -> City:
    return City()


# East street: 116.75, 39.5; a second point about 100 m away; the west street is 30 km off.
EAST = (39.5, 116.75)
EAST_NEAR = (39.5009, 116.75)
WEST = (39.5, 116.25)


@pytest.fixture
def file(city, django_capture_on_commit_callbacks):
    """``file(pair, day=0, place=EAST, **fields)``: a resident files an issue through the
    service, the clock at ``day`` days after 2024-05-01 09:00; the clustering task runs after
    the commit, as it does in production (eagerly here)."""
    start = START
    counter = {"n": 0}

    def _file(pair, day: float = 0.0, place=EAST, category=None, **fields):
        counter["n"] += 1
        title, text = pair
        lat, lon = place if place else (None, None)
        values = {
            "title": title,
            "description": text,
            "category": category if category is not None else city.rubbish,
            "lat": lat,
            "lon": lon,
            "address": "" if place else "somewhere",
            "contact_phone": f"1380000{counter['n']:04d}",
            **fields,
        }
        with (
            time_machine.travel(start + timedelta(days=day), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return issue_submit(**values)

    return _file
