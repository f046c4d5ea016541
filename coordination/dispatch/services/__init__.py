"""Every change in the dispatcher's workflow, one module per noun.

- ``routing``: recording a submission, routing by the rules, dispatching by hand;
- ``assignments``: an organisation's own work: sign-for, resolve, reply, whistle;
- ``requests``: what organisations ask of the dispatcher, and its decisions;
- ``followup``: what the resident's rating or reopening sets in motion (回访);
- ``supervision``: deadlines watched and escalated, and the dispatcher's supervision (督办);
- ``merge``: duplicates merged (并单).

Each service checks its move against the transition table (``dispatch.transitions``),
changes its rows in one transaction under row locks, writes exactly one Handoff, adds the
resident's public update where the resident should know, keeps object permissions in step,
and publishes what happened (``dispatch.events``) for mail and webhooks to follow after the
commit. A refused change raises ``WorkflowError``.
"""
