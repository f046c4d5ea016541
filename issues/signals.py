"""Events the issues app announces; the dispatcher listens (issues never imports it).

Each is sent inside the transaction of the act it announces, so what the listeners do
commits, or rolls back, with it; a listener refusing the act raises ``WorkflowError``.
"""

from django.dispatch import Signal

# A resident filed an issue: ``issue=<Issue>``.
issue_submitted = Signal()
# A resident rated a resolved issue (回访): ``issue=<Issue>`` (locked), ``feedback=<Feedback>``.
issue_rated = Signal()
# A resident reopened a resolved or closed issue: ``issue=<Issue>`` (locked), ``reason=<str>``.
issue_reopened = Signal()
