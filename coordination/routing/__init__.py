"""The pure routing engine: plain data in, a decision with its reasons out.

Nothing in this package imports Django, Celery or DRF, reads the clock or draws random
numbers (tests check this), so it is fast, deterministic and testable alone. The Django shell
around it is ``coordination.rulesets``.

- ``model``: the vocabulary (facts, areas, agencies, rules, decisions), frozen dataclasses
- ``text``: keywords of an issue's text (jieba for Chinese, words for English)
- ``areas``: which areas contain a point (a grid index with exact polygon tests)
- ``compiler``: validation and compilation of a rule set, with rule indexes
- ``evaluate``: ``decide(facts, compiled) -> Decision``
"""

from .compiler import CompiledRuleSet, InvalidRuleSet, compile_ruleset, validate
from .evaluate import decide
from .model import Decision, IssueFacts, RuleSpec

__all__ = [
    "CompiledRuleSet",
    "Decision",
    "InvalidRuleSet",
    "IssueFacts",
    "RuleSpec",
    "compile_ruleset",
    "decide",
    "validate",
]
