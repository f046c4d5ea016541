"""The desk's fixtures: an operator (the group ``operators``) and a published article."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from agencies.models import Agency
from coordination.knowledge.services import article_publish, article_save, article_submit
from issues.models import OPERATORS_GROUP
from tests.factories import AgencyFactory, UserFactory, member


@pytest.fixture
def operator():
    user = UserFactory(username="operator1")
    user.groups.add(Group.objects.get_or_create(name=OPERATORS_GROUP)[0])
    return user


@pytest.fixture
def article():
    """A published answer of the housing fund, written by its staff, published by the centre."""
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    fund = AgencyFactory(code="fund")
    writer = member(fund)
    draft = article_save(
        actor=writer,
        question="住房公积金怎么提取？",
        answer="租房可凭租赁合同在公积金中心提取。",
        organisation=fund,
    )
    article_submit(article_id=draft.pk, actor=writer)
    return article_publish(article_id=draft.pk, actor=member(centre))
