"""Positioning: documented examples map to documented positions; bad questionnaires are refused."""

from __future__ import annotations

import pytest

from shopscope.errors import ConfigurationError, InvalidInputError
from shopscope.team.positioning import assess, questionnaire, radar_figure
from shopscope.team.positioning.assessment import parse_questionnaire
from shopscope.team.teammap import Member, team_map

IDS = [q.id for q in questionnaire().questions]


def answers(default: int, **overrides: int) -> dict[str, int]:
    return {i: overrides.get(i, default) for i in IDS}


# The three worked examples of docs/methods/positioning.md.
CS_AGENT = answers(1, ret_segments=3, ret_value=2, tech_reports=3, user_voice=4, user_ask=3,
                   user_value=3)  # fmt: skip
USER_OPS = answers(1, ret_segments=4, ret_value=4, conv_tests=3, tech_reports=4,
                   tech_configure=4, tech_query=3, data_goal=4, data_drivers=3, data_noise=3,
                   user_voice=3, user_value=3)  # fmt: skip
DIRECTOR = answers(3, tech_reports=4, tech_configure=3, tech_query=2, tech_specify=4,
                   tech_drive=4, data_goal=4, data_drivers=4, user_value=4)  # fmt: skip


def test_cs_agent_example() -> None:
    p = assess(CS_AGENT)
    assert p.focus == "retention" and p.business["retention"] == pytest.approx(62.5)
    assert p.technology == pytest.approx(100 * (3 / 4 + 2 * 1 / 4 + 3 * 1 / 4) / 6)
    assert p.technology_level == "user"
    assert p.mindset == {"data_driven": 25.0, "user_centric": pytest.approx(250 / 3)}
    assert p.tier == "execution" and p.next_tier == "tactical"
    assert [s.component for s in p.path] == ["technology", "data_driven"]
    assert p.strengths == ("user_centric",)


def test_user_ops_example() -> None:
    p = assess(USER_OPS)
    assert p.focus == "retention" and p.technology_level == "applier"
    assert p.readiness["tactical"] >= 60 > p.readiness["strategic"]
    assert p.tier == "tactical" and p.next_tier == "strategic"
    assert {s.component for s in p.path} >= {"acquisition", "supply"}
    assert all(s.modules for s in p.path)


def test_director_example() -> None:
    p = assess(DIRECTOR)
    assert p.technology_level == "collaborator_driver"
    assert p.tier == "strategic" and p.next_tier is None and p.path == ()
    assert min(p.readiness.values()) >= 60


def test_missing_and_bad_answers_are_explained() -> None:
    partial = dict(CS_AGENT)
    del partial["acq_channels"], partial["user_ask"]
    with pytest.raises(InvalidInputError, match="missing answers for acq_channels, user_ask"):
        assess(partial)
    with pytest.raises(InvalidInputError, match="unknown questions bogus"):
        assess({**CS_AGENT, "bogus": 2})
    with pytest.raises(InvalidInputError, match=r"0\.\.4"):
        assess({**CS_AGENT, "acq_channels": 5})


def test_questionnaire_without_an_axis_is_refused() -> None:
    data = {
        "scale": {"en": ["a"] * 5, "zh": ["b"] * 5},
        "questions": [{"id": "q", "axis": "acquisition", "text_en": "x", "text_zh": "y"}],
    }
    with pytest.raises(ConfigurationError, match="No question for axis conversion"):
        parse_questionnaire(data)


def test_every_question_has_both_languages() -> None:
    form = questionnaire()
    assert len(form.scale_en) == len(form.scale_zh) == 5
    assert all(q.text_en and q.text_zh and q.text_en != q.text_zh for q in form.questions)


def test_radar_chart_has_seven_axes_in_the_chosen_language() -> None:
    fig = radar_figure(assess(USER_OPS), "zh")
    theta = list(fig.data[0].theta)
    assert len(theta) == 8 and theta[0] == theta[-1] == "获客"


def test_team_map_finds_gaps_and_single_points() -> None:
    team = [
        Member("Ana", "cs_agent", assess(CS_AGENT)),
        Member("Bo", "user_ops", assess(USER_OPS)),
        Member("Cy", "traffic_ops"),
    ]
    m = team_map(team)
    assert m.gaps == ("conversion", "supply")  # Bo's conversion score (50) is below 60
    assert ("tactical", "acquisition", "Cy") in m.single_points
    assert m.coverage["tactical"]["retention"] == ["Bo"]
    assert m.technology_mix == {
        "user": 1, "applier": 1, "collaborator_driver": 0, "unassessed": 1
    }  # fmt: skip
    full = team_map([*team, Member("Di", "operations_director", assess(DIRECTOR))])
    assert full.gaps == ()
    with pytest.raises(InvalidInputError, match="distinct"):
        team_map([Member("Ana", "cs_agent"), Member("Ana", "user_ops")])
