"""The hot room's pages: the board, a hot issue, topics and their steps, early warnings,
cooperation; and for residents, an issue's public page with "me too", and the report form's
"is it one of these?" lookup."""

from .board import board, cooperation_page, hot_issue, hot_issue_promote, warning
from .public import nearby, public_issue_page, public_issue_support
from .topics import (
    topic,
    topic_complete,
    topic_issues_add,
    topic_member_decide,
    topic_milestone_add,
    topic_milestone_done,
    topic_new,
    topic_note,
    topic_participants,
    topic_reopen,
    topics,
)

__all__ = [
    "board",
    "cooperation_page",
    "hot_issue",
    "hot_issue_promote",
    "nearby",
    "public_issue_page",
    "public_issue_support",
    "topic",
    "topic_complete",
    "topic_issues_add",
    "topic_member_decide",
    "topic_milestone_add",
    "topic_milestone_done",
    "topic_new",
    "topic_note",
    "topic_participants",
    "topic_reopen",
    "topics",
    "warning",
]
