"""Shared pieces of the plan web tests: a plan with items written to the seeded database
through the services, and a wipe of everything plans left behind (the web tests commit)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    AuditEvent,
    Organisation,
    PlanFeedToken,
    PlanItem,
    UnitPlan,
    activity_criterion,
    plan_item_criterion,
)
from services import plans
from services.communes import communes_on

BY = "kiểm-thử"
SEPTEMBER = (dt.date(2025, 9, 1), dt.date(2025, 9, 30))


def org_id(engine: sa.Engine, code: str) -> int:
    with Session(engine) as s:
        return s.scalar(sa.select(Organisation.id).where(Organisation.code == code))


def commune(engine: sa.Engine, name: str) -> tuple[int, dict]:
    """A current commune's id and a GeoJSON point inside it."""
    with Session(engine) as s:
        unit_id = s.scalar(
            sa.select(AdminUnit.id).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
        )
        frame = communes_on(s, dt.date.today())
        p = frame.loc[frame["name"] == name, "geometry"].iloc[0].representative_point()
    return unit_id, {"type": "Point", "coordinates": [p.x, p.y]}


def make_plan(engine, code="QT44-SXD", kind="unit", period=SEPTEMBER, items=(), title=None) -> dict:
    """A plan of unit ``code`` with ``items`` (dicts for ``plans.add_item``); returns the ids."""
    with Session(engine) as s:
        plan = plans.create_plan(
            s,
            {"organisation_id": org_id(engine, code), "period_from": period[0],
             "period_to": period[1], "title": title or "Kế hoạch tháng 9/2025", "kind": kind},
            BY,
        )  # fmt: skip
        made = [plans.add_item(s, plan.id, dict(data), BY).id for data in items]
        s.commit()
        return {"plan": plan.id, "items": made, "org": plan.organisation_id}


def wipe_plans(engine: sa.Engine) -> None:
    """Remove every plan, item, feed token, and the activities items became."""
    with Session(engine) as s:
        linked = list(
            s.scalars(sa.select(PlanItem.activity_id).where(PlanItem.activity_id.is_not(None)))
        )
        s.execute(sa.update(PlanItem).values(moved_to_id=None))
        s.execute(sa.delete(plan_item_criterion))
        s.execute(sa.delete(PlanItem))
        s.execute(sa.delete(UnitPlan))
        s.execute(sa.delete(PlanFeedToken))
        s.execute(sa.delete(AuditEvent).where(AuditEvent.entity.in_(("plan_item", "unit_plan"))))
        if linked:
            s.execute(sa.delete(ActivityCommune).where(ActivityCommune.activity_id.in_(linked)))
            s.execute(
                sa.delete(activity_criterion).where(activity_criterion.c.activity_id.in_(linked))
            )
            s.execute(
                sa.delete(AuditEvent).where(
                    AuditEvent.entity == "activity", AuditEvent.entity_id.in_(linked)
                )
            )
            s.execute(sa.delete(Activity).where(Activity.id.in_(linked)))
        s.commit()


@pytest.fixture
def engine(app):
    """The app's engine, with no plans before and after the test."""
    engine = app.extensions["ntm_engine"]
    wipe_plans(engine)
    yield engine
    wipe_plans(engine)
