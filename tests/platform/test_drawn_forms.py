"""Forms shown empty on a busy page are drawn once and given each page's ids
(``platform_gov.forms.DrawnOnce``): what a page shows is what Django would have drawn for it,
in either language, for any ids; a sent form with its errors is drawn afresh."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.boundfield import BoundField
from django.utils import translation

from coordination.dispatch.forms import ExtensionForm, ReasonForm, ReplyForm, ResolveForm
from platform_gov import forms as drawn

FORMS = [ReplyForm, ResolveForm, ReasonForm, ExtensionForm]


@pytest.fixture(autouse=True)
def nothing_drawn():
    drawn._DRAWINGS.clear()
    yield
    drawn._DRAWINGS.clear()


def django_s(form) -> tuple[str, dict[str, str], dict[str, str]]:
    """What Django itself draws: the form, each field's group and each widget."""
    return (
        forms.Form.render(form),
        {name: BoundField.render(form[name]) for name in form.fields},
        {name: BoundField.as_widget(form[name]) for name in form.fields},
    )


def ours(form) -> tuple[str, dict[str, str], dict[str, str]]:
    return (
        form.as_div(),
        {name: form[name].as_field_group() for name in form.fields},
        {name: str(form[name]) for name in form.fields},
    )


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_drawing_shows_each_page_its_own_ids(form_class, language):
    with translation.override(language):
        for auto_id in ("id_x17_%s", "id_x2024_%s", "id_x17_%s", "id_%s"):
            form = form_class(auto_id=auto_id)
            assert ours(form) == django_s(form_class(auto_id=auto_id))
    # Two shapes of ids (a number in it, or none), each: the form, each group and widget.
    assert len(drawn._DRAWINGS) == 2 * (1 + 2 * len(form_class.base_fields))
    with translation.override("en"):
        assert 'for="id_x2024_' in str(form_class(auto_id="id_x2024_%s").as_div())
    assert "zzdrawn" not in str(form_class(auto_id="id_x9_%s").as_div())


def test_the_languages_are_drawn_apart():
    with translation.override("en"):
        english = ReasonForm(auto_id="id_r1_%s").as_div()
    with translation.override("zh-hans"):
        chinese = ReasonForm(auto_id="id_r1_%s").as_div()
    assert "Reason:" in english and "理由：" in chinese


def test_a_sent_form_is_drawn_with_what_was_sent_and_its_errors():
    with translation.override("en"):
        ReplyForm(auto_id="id_reply5_%s").as_div()  # the empty one, drawn
        sent = ReplyForm({"message": "", "published": "on"}, auto_id="id_reply5_%s")
        assert not sent.is_valid()
        html = sent.as_div()
        assert html == forms.Form.render(sent)
        assert 'class="errorlist' in html and "checked" in html
        again = ReplyForm({"message": "The lamp is fixed.", "public": "on"}, auto_id="id_reply5_%s")
        assert "The lamp is fixed." in again["message"].as_field_group()


def test_the_drawings_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(drawn, "DRAWINGS_KEPT", 5)
    for n in range(20):
        ReasonForm(auto_id=f"id_r{n}_{n}x%s").as_div()  # ever new shapes of ids
        assert len(drawn._DRAWINGS) <= 5


def test_each_page_gets_its_own_prepared_options_even_where_the_form_was_drawn_before(db):
    from coordination.dispatch.forms import CohandleForm
    from tests.factories import AgencyFactory

    own, water, power = (AgencyFactory(code=c) for c in ("own", "water", "power"))
    # The first page leaves out the water authority (on the case), the second the power one.
    first = CohandleForm(auto_id="id_cohandle1_%s", agency=own, on_case={water.pk}).as_div()
    second = CohandleForm(auto_id="id_cohandle2_%s", agency=own, on_case={power.pk}).as_div()
    assert 'value="power"' in first and 'value="water"' not in first
    assert 'value="water"' in second and 'value="power"' not in second
    assert "zzoptions" not in first + second and 'id="id_cohandle2_agencies"' in second
