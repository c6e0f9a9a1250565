"""Seed 004's three pre-built campaign messages, offered as starting points. Each passes
the campaign placeholder check ({{date}} is the offer's last day, {{offer}} the offer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrebuiltTemplate:
    key: str
    name: str
    audience: str  # the audience it was written for
    body: str


PREBUILT = (
    PrebuiltTemplate(
        "win_back",
        "We missed you",
        "inactive",
        "Hi {{name}}! We missed you! Get 20% off on your next visit. Valid till {{date}}.",
    ),
    PrebuiltTemplate(
        "vip_thanks",
        "VIP thank-you",
        "vip",
        "Thank you {{name}} for being our VIP customer! Exclusive offer just for you: {{offer}}",
    ),
    PrebuiltTemplate(
        "come_back",
        "It's been a while",
        "inactive",
        "{{name}}, it's been a while! Visit us this week and get a special discount.",
    ),
)
