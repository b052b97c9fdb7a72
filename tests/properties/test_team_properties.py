"""More capability never lowers tier readiness, and scores stay in range."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shopscope.team.positioning import TIERS, assess, questionnaire

IDS = [q.id for q in questionnaire().questions]
ANSWERS = st.fixed_dictionaries({i: st.integers(0, 4) for i in IDS})


@given(ANSWERS, st.sampled_from(IDS))
def test_raising_any_answer_never_lowers_readiness_or_tier(answers: dict[str, int], q: str) -> None:
    before = assess(answers)
    after = assess({**answers, q: min(4, answers[q] + 1)})
    for tier in TIERS:
        assert after.readiness[tier] >= before.readiness[tier] - 1e-9
    assert TIERS.index(after.tier) >= TIERS.index(before.tier)
    levels = ("user", "applier", "collaborator_driver")
    assert levels.index(after.technology_level) >= levels.index(before.technology_level)


@given(ANSWERS)
def test_scores_are_percentages(answers: dict[str, int]) -> None:
    p = assess(answers)
    values = [*p.business.values(), p.technology, *p.mindset.values(), *p.readiness.values()]
    assert all(0.0 <= v <= 100.0 for v in values)
