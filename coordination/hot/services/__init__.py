"""Every write of the hot room, one module per noun.

- ``clustering``: issues into hot issues as they arrive (the one writer), supports into
  heat, heat and growth measured as time passes, a rebuild from scratch;
- ``warnings``: early warnings opened once per crossing and ended when the level falls;
- ``supports``: residents' "me too";
- ``topics``: topics (专题), their members, organisations, milestones and progress.
"""
