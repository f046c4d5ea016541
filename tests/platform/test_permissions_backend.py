"""A person's permissions are read in one query (``platform_gov.backends``), and answer as
Django's own backend answers: given to the person, through a group, none when inactive; object
permissions (guardian) and signing in are unchanged."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group, Permission
from guardian.shortcuts import assign_perm

from issues.models import Issue
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password 42"


def fresh(user):
    """The user as a new request loads it: nothing cached."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def person():
    user = get_user_model().objects.create_user("li.ming", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="change_ruleset"))
    group = Group.objects.create(name="leaders")
    group.permissions.add(Permission.objects.get(codename="view_city"))
    user.groups.add(group)
    return user


def test_the_permissions_of_the_person_and_of_their_groups_in_one_query(
    person, django_assert_num_queries
):
    user = fresh(person)
    with django_assert_num_queries(1):
        assert user.has_perm("rules.change_ruleset")
        assert user.has_perm("hot.view_city")
        # Held by neither: Django's backend is asked too, and answers from the same read.
        assert not user.has_perm("rules.delete_ruleset")
        assert user.get_all_permissions() >= {"rules.change_ruleset", "hot.view_city"}
    assert "rules.delete_ruleset" not in user.get_all_permissions()


def test_an_inactive_person_holds_none_and_an_administrator_all(person):
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert not fresh(person).has_perm("rules.change_ruleset")
    admin = get_user_model().objects.create_superuser("admin2", password=PASSWORD)
    assert fresh(admin).has_perm("rules.delete_ruleset")


def test_object_permissions_still_come_from_guardian(person):
    issue = IssueFactory()
    assign_perm("issues.view_issue", person, issue)
    user = fresh(person)
    assert user.has_perm("issues.view_issue", issue)
    assert not user.has_perm("issues.view_issue", IssueFactory())
    assert not user.has_perm("issues.view_issue")  # given for one issue, not for all
    assert Issue.objects.count() == 2


def test_signing_in_is_still_django_s_backend_s(person, client):
    response = client.post("/accounts/login/", {"username": "li.ming", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == person.pk
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
