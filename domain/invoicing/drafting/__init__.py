"""Drafting invoices from plain language: an offline rule engine (`parse_prompt`), the
checks every parser's output goes through, and a seam for an OpenAI-compatible LLM."""

from .checks import check_against_history, match_item
from .engine import parse_prompt
from .models import DraftProposal, ProposedLine
from .providers import (
    DraftParser,
    LLMResponseError,
    OpenAICompatibleParser,
    RuleParser,
    parser_from_settings,
)

__all__ = [
    "DraftParser",
    "DraftProposal",
    "LLMResponseError",
    "OpenAICompatibleParser",
    "ProposedLine",
    "RuleParser",
    "check_against_history",
    "match_item",
    "parse_prompt",
    "parser_from_settings",
]
