"""The daily brief: declarative rules turn the analytics' findings into items for each tier and
role, with evidence, a link, a priority and a due date (``docs/methods/brief.md``)."""

from shopscope.team.brief.engine import build_brief
from shopscope.team.brief.model import Brief, BriefItem, Finding, Rule, Skipped
from shopscope.team.brief.providers import PROVIDERS, BriefContext, provider
from shopscope.team.brief.rules import default_rules, load_rules, parse_rules

__all__ = [
    "PROVIDERS",
    "Brief",
    "BriefContext",
    "BriefItem",
    "Finding",
    "Rule",
    "Skipped",
    "build_brief",
    "default_rules",
    "load_rules",
    "parse_rules",
    "provider",
]
