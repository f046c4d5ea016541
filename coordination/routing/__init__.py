"""The pure routing engine: plain data in, a decision with its reasons out.

Nothing in this package imports Django, Celery or DRF, reads the clock or queries a
database (a test checks the imports), so it is fast, deterministic and testable alone.
"""

from .engine import Decision, IssueFacts, Rule, decide

__all__ = ["Decision", "IssueFacts", "Rule", "decide"]
