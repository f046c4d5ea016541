"""Reads of the hot room: the board, one hot issue, "is it one of these?", topics.

Who may see what is the gate's (``coordination.dispatch.permissions``); these take its answer.
Issues are shown to the public, and to organisations that do not handle them, only as
``coordination.hot.public.public_issue`` shows them.
"""

from .board import (
    BoardRow,
    Handler,
    HotIssueDetail,
    MemberRow,
    area_and_below,
    board_rows,
    hot_board,
    hot_issue_detail,
    hot_issue_get,
    member_rows,
    warnings_open,
    warnings_recent,
)
from .common import HANDLING, SORTS
from .public import (
    CaseHotFacts,
    HotMarks,
    Nearby,
    PublicTopic,
    issue_hot_facts,
    issue_hot_marks,
    issue_public_topics,
    nearby_issues,
    public_issue_for_page,
    support_count,
)
from .topics import TopicDetail, topic_detail, topic_for_user, topics_in_queue, topics_visible_to

__all__ = [
    "HANDLING",
    "SORTS",
    "BoardRow",
    "CaseHotFacts",
    "Handler",
    "HotIssueDetail",
    "HotMarks",
    "MemberRow",
    "Nearby",
    "PublicTopic",
    "TopicDetail",
    "area_and_below",
    "board_rows",
    "hot_board",
    "hot_issue_detail",
    "hot_issue_get",
    "issue_hot_facts",
    "issue_hot_marks",
    "issue_public_topics",
    "member_rows",
    "nearby_issues",
    "public_issue_for_page",
    "support_count",
    "topic_detail",
    "topic_for_user",
    "topics_in_queue",
    "topics_visible_to",
    "warnings_open",
    "warnings_recent",
]
