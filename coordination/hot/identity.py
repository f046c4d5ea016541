"""Who a complaint or a support comes from, as a pseudonym: never the person's data itself.

The engine counts one voice per author, and a resident may support an issue once; both need
to recognise the same person again without the platform keeping a second copy of their phone
or e-mail. A pseudonym is a keyed hash (HMAC-SHA256 under ``SECRET_KEY``) of an account id, a
phone number (its digits) or an e-mail address (lower case): the same input gives the same
pseudonym, and it cannot be turned back into the input without the key.
"""

from __future__ import annotations

import re

from django.utils.crypto import salted_hmac

from issues.models import Issue

_SALT = "coordination.hot.identity"
_NOT_DIGITS = re.compile(r"\D+")


def pseudonym(kind: str, value: str) -> str:
    """The keyed hash of ``value`` of ``kind`` (``user``, ``phone``, ``email``): 32 hex digits."""
    return salted_hmac(_SALT, f"{kind}:{value}", algorithm="sha256").hexdigest()[:32]


def phone_key(phone: str) -> str:
    """The pseudonym of a phone number, "" when it has too few digits to be one."""
    digits = _NOT_DIGITS.sub("", phone or "")
    if digits.startswith("86") and len(digits) == 13:  # +86 138…: the same mobile
        digits = digits[2:]
    return pseudonym("phone", digits) if len(digits) >= 5 else ""


def email_key(email: str) -> str:
    email = (email or "").strip().lower()
    return pseudonym("email", email) if "@" in email else ""


def contact_key(*, phone: str = "", email: str = "") -> str:
    """One resident's key from the contact they give: the phone if any, else the e-mail."""
    return phone_key(phone) or email_key(email)


def user_key(user_id: int) -> str:
    return pseudonym("user", str(user_id))


def issue_author(issue: Issue) -> str | None:
    """The reporter of ``issue`` as the engine's ``author``: their account, else their
    contact; None for a report that gives neither (the engine then tells voices by text)."""
    if issue.reporter_id:
        return user_key(issue.reporter_id)
    return contact_key(phone=issue.contact_phone, email=issue.contact_email) or None


def issue_reporter_keys(issue: Issue) -> set[str]:
    """Every key under which the reporter of ``issue`` could come back: to refuse them a
    support of their own report."""
    keys = {phone_key(issue.contact_phone), email_key(issue.contact_email)}
    return {k for k in keys if k}
