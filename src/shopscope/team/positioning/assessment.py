"""Scoring the positioning questionnaire: three axes, tier readiness and a path to the next tier.

Every answer is 0..4. An axis score is the mean answer of its questions scaled to 0..100:

* **business value**: one score per dimension (acquisition, conversion, retention, supply); the
  focus is the highest.
* **technology capability**: the weighted mean of the three levels' questions (user 1, applier 2,
  collaborator/driver 3); the level is *collaborator/driver* when the driver questions score at
  least 60 and the applier ones at least 50, *applier* when the applier ones score at least 50,
  else *user*.
* **mindset**: data-driven and user-centric, one score each.

Tier readiness is a weighted sum with non-negative weights (:data:`READINESS`) of depth (the best
dimension), breadth (the weakest dimension: a director answers for all four), technology and the
two mindsets, so a higher answer
never lowers any readiness. The recommended tier is the highest whose readiness reaches
:data:`READY`; the path lists the next tier's components below it with the skills to build and
the shopscope modules that exercise them. ``docs/methods/positioning.md`` has worked examples.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from shopscope.errors import ConfigurationError, InvalidInputError

__all__ = [
    "DIMENSIONS",
    "READINESS",
    "READY",
    "TIERS",
    "PathStep",
    "Position",
    "Question",
    "assess",
    "questionnaire",
]

DIMENSIONS = ("acquisition", "conversion", "retention", "supply")
TECH_WEIGHTS = {"tech_user": 1.0, "tech_applier": 2.0, "tech_driver": 3.0}
MINDSETS = ("data_driven", "user_centric")
AXES = (*DIMENSIONS, *TECH_WEIGHTS, *MINDSETS)
TIERS = ("execution", "tactical", "strategic")
READY = 60.0
"""Readiness (0..100) at which a tier is recommended."""

READINESS: dict[str, dict[str, float]] = {
    "execution": {"depth": 0.40, "technology": 0.30, "data_driven": 0.15, "user_centric": 0.15},
    "tactical": {"depth": 0.35, "technology": 0.30, "data_driven": 0.25, "user_centric": 0.10},
    "strategic": {"breadth": 0.40, "technology": 0.20, "data_driven": 0.20, "user_centric": 0.20},
}
"""Tier → component → weight (each row sums to 1)."""

_SKILLS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "acquisition": (
        "Judge channels by CAC, ROAS and payback; plan budgets with response curves.",
        "用获客成本、ROAS 和回本周期评估渠道；用响应曲线规划预算。",
        ("shopscope channels", "shopscope attribution", "shopscope budget"),
    ),
    "conversion": (
        "Read funnels and run experiments with power, guardrails and sequential tests.",
        "读懂漏斗，运行带功效分析、护栏指标和序贯检验的实验。",
        ("shopscope funnel", "shopscope experiment"),
    ),
    "retention": (
        "Segment customers by RFM and value; act on churn risk with audiences.",
        "按 RFM 和价值给客户分层；针对流失风险建立受众并行动。",
        ("shopscope rfm", "shopscope clv", "shopscope audience"),
    ),
    "supply": (
        "Manage the assortment with ABC-XYZ, forecasts and replenishment policies.",
        "用 ABC-XYZ、需求预测和补货策略管理商品组合。",
        ("shopscope assortment", "shopscope forecast", "shopscope replenish"),
    ),
    "technology": (
        "Configure segments and experiments yourself, query data, then specify automation.",
        "自己配置人群和实验、查询数据，再提出自动化需求。",
        ("shopscope audience", "shopscope experiment", "REST API /api/v1"),
    ),
    "data_driven": (
        "Explain every movement by its drivers and separate signal from noise.",
        "用驱动因素解释每次变化，区分信号与噪声。",
        ("shopscope report", "shopscope experiment analyze"),
    ),
    "user_centric": (
        "Read the customer's voice: tickets, topics and segment behaviour.",
        "倾听客户的声音：工单、话题与分层行为。",
        ("shopscope assist tickets", "shopscope rfm"),
    ),
}


@dataclass(frozen=True)
class Question:
    """One question: its id, axis and text in English and Chinese."""

    id: str
    axis: str
    text_en: str
    text_zh: str


@dataclass(frozen=True)
class Questionnaire:
    """The questions and the answer scale."""

    questions: tuple[Question, ...]
    scale_en: tuple[str, ...]
    scale_zh: tuple[str, ...]


@dataclass(frozen=True)
class PathStep:
    """A component of the next tier that is below :data:`READY`, and how to build it."""

    component: str
    score: float
    skill_en: str
    skill_zh: str
    modules: tuple[str, ...]


@dataclass(frozen=True)
class Position:
    """Where a person stands on the three axes, and how ready they are for each tier."""

    business: dict[str, float]
    focus: str
    technology: float
    technology_level: str
    mindset: dict[str, float]
    readiness: dict[str, float]
    tier: str
    next_tier: str | None
    strengths: tuple[str, ...]
    path: tuple[PathStep, ...]


@cache
def questionnaire() -> Questionnaire:
    """The packaged questionnaire (``questionnaire.toml``), checked."""
    text = resources.files(__package__).joinpath("questionnaire.toml").read_text("utf-8")
    return parse_questionnaire(tomllib.loads(text))


def parse_questionnaire(data: Mapping[str, Any]) -> Questionnaire:
    """Build a :class:`Questionnaire`; every axis needs at least one question."""
    questions = []
    for i, q in enumerate(data.get("questions", [])):
        missing = {"id", "axis", "text_en", "text_zh"} - set(q)
        if missing:
            raise ConfigurationError(f"Question {i + 1} lacks {', '.join(sorted(missing))}.")
        if q["axis"] not in AXES:
            raise ConfigurationError(
                f"Question {q['id']!r} has axis {q['axis']!r}; use one of {', '.join(AXES)}."
            )
        questions.append(Question(q["id"], q["axis"], q["text_en"], q["text_zh"]))
    empty = [a for a in AXES if not any(q.axis == a for q in questions)]
    if empty:
        raise ConfigurationError(f"No question for axis {', '.join(empty)}.")
    scale = data.get("scale", {})
    return Questionnaire(tuple(questions), tuple(scale["en"]), tuple(scale["zh"]))


def _answers(answers: Mapping[str, int], form: Questionnaire) -> dict[str, int]:
    ids = [q.id for q in form.questions]
    missing = [i for i in ids if i not in answers]
    unknown = sorted(set(answers) - set(ids))
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing answers for {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown questions {', '.join(unknown)}")
        raise InvalidInputError(
            f"The questionnaire is incomplete: {'; '.join(parts)}. Answer every question with "
            "0 (never) .. 4 (always)."
        )
    bad = {k: v for k, v in answers.items() if isinstance(v, bool) or v not in range(5)}
    if bad:
        raise InvalidInputError(f"Answers must be integers 0..4; got {bad}.")
    return {k: int(v) for k, v in answers.items()}


def assess(answers: Mapping[str, int], form: Questionnaire | None = None) -> Position:
    """Score one completed questionnaire."""
    form = form or questionnaire()
    given = _answers(answers, form)
    axis: dict[str, float] = {}
    for name in AXES:
        values = [given[q.id] for q in form.questions if q.axis == name]
        axis[name] = 100.0 * sum(values) / (4 * len(values))
    business = {d: axis[d] for d in DIMENSIONS}
    total = sum(TECH_WEIGHTS.values())
    technology = sum(axis[a] * w for a, w in TECH_WEIGHTS.items()) / total
    if axis["tech_driver"] >= 60 and axis["tech_applier"] >= 50:
        level = "collaborator_driver"
    elif axis["tech_applier"] >= 50:
        level = "applier"
    else:
        level = "user"
    components = {
        "depth": max(business.values()),
        "breadth": min(business.values()),
        "technology": technology,
        "data_driven": axis["data_driven"],
        "user_centric": axis["user_centric"],
    }
    readiness = {
        tier: sum(components[c] * w for c, w in weights.items())
        for tier, weights in READINESS.items()
    }
    ready = [t for t in TIERS if readiness[t] >= READY]
    tier = ready[-1] if ready else TIERS[0]
    nxt = TIERS[TIERS.index(tier) + 1] if tier != TIERS[-1] else None
    scores = {**business, "technology": technology, **{m: axis[m] for m in MINDSETS}}
    strengths = tuple(k for k, v in sorted(scores.items(), key=lambda kv: -kv[1]) if v >= 75)
    return Position(
        business=business,
        focus=max(DIMENSIONS, key=lambda d: business[d]),
        technology=technology,
        technology_level=level,
        mindset={m: axis[m] for m in MINDSETS},
        readiness=readiness,
        tier=tier,
        next_tier=nxt,
        strengths=strengths,
        path=_path(nxt, components, business) if nxt else (),
    )


def _path(
    tier: str, components: dict[str, float], business: dict[str, float]
) -> tuple[PathStep, ...]:
    steps: list[PathStep] = []
    for component in READINESS[tier]:
        score = components[component]
        if score >= READY:
            continue
        if component in ("depth", "breadth"):
            weak = sorted(business, key=lambda d: business[d])
            chosen = weak if component == "breadth" else [max(business, key=business.__getitem__)]
            for dim in chosen:
                if business[dim] < READY:
                    en, zh, modules = _SKILLS[dim]
                    steps.append(PathStep(dim, business[dim], en, zh, modules))
            continue
        en, zh, modules = _SKILLS[component]
        steps.append(PathStep(component, score, en, zh, modules))
    return tuple(steps)
