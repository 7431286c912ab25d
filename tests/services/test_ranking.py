"""Priority ranking against the hand-computed scenario of ``analysis_scenario`` on 30/09/2026.

Factor values (0..1, None = missing), by hand:

======  ==========  ===========  ==========  ==========  ===============  ==========
commune difficulty  unmet share  close       registered  days since       no sponsor
======  ==========  ===========  ==========  ==========  ===============  ==========
A       1 (mount.)  1/3          1 (1 left)  1 (2026)    46/180           0 (X, N)
B       0 (4 false) 3/3          0 (3 left)  0 ("none")  25/180           0 (X)
C       1 (island)  1/3          None (K3?)  0 (2028)    102/180          1 (V ended)
D       None        None         None        None        1 (never)        1
======  ==========  ===========  ==========  ==========  ===============  ==========

Default weights 3, 2, 2, 2, 1, 1 (sum 11):

- A = 3 + 2/3 + 2 + 2 + 46/180 = 7.92222…, completeness 1
- C = 3 + 2/3 + 0 + 102/180 + 1 = 5.23333…, completeness 9/11 (close_to_standard missing)
- B = 2 + 25/180 = 2.13888…, completeness 1
- D = 1 + 1 = 2, completeness 2/11, normalised 2/2 = 1 (four factors missing)

Order A, C, B, D. With difficulty 0 and days_since_activity 5 (sum 12):
A = 2/3+2+2+5·46/180 = 5.94444…, B = 2+5·25/180 = 2.69444…, C = 2/3+5·102/180+1 = 4.5,
D = 5+1 = 6 (completeness 6/12): order D, A, C, B.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services import priorities, ranking
from services.ranking import DEFAULT_WEIGHTS, WeightError
from tests.services.analysis_scenario import DAY, build


@pytest.fixture
def scenario(session):
    return build(session)


def _keys(scenario, rows):
    names = {v: k for k, v in scenario.units.items()}
    return [names[r.unit_id] for r in rows]


def test_default_weights_are_documented():
    assert set(DEFAULT_WEIGHTS) == set(ranking.FACTOR_LABELS)
    assert sum(DEFAULT_WEIGHTS.values()) == 11
    source = Path(ranking.__file__).read_text(encoding="utf-8")
    for name in DEFAULT_WEIGHTS:  # each default carries a one-line reason just above it
        line = source.split(f'    "{name}": ')[0].rstrip().splitlines()[-1]
        assert line.strip().startswith("#"), name


def test_scores_and_contributions(session, scenario):
    rows = ranking.rank(session, DAY)
    assert _keys(scenario, rows) == ["A", "C", "B", "D"]
    by = dict(zip(_keys(scenario, rows), rows, strict=True))
    assert by["A"].score == pytest.approx(7 + 2 / 3 + 46 / 180)
    assert by["C"].score == pytest.approx(3 + 2 / 3 + 102 / 180 + 1)
    assert by["B"].score == pytest.approx(2 + 25 / 180)
    assert by["D"].score == pytest.approx(2.0)
    points = {c.factor: c.points for c in by["A"].contributions}
    assert points == pytest.approx(
        {
            "difficulty": 3,
            "unmet_criteria": 2 / 3,
            "close_to_standard": 2,
            "registered": 2,
            "days_since_activity": 46 / 180,
            "no_sponsor": 0,
        }
    )
    assert [r.rank for r in rows] == [1, 2, 3, 4]


def test_missing_data_is_shown_not_zero(session, scenario):
    by = dict(zip(*[_keys(scenario, rows := ranking.rank(session, DAY)), rows], strict=True))
    c, d = by["C"], by["D"]
    assert c.missing == ["close_to_standard"] and c.completeness == pytest.approx(9 / 11)
    close = next(x for x in c.contributions if x.factor == "close_to_standard")
    assert (close.value, close.points, close.detail) == (
        None,
        None,
        "chưa đánh giá đủ các tiêu chí",
    )
    assert d.missing == ["difficulty", "unmet_criteria", "close_to_standard", "registered"]
    assert d.completeness == pytest.approx(2 / 11) and d.normalised == pytest.approx(1.0)
    assert [x.detail for x in d.contributions][0] == "chưa có dữ liệu phân loại"
    # B's four flags are known false: 0, not missing, even though an old "true" row exists
    b_diff = by["B"].contributions[0]
    assert (b_diff.value, by["B"].missing, by["B"].completeness) == (0.0, [], 1.0)
    assert by["A"].contributions[4].detail == "46 ngày từ hoạt động gần nhất"
    assert d.contributions[4].detail == "chưa có hoạt động nào được ghi nhận"


def test_planner_weights_change_the_order(session, scenario):
    rows = ranking.rank(session, DAY, {"difficulty": 0, "days_since_activity": "5"})
    assert _keys(scenario, rows) == ["D", "A", "C", "B"]
    scores = [r.score for r in rows]
    assert scores == pytest.approx([6.0, 2 / 3 + 4 + 5 * 46 / 180, 4.5, 2 + 5 * 25 / 180])
    assert rows[0].completeness == pytest.approx(6 / 12)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"popularity": 1}, "Không có yếu tố “popularity”"),
        ({"difficulty": -1}, "không âm"),
        ({"difficulty": "nhiều"}, "phải là một số"),
        ({"difficulty": "nan"}, "không âm"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(WeightError, match=message):
        ranking.check_weights(weights)


def test_top_above_and_add_to_priority_list(session, scenario):
    rows = ranking.rank(session, DAY)
    u = scenario.units
    assert ranking.top(rows, 2) == [u["A"], u["C"]]
    assert ranking.above(rows, 3.0) == [u["A"], u["C"]]
    assert ranking.above(rows, 2.0) == [u["A"], u["C"], u["B"], u["D"]]
    plist = priorities.create_list(session, name="Top 2", by="planner")
    result = ranking.add_to_list(
        session, plist.id, ranking.top(rows, 2), version=plist.version, by="planner"
    )
    assert sorted(result.added) == sorted([u["A"], u["C"]])
    assert {i.unit_id for i in priorities.items(session, plist.id)} == {u["A"], u["C"]}
