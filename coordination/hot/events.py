"""What the hot room announces, through the dispatcher's publish/subscribe
(``coordination.dispatch.events.publish``): ids only, after which ``coordination.outbound``
writes to people once the transaction commits.

=======================  ===============================================================
``hot.warning``          ``warning_id``: an early warning opened (a level crossed)
``hot.support_added``    ``issue_id``, ``support_id``: a resident said "me too"
``topic.member_joined``  ``topic_id``, ``issue_id``: an issue became part of a topic
``topic.completed``      ``topic_id``: a topic is done; its member issues' residents are told
=======================  ===============================================================
"""

from __future__ import annotations

from enum import StrEnum


class HotEvent(StrEnum):
    WARNING = "hot.warning"
    SUPPORT_ADDED = "hot.support_added"
    TOPIC_MEMBER_JOINED = "topic.member_joined"
    TOPIC_COMPLETED = "topic.completed"
