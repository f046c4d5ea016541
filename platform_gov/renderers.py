"""How forms are drawn: Django's own Jinja2 form templates, with Django's engine behind them.

Django draws every form, field, label, widget and error list through a template of its own.
With the Django template engine that cost a case page, which carries seven forms, about a
fifth of its time. Django ships the same templates for Jinja2 (``django/forms/jinja2``), which
write the same HTML in about a third of the time; this renderer takes those. A template that
exists only for Django's engine (the admin's widgets, another app's widget) is drawn by
Django's engine, as before.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(Jinja2):
    """``FORM_RENDERER``: Jinja2 where Django ships the template for it, Django else."""

    @cached_property
    def fallback(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
