"""What every page's form handling shares: errors as messages that name their field, and a
refused change shown for what it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .errors import WorkflowError

# Django's form label suffix, and the punctuation after which it is left out, are looked up in
# the catalogues: translated here, Chinese labels get "：" and a label ending in "？" gets none
# (Django's own catalogue keeps both ASCII, which gave "？:").
LABEL_SUFFIX = (gettext_noop(":"), gettext_noop(":?.!"))


def form_error_messages(request: HttpRequest, form: forms.Form, *, prefix: str = "") -> None:
    """Each field error as a message naming its field (for forms on a page that is re-rendered
    fresh after the redirect, so the form itself cannot show them)."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            text = _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error
            messages.error(request, f"{prefix}{text}")


def act(
    request: HttpRequest,
    form: forms.Form,
    service: Callable[[dict], Any],
    success: str,
    *,
    prefix: str = "",
) -> bool:
    """Validate ``form``, call the one service with its cleaned data, and say what happened.

    Errors (the form's, or a refused change: ``WorkflowError``) are shown as messages,
    ``prefix`` before each (the case they concern), and change nothing; any other exception
    is a bug and propagates. True when the service ran.
    """
    if not form.is_valid():
        form_error_messages(request, form, prefix=prefix)
        return False
    try:
        service(form.cleaned_data)
    except WorkflowError as error:
        messages.error(request, f"{prefix}{error.message}")
        return False
    messages.success(request, success)
    return True
