"""Sponsorship balance, match and suggestion against ``analysis_scenario`` on 30/09/2026.

Commune weights (base 1, difficult +1, +0.25 per latest-unmet criterion), by hand:
A = 1 + 1 + 0.25·1 = 2.25; B = 1 + 0 + 0.25·3 = 1.75; C = 1 + 1 + 0.25·1 = 2.25;
D = 1 (difficulty and criteria missing, listed).

Loads: X sponsors A and B -> 2 communes, 2.25 + 1.75 = 4.0; N sponsors A -> 2.25;
V's sponsorship of C ended 01/06/2026 -> 0; G ended 2025 and is not listed.
A has two sponsors (N, X by name). Unsponsored communes of L = {B, C, D}: C, D.

Match: B's unmet K1 -> X ("Sở Giao thông vận tải" ended: unmatched), K2 -> N ("Sở Y tế":
unmatched), K3 -> V (the comma inside "Sở Văn hóa, Thể thao và Du lịch" does not split it);
B's sponsor X is responsible for K1 -> fits. C's unmet K2 -> N, no sponsor -> does not fit.
D: no unmet criterion known -> fits is None.

Suggestion: C (2.25) before D (1.0). C: responsible N carries 2.25, the lightest V 0,
2.25 - 0 <= 2.5 -> N ("phụ trách K2"), N becomes 4.5. D: no responsible department ->
the lightest, V (0) -> 1.0. Loads after: X 4.0, N 4.5, V 1.0. Nothing is written.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from shapely import box

from geo.models import Sponsorship
from services import sponsorship_balance as sb
from tests.services.analysis_scenario import DAY, build


@pytest.fixture
def scenario(session):
    return build(session)


def test_commune_weights_and_missing(session, scenario):
    u = scenario.units
    weights = sb.commune_weights(session, DAY)
    assert {k: weights[u[k]].weight for k in "ABCD"} == {"A": 2.25, "B": 1.75, "C": 2.25, "D": 1.0}
    assert weights[u["D"]].missing == ("difficulty", "unmet_criteria")
    assert weights[u["B"]].missing == () and weights[u["B"]].unmet == 3


def test_balance(session, scenario):
    u, d = scenario.units, scenario.departments
    result = sb.balance(session, DAY, scenario.list_id)
    loads = {x.department_id: (x.communes, x.weighted_load) for x in result.loads}
    assert loads == {d["X"]: (2, 4.0), d["N"]: (1, 2.25), d["V"]: (0, 0.0)}
    assert [x.department_id for x in result.loads] == [d["X"], d["N"], d["V"]]
    assert [w.unit_id for w in result.unsponsored_priority] == [u["C"], u["D"]]
    assert [(w.unit_id, ids) for w, ids in result.several_sponsors] == [(u["A"], [d["N"], d["X"]])]


def test_department_area_is_one_shape(session, scenario):
    area = sb.department_area(session, scenario.departments["X"], DAY)
    assert area.equals(box(106.9, 16.7, 107.1, 16.8))
    assert sb.department_area(session, scenario.departments["V"], DAY) is None


def test_split_department_names():
    assert sb.split_departments("Sở Nông nghiệp và Môi trường; Sở Y tế (bảo trợ xã hội)") == [
        "Sở Nông nghiệp và Môi trường",
        "Sở Y tế",
    ]
    assert sb.split_departments("Sở Văn hóa, Thể thao và Du lịch") == [
        "Sở Văn hóa, Thể thao và Du lịch"
    ]
    assert sb.split_departments(None) == []


def test_match(session, scenario):
    u, d = scenario.units, scenario.departments
    b = sb.match(session, u["B"], DAY)
    assert [(c.code, c.department_ids, c.unmatched_names) for c in b.criteria] == [
        ("K1", (d["X"],), ("Sở Giao thông vận tải",)),
        ("K2", (d["N"],), ("Sở Y tế",)),
        ("K3", (d["V"],), ()),
    ]
    assert b.sponsor_ids == (d["X"],) and b.sponsor_fits is True
    c = sb.match(session, u["C"], DAY)
    assert [x.code for x in c.criteria] == ["K2"] and c.sponsor_fits is False
    assert sb.match(session, u["D"], DAY).sponsor_fits is None
    with pytest.raises(sb.NotFoundError, match="Không có xã"):
        sb.match(session, u["O1"], DAY)  # an old unit is not valid on the day


def test_suggestion_covers_every_priority_commune_and_writes_nothing(session, scenario):
    u, d = scenario.units, scenario.departments
    before = session.scalar(sa.select(sa.func.count()).select_from(Sponsorship))
    plan = sb.suggest(session, DAY, scenario.list_id)
    assert [(a.unit_id, a.department_id, a.responsible) for a in plan.assignments] == [
        (u["C"], d["N"], True),
        (u["D"], d["V"], False),
    ]
    assert plan.assignments[0].reason == "phụ trách K2"
    assert plan.assignments[1].reason == "đơn vị ít việc nhất (tải 0)"
    assert plan.loads_after == {d["X"]: 4.0, d["N"]: 4.5, d["V"]: 1.0}
    assert plan.unassigned == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Sponsorship)) == before
