"""OpenAPI links: how one answer's ids feed the next request (OpenAPI 3 ``links``).

A client (and Schemathesis' stateful phase) reads them to chain calls as people do: file an
issue, then read, dispatch, escalate or publish it; list the queue, then accept, reply,
resolve or ask the dispatcher for something; open a request, then approve or reject it.
drf-spectacular has no decorator for links, so this postprocessing hook
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) adds them from the table below, by
operation id; a link to an operation the schema does not have is an error (a test checks).
"""

from __future__ import annotations

from typing import Any

# What every assignment id may be used for.
ASSIGNMENT_ACTIONS = (
    "assignments_retrieve",
    "assignments_accept_create",
    "assignments_reply_create",
    "assignments_resolve_create",
    "assignments_bounce_create",
    "assignments_transfer_create",
    "assignments_cohandle_create",
    "assignments_whistle_create",
    "assignments_extension_create",
    "assignments_appeal_create",
)
# What every issue id may be used for.
ISSUE_ACTIONS = (
    "issues_retrieve",
    "issues_handoffs_list",
    "issues_publication_retrieve",
    "issues_publication_create",
    "issues_dispatch_create",
    "issues_escalate_create",
    "issues_merge_create",
    "issues_similar_list",
)
REQUEST_ACTIONS = (
    "coordination_requests_retrieve",
    "coordination_requests_approve_create",
    "coordination_requests_reject_create",
)
RULESET_ACTIONS = ("rulesets_retrieve", "rulesets_simulate_create", "rulesets_publish_create")
TRACK_ACTIONS = ("track_retrieve", "track_feedback_create", "track_reopen_create")
TOPIC_ACTIONS = (
    "topics_retrieve",
    "topics_notes_create",
    "topics_milestones_create",
    "topics_milestone_done_create",
    "topics_issues_create",
    "topics_decide_create",
    "topics_complete_create",
)

# (operation, status) → [(target operations, parameter, runtime expression)]
LINKS: dict[tuple[str, str], list[tuple[tuple[str, ...], str, str]]] = {
    ("issues_create", "201"): [
        (ISSUE_ACTIONS, "id", "$response.body#/id"),
        (TRACK_ACTIONS, "access_token", "$response.body#/access_token"),
    ],
    ("issues_list", "200"): [(ISSUE_ACTIONS, "id", "$response.body#/results/0/id")],
    ("issues_retrieve", "200"): [
        (ASSIGNMENT_ACTIONS, "id", "$response.body#/assignments/0/id"),
        (ISSUE_ACTIONS, "id", "$response.body#/id"),
    ],
    ("issues_dispatch_create", "200"): [
        (ASSIGNMENT_ACTIONS, "id", "$response.body#/assignments/0/id"),
    ],
    ("issues_merge_create", "200"): [(("issues_retrieve",), "id", "$response.body#/merged_into")],
    ("dispatch_queue_retrieve", "200"): [
        (ISSUE_ACTIONS, "id", "$response.body#/triage/0/id"),
        (REQUEST_ACTIONS, "id", "$response.body#/requests/0/id"),
    ],
    ("assignments_list", "200"): [(ASSIGNMENT_ACTIONS, "id", "$response.body#/results/0/id")],
    ("assignments_retrieve", "200"): [
        (ASSIGNMENT_ACTIONS, "id", "$response.body#/id"),
        (ISSUE_ACTIONS, "id", "$response.body#/issue"),
    ],
    ("assignments_accept_create", "200"): [(ASSIGNMENT_ACTIONS, "id", "$response.body#/id")],
    ("assignments_reply_create", "200"): [(ASSIGNMENT_ACTIONS, "id", "$response.body#/id")],
    ("assignments_resolve_create", "200"): [
        (("assignments_appeal_create", "assignments_reply_create"), "id", "$response.body#/id"),
        (ISSUE_ACTIONS, "id", "$response.body#/issue"),
    ],
    ("assignments_whistle_create", "201"): [
        (ASSIGNMENT_ACTIONS, "id", "$response.body#/summoned/0/id"),
    ],
    **{
        (f"assignments_{kind}_create", "201"): [(REQUEST_ACTIONS, "id", "$response.body#/id")]
        for kind in ("bounce", "transfer", "cohandle", "extension", "appeal")
    },
    ("coordination_requests_list", "200"): [
        (REQUEST_ACTIONS, "id", "$response.body#/results/0/id"),
    ],
    ("coordination_requests_retrieve", "200"): [
        (REQUEST_ACTIONS, "id", "$response.body#/id"),
        (ISSUE_ACTIONS, "id", "$response.body#/issue"),
    ],
    ("coordination_requests_approve_create", "200"): [
        (ISSUE_ACTIONS, "id", "$response.body#/issue"),
    ],
    ("rulesets_list", "200"): [(RULESET_ACTIONS, "id", "$response.body#/results/0/id")],
    ("agencies_list", "200"): [
        (("agencies_retrieve",), "code", "$response.body#/results/0/code"),
    ],
    ("hot_issues_list", "200"): [(("hot_issues_retrieve",), "id", "$response.body#/0/id")],
    ("topics_list", "200"): [(TOPIC_ACTIONS, "id", "$response.body#/results/0/id")],
    ("topics_create", "201"): [(TOPIC_ACTIONS, "id", "$response.body#/id")],
    ("public_nearby_list", "200"): [
        (("public_issues_supports_create",), "id", "$response.body#/0/id"),
    ],
    ("my_issues_list", "200"): [
        (TRACK_ACTIONS, "access_token", "$response.body#/results/0/access_token"),
    ],
}


def _name(operation_id: str) -> str:
    """A link's name from its target: ``assignments_accept_create`` →
    ``AssignmentsAcceptCreate``."""
    return "".join(word.capitalize() for word in operation_id.split("_"))


def add_links(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add ``LINKS`` to the responses they start from."""
    operations: dict[str, dict[str, Any]] = {}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if isinstance(operation, dict) and "operationId" in operation:
                operations[operation["operationId"]] = operation
    for (source, status), targets in LINKS.items():
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target_ids, parameter, expression in targets:
            for target in target_ids:
                if target not in operations:
                    continue
                links[_name(target)] = {
                    "operationId": target,
                    "parameters": {parameter: expression},
                }
    return result
