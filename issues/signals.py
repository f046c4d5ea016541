"""Events the issues app announces; the coordination app listens (issues never imports it)."""

from django.dispatch import Signal

# Sent inside the submitting transaction with ``issue=<Issue>``.
issue_submitted = Signal()
