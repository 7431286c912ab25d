"""The meeting pack's pages: a cover with the province map, one atlas page per priority
commune, then summary tables. One HTML document, one ``.sheet`` per printed page.

Which communes: the priority list's (``list``), narrowed (or, without a list, chosen) by a
former district (``dist``) or a sponsoring department (``dept``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import Criterion
from services import map_data, map_themes
from services.coverage import CommuneCoverage, activity_lines, commune_coverage
from services.fields import is_digits
from services.periods import Period
from services.priority_queries import get_list
from webmap.planner_map import style_theme
from webmap.print_view import (
    MapSheet,
    PrintState,
    activity_features,
    department_names,
    list_unit_ids,
    map_sheet,
)

SUMMARY_ROWS_PER_PAGE = 24
MAX_PACK_COMMUNES = 120


@dataclass
class CommunePage:
    row: dict
    sheet: MapSheet
    ntm: str
    sponsors: list[str]
    unmet: list[str]
    figures: CommuneCoverage
    activities: list = field(default_factory=list)


@dataclass
class Pack:
    title: str
    cover: MapSheet
    pages: list[CommunePage]
    summary: list[list[CommunePage]]

    @property
    def page_count(self) -> int:
        return 1 + len(self.pages) + len(self.summary)


def pack_unit_ids(session: Session, state: PrintState, rows: list[dict]) -> list[int]:
    """The communes of the pack, by name."""
    listed = list_unit_ids(session, state.list_id) if state.list_id else None
    dist, dept = state.filters.get("dist"), state.filters.get("dept")
    if listed is None and not (dist or dept):
        raise NtmError(
            "Hãy chọn một danh sách ưu tiên, một huyện cũ hoặc một sở đỡ đầu cho tập tài liệu."
        )
    chosen = []
    for row in sorted(rows, key=lambda r: r["name"]):
        if listed is not None and row["id"] not in listed:
            continue
        if dist and dist not in row["former_districts"]:
            continue
        if dept and (not is_digits(dept) or int(dept) not in row["sponsors"]):
            continue
        chosen.append(row["id"])
    if len(chosen) > MAX_PACK_COMMUNES:
        raise NtmError(
            f"Tập tài liệu có {len(chosen)} xã, quá {MAX_PACK_COMMUNES}; hãy thu hẹp lựa chọn."
        )
    return chosen


def _unmet_names(session: Session, set_id: int | None, unit_id: int, day) -> list[str]:
    if set_id is None:
        return []
    criteria = list(
        session.scalars(
            sa.select(Criterion)
            .where(Criterion.criteria_set_id == set_id)
            .order_by(Criterion.number)
        )
    )
    latest = map_data.latest_assessments(session, [c.id for c in criteria], day).get(unit_id, {})
    return [
        f"{c.number}. {c.name_vi}"
        for c in criteria
        if c.id in latest and latest[c.id].status == "unmet"
    ]


def build_pack(
    session: Session, query: map_data.MapQuery, state: PrintState, size: tuple[int, int],
    page_map_size: tuple[int, int], progress: Callable[[int, int, str], None] | None = None,
) -> Pack:  # fmt: skip
    """Every page's content; ``progress(done, total, message)`` after each page."""
    rows = map_data.commune_rows(session, query)
    ids = pack_unit_ids(session, state, rows)
    total = 1 + len(ids) + max(1, math.ceil(len(ids) / SUMMARY_ROWS_PER_PAGE))
    report = progress or (lambda *_: None)
    # the cover shows the whole province: neither the screen's extent nor a class filter
    cover_state = dataclasses.replace(state, filters={}, activities=False, base="none", bbox=None)
    cover = map_sheet(session, query, cover_state, size, rows=rows)
    report(1, total, "Trang bìa")
    start, end = query.period()
    period = Period.between(start, end)
    figures = {c.unit_id: c for c in commune_coverage(session, period, ids)}
    ntm = style_theme(map_themes.classify(rows, "ntm"), state.lang, {})
    ntm_labels = {c["key"]: c["label"] for c in ntm["classes"]}
    names = department_names(session)
    set_id = query.criteria_set_id or getattr(
        map_data.criteria_set_on(session, query.day), "id", None
    )
    by_id = {r["id"]: r for r in rows}
    page_state = dataclasses.replace(
        state, filters={}, activities=True, labels=True, base="none", bbox=None
    )
    activities = activity_features(session, query)
    pages = []
    for i, unit_id in enumerate(ids, start=2):
        row = by_id[unit_id]
        pages.append(
            CommunePage(
                row=row,
                sheet=map_sheet(
                    session,
                    query,
                    page_state,
                    page_map_size,
                    focus=unit_id,
                    level=2,
                    rows=rows,
                    activities=activities,
                    theme=cover.theme,
                ),
                ntm=ntm_labels.get(ntm["assign"].get(unit_id), "chưa có dữ liệu"),
                sponsors=[names.get(d, str(d)) for d in row["sponsors"]],
                unmet=_unmet_names(session, set_id, unit_id, query.day),
                figures=figures.get(unit_id) or CommuneCoverage(unit_id=unit_id, name=row["name"]),
                activities=activity_lines(session, unit_id, period)[:14],
            )
        )
        report(i, total, row["name"])
    summary = [
        pages[k : k + SUMMARY_ROWS_PER_PAGE] for k in range(0, len(pages), SUMMARY_ROWS_PER_PAGE)
    ] or [[]]
    report(total, total, "Bảng tổng hợp")
    title = get_list(session, state.list_id).name if state.list_id else "Tập tài liệu họp"
    return Pack(title, cover, pages, summary)
