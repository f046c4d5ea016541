"""The case page's organisation pickers are rendered once per change of the organisations,
and show exactly what the forms would have built for themselves."""

import pytest
from django.utils import translation

from agencies.models import Agency
from coordination.dispatch.forms import CohandleForm, TransferForm, WhistleForm
from coordination.dispatch.pickers import agency_pickers
from platform_gov.stamps import shown_stamps_forget
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

FORMS = [(TransferForm, "suggested_agency"), (CohandleForm, "agencies"), (WhistleForm, "agencies")]


@pytest.fixture
def city():
    own = AgencyFactory(code="own", name_zh="清河街道", kind=Agency.Kind.STREET_OFFICE)
    on_case = AgencyFactory(code="on-case", name_zh="城市管理局")
    AgencyFactory(code="water", name_zh="水务局", name_en="Water Authority")
    AgencyFactory(code="sun", name_zh="阳光社区", kind=Agency.Kind.COMMUNITY)
    AgencyFactory(code="old", name_zh="旧局", active=False)
    return own, on_case


def _built_by_the_form_itself(form_class, field, **kwargs) -> str:
    form = form_class(auto_id="id_%s", **kwargs)
    chosen = form.fields[field]
    chosen.widget.options = None
    chosen.offer(list(chosen.queryset))
    return str(form[field])


@pytest.mark.parametrize(("form_class", "field"), FORMS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_prepared_picker_renders_as_the_form_would(city, form_class, field, language):
    own, on_case = city
    kwargs = {"agency": own, "on_case": {on_case.pk}}
    with translation.override(language):
        prepared = str(form_class(auto_id="id_%s", **kwargs)[field])
        assert prepared == _built_by_the_form_itself(form_class, field, **kwargs)
    assert 'value="water"' in prepared
    for left_out in ("own", "on-case", "old"):
        assert f'value="{left_out}"' not in prepared


def test_a_picker_is_built_once_until_the_organisations_change(city, django_assert_num_queries):
    own, _ = city
    TransferForm(agency=own)  # built

    with django_assert_num_queries(1):  # the stamp alone
        pickers = agency_pickers()
        first = str(TransferForm(agency=own, pickers=pickers)["suggested_agency"])
        str(CohandleForm(agency=own, pickers=pickers)["agencies"])
    assert ">水务局</option>" in first  # the page's language: Chinese

    water = Agency.objects.get(code="water")
    water.name_zh = "清河市水务局"
    water.save()
    AgencyFactory(code="new-one", name_zh="新局")

    again = str(TransferForm(agency=own)["suggested_agency"])
    assert "清河市水务局" in again and 'value="new-one"' in again


def test_a_street_offices_whistle_offers_departments_only(city):
    own, _ = city

    shown = str(WhistleForm(agency=own)["agencies"])

    assert 'value="water"' in shown
    assert 'value="sun"' not in shown


def test_the_stamp_is_asked_at_most_every_display_stamp_seconds(
    city, settings, django_assert_num_queries
):
    own, _ = city
    settings.DISPLAY_STAMP_SECONDS = 60
    shown_stamps_forget()
    TransferForm(agency=own)  # asked now, and built
    with django_assert_num_queries(0):  # within the minute: neither asked nor built again
        shown = str(TransferForm(agency=own, pickers=agency_pickers())["suggested_agency"])
    assert 'value="water"' in shown
    Agency.objects.filter(code="water").update(active=False)
    AgencyFactory(code="new-one", name_zh="新局")
    # The list shown lags (what the form accepts does not: its queryset is read when sent).
    late = TransferForm({"suggested_agency": "water", "reason": "不归我们管"}, agency=own)
    assert 'value="new-one"' not in str(TransferForm(agency=own)["suggested_agency"])
    assert not late.is_valid() and "suggested_agency" in late.errors
    settings.DISPLAY_STAMP_SECONDS = 0  # asked every time: the change shows at once
    assert 'value="new-one"' in str(TransferForm(agency=own)["suggested_agency"])
