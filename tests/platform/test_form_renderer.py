"""Forms are drawn with Django's Jinja2 form templates (``platform_gov.renderers``): the same
HTML as Django's own engine writes, errors included; templates that exist only for Django's
engine (the admin's widgets) are still found."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation

from coordination.dispatch.forms import ExtensionForm, ReasonForm, ReplyForm, ResolveForm
from platform_gov.renderers import FormRenderer

FORMS = [ReplyForm, ResolveForm, ReasonForm, ExtensionForm]


def test_the_site_draws_its_forms_with_the_jinja2_renderer():
    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bound", [False, True], ids=["empty", "with-errors"])
def test_a_form_reads_the_same_as_django_s_engine_draws_it(form_class, bound, language):
    data = {"reason": "", "message": "", "until": "not a date", "public": "", "published": "on"}
    with translation.override(language):
        ours = form_class(data if bound else None, auto_id="id_x1_%s", renderer=FormRenderer())
        theirs = form_class(data if bound else None, auto_id="id_x1_%s", renderer=DjangoTemplates())
        assert ours.as_div() == theirs.as_div()
        for name in ours.fields:
            assert ours[name].as_field_group() == theirs[name].as_field_group()
        if bound:
            assert ours.errors and 'class="errorlist' in ours.as_div()


def test_a_widget_only_django_s_engine_knows_is_drawn_by_it():
    class When(forms.Form):
        day = forms.DateField(widget=AdminDateWidget)

    html = When(renderer=FormRenderer()).as_div()
    assert 'class="vDateField"' in html and 'name="day"' in html
