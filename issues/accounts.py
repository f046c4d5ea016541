"""Residents' accounts: optional, and holding nothing but a name to sign in with.

Filing and tracking need no account. An account adds one thing: the list of the issues its
owner filed while signed in ("my issues"). It asks for no phone, e-mail or real name; the
contact for a case is given on each report, where the resident decides what to share.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy as _


class ResidentSignupForm(UserCreationForm):
    """A user name and a password twice; Django's password validators apply."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)
        help_texts = {
            "username": _(
                "Letters, digits and @/./+/-/_ only. Not shown to anyone handling your issues."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"


def resident_register(*, form: ResidentSignupForm) -> AbstractBaseUser:
    """Create the resident's account from a valid form: no staff flag, no organisation."""
    with transaction.atomic():
        user = get_user_model()(username=form.cleaned_data["username"])
        user.set_password(form.cleaned_data["password1"])
        user.full_clean(exclude=["password"])
        user.save()
    return user
