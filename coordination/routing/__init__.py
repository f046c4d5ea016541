"""The pure routing engine: plain data in, a decision with its reasons out.

Nothing in this package imports Django, Celery or DRF, reads the clock or draws random
numbers (tests check this), so it is fast, deterministic and testable alone. The Django shell
around it is ``coordination.rules.compiled``.

- ``model``: the vocabulary (facts, areas, agencies, rules, decisions), frozen dataclasses
- ``text``: keywords of an issue's text (jieba for Chinese, words for English)
- ``areas``: which areas contain a point (a grid index with exact polygon tests)
- ``conditions``: an issue as the rules see it, and conditions compiled into tests
- ``validation``: everything wrong with a rule set, each problem naming its rule and field
- ``compiler``: compilation of a valid rule set, with rule indexes
- ``evaluate``: ``decide(facts, compiled) -> Decision``
"""

from .compiler import CompiledRuleSet, compile_ruleset
from .evaluate import decide
from .model import Decision, IssueFacts, RuleSpec
from .validation import InvalidRuleSet, validate

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
