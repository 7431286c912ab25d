"""The OpenAPI 3.1 document of the JSON API, built from the table ``OPERATIONS``.

To document a new endpoint, add an ``Op`` to ``OPERATIONS``: method, path in OpenAPI form
(``/api/things/{thing_id}``: path parameters are integers unless listed in ``params``), a
Vietnamese summary, its query parameters (``q(...)``), its JSON body schema and the statuses it
answers. ``tests/web/test_openapi_fuzz.py`` fails while an ``/api/`` route of the app is missing
here, and fuzzes every operation listed (schemathesis) for server errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Flask

DATE = {"type": "string", "format": "date"}
#: ids and counts fit a 32-bit column; larger values are outside the contract
INT = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "details": {"type": "array"}},
    "required": ["error"],
}
IDS = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
LIST_FIELDS = {
    "name": {"type": "string", "maxLength": 200},
    "period_from": {"type": ["string", "null"], "format": "date"},
    "period_to": {"type": ["string", "null"], "format": "date"},
    "note": {"type": ["string", "null"]},
    "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
#: the body of adding communes to, or removing them from, a priority list
LIST_ITEMS_BODY = {
    "type": "object",
    "properties": {"unit_ids": IDS, "version": INT, "reason": {"type": "string"}},
    "required": ["unit_ids", "version"],
}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict
    where: str = "query"
    description: str = ""
    required: bool = False


def q(name: str, schema: dict | None = None, description: str = "") -> Param:
    return Param(name, schema or {"type": "string"}, "query", description)


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    summary: str
    tag: str
    params: tuple[Param, ...] = ()
    body: dict | None = None
    statuses: tuple[int, ...] = (200,)
    content: str = "application/json"
    extra: dict = field(default_factory=dict)


MAP_QUERY = (
    q("date", DATE, "Ngày xem (YYYY-MM-DD), mặc định hôm nay"),
    q("set", INT, "Bộ tiêu chí"),
    q("criterion", INT, "Tiêu chí"),
    q("from", DATE, "Đầu kỳ"),
    q("to", DATE, "Cuối kỳ"),
    q("types", {"type": "string"}, "Loại hoạt động, cách nhau bởi dấu phẩy"),
    q("organisers", {"type": "string", "pattern": "^[0-9,]*$"}, "Mã đơn vị, cách nhau dấu phẩy"),
)
DAY = (q("date", DATE, "Ngày xem (YYYY-MM-DD)"),)
LIST_ID = "/api/priority-lists/{list_id}"

ACTIVITY_FILTER = (
    q("from", DATE),
    q("to", DATE),
    q("type", {"type": "string"}),
    q("organiser", INT),
    q("commune", INT),
    q("criterion", INT),
    q("deleted", {"type": "string", "enum": ["0", "1"]}),
)
ACTIVITY = "/api/activities/{activity_id}"
ACTIVITY_BODY = {
    "type": "object",
    "properties": {
        "activity_date": DATE,
        "type_code": {"type": "string"},
        "organiser_id": INT,
        "participants": INT,
        "workdays": {"type": "number", "minimum": 0},
        "quantity": {"type": "number", "minimum": 0},
        "funds_vnd": INT,
        "village": {"type": "string"},
        "description": {"type": "string"},
        "criteria_ids": IDS,
        "geometry": {"type": "object"},
        "version": INT,
    },
}
ACTIVITY_OPERATIONS = (
    Op("get", "/api/activities", "Danh sách hoạt động và tổng số", "activities",
       (*ACTIVITY_FILTER, q("limit", INT)), None, (200, 400)),
    Op("get", "/api/activities/geojson", "Hoạt động có vị trí (GeoJSON)", "activities",
       ACTIVITY_FILTER, None, (200, 400)),
    Op("post", "/api/activities", "Ghi một hoạt động (đơn vị của mình)", "activities", (),
       ACTIVITY_BODY, (201, 400, 404, 409, 422)),
    Op("get", ACTIVITY, "Một hoạt động", "activities", (), None, (200, 404)),
    Op("put", ACTIVITY, "Sửa hoạt động (gửi kèm version)", "activities", (), ACTIVITY_BODY,
       (200, 400, 404, 409, 422)),
    Op("delete", ACTIVITY, "Xoá hoạt động (khôi phục được)", "activities",
       (q("version", INT),), None, (200, 400, 404, 409)),
    Op("post", f"{ACTIVITY}/restore", "Khôi phục hoạt động đã xoá", "activities", (), None,
       (200, 400, 404, 409)),
    Op("get", f"{ACTIVITY}/history", "Lịch sử sửa đổi hoạt động", "activities", (), None,
       (200, 404)),
    Op("post", "/api/activities/locate", "Hình vẽ hoặc toạ độ rơi vào xã nào", "activities", (),
       {"type": "object"}, (200, 400, 422)),
    Op("get", "/api/activities/options", "Lựa chọn cho biểu mẫu hoạt động", "activities",
       (q("date", DATE),), None, (200, 400)),
)  # fmt: skip
JOB_ID = Param("job_id", {"type": "string", "maxLength": 64}, "path")
EXPORT_OPERATIONS = (
    Op("post", "/api/exports", "Bắt đầu xuất bản đồ, tập tài liệu họp hoặc báo cáo (trả về mã lượt xuất)",
       "exports", (), {"type": "object", "properties": {
           "kind": {"type": "string", "enum": ["png", "pdf", "pack", "report"]},
           "query": {"type": "string"}, "title": {"type": "string"},
           "paper": {"type": "string", "enum": ["A4", "A3"]},
           "orientation": {"type": "string", "enum": ["landscape", "portrait"]},
           "size": {"type": "string", "enum": ["screen", "print"]},
           "dpi": {"type": "integer", "minimum": 72, "maximum": 600},
           "width": INT, "height": INT}, "required": ["kind"]}, (202, 400, 429)),
    Op("get", "/api/exports/{job_id}", "Tiến độ một lượt xuất", "exports", (JOB_ID,), None, (200, 404)),
    Op("post", "/api/exports/{job_id}/cancel", "Huỷ một lượt xuất đang chờ hoặc đang chạy", "exports",
       (JOB_ID,), {"type": "object"}, (200, 400, 404)),
    Op("get", "/api/exports/{job_id}/file", "Tải tệp của lượt xuất đã xong", "exports", (JOB_ID,),
       None, (200, 400, 404), "application/octet-stream"),
)  # fmt: skip
PERIOD = (
    q("kind", {"type": "string", "enum": ["month", "quarter", "half", "year"]}),
    q("year", {"type": "integer", "minimum": 2000, "maximum": 2100}),
    q("number", {"type": "integer", "minimum": 1, "maximum": 12}),
    q("start", DATE),
    q("end", DATE),
    q("list", INT),
)
WEIGHT = {"type": "number", "minimum": 0, "maximum": 10}
ANALYSIS_OPERATIONS = (
    Op("get", "/api/coverage", "Độ phủ hoạt động theo xã trong một kỳ", "analysis", PERIOD,
       None, (200, 400, 404)),
    Op("get", "/api/coverage.xlsx", "Độ phủ hoạt động, tệp Excel", "analysis", PERIOD, None,
       (200, 400, 404), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Op("get", "/api/ranking", "Xếp hạng xã để chọn ưu tiên", "analysis",
       (q("day", DATE), *(q(n, WEIGHT) for n in ("difficulty", "unmet_criteria",
        "close_to_standard", "registered"))), None, (200, 400)),
    Op("post", "/api/ranking/to-priority-list/{list_id}", "Thêm các xã xếp hạng cao vào danh sách",
       "analysis", (), {"type": "object", "properties": {
           "top": {"type": "integer", "minimum": 1, "maximum": 200},
           "min_score": {"type": "number"}, "day": DATE, "version": INT,
           "reason": {"type": "string"}}}, (200, 400, 404, 409, 422)),
    Op("get", "/api/sponsorship/balance", "Cân đối đỡ đầu giữa các sở, ngành", "analysis",
       (q("day", DATE), q("list", INT)), None, (200, 400, 404)),
    Op("get", "/api/sponsorship/match/{unit_id}", "Sở, ngành phù hợp để đỡ đầu một xã",
       "analysis", (q("day", DATE),), None, (200, 400, 404)),
    Op("get", "/api/sponsorship/area/{department_id}", "Vùng các xã một sở, ngành đỡ đầu",
       "analysis", (q("day", DATE),), None, (200, 400, 404)),
    Op("get", "/api/sponsorships", "Các việc đỡ đầu còn hiệu lực trong ngày", "sponsorship",
       (q("day", DATE),), None, (200, 400)),
    Op("get", "/api/sponsorships/commune/{unit_id}", "Lịch sử đỡ đầu của một xã", "sponsorship"),
    Op("post", "/api/sponsorships", "Phân công một sở, ngành đỡ đầu một xã", "sponsorship", (),
       {"type": "object", "properties": {"department_id": INT, "unit_id": INT,
        "valid_from": DATE, "valid_to": {"type": ["string", "null"], "format": "date"},
        "note": {"type": ["string", "null"], "maxLength": 2000}},
        "required": ["department_id", "unit_id", "valid_from"]}, (201, 400, 409, 422)),
    Op("post", "/api/sponsorships/{sponsorship_id}/end", "Kết thúc một việc đỡ đầu (giữ lịch sử)",
       "sponsorship", (), {"type": "object", "properties": {"valid_to": DATE, "version": INT},
                           "required": ["valid_to"]}, (200, 400, 409, 422)),
)  # fmt: skip
NULL_TEXT = {"type": ["string", "null"], "maxLength": 2000}
NULL_DATE = {"type": ["string", "null"], "format": "date"}
FACT_OPERATIONS = (
    Op("post", "/api/communes/{unit_id}/assessments", "Sửa đánh giá một tiêu chí của xã (giữ lịch sử)",
       "facts", (), {"type": "object", "properties": {"criterion_id": INT,
        "status": {"type": "string", "enum": ["met", "unmet", "unknown"]}, "assessed_on": DATE,
        "source": NULL_TEXT, "note": NULL_TEXT}, "required": ["criterion_id", "status", "assessed_on"]},
       (201, 400, 422)),
    Op("get", "/api/communes/{unit_id}/assessments/{criterion_id}/history",
       "Lịch sử đánh giá một tiêu chí của xã", "facts", (), None, (200, 422)),
    Op("post", "/api/communes/{unit_id}/classifications", "Sửa một phân loại của xã (giữ lịch sử)",
       "facts", (), {"type": "object", "properties": {"flag": {"type": "string", "enum": [
        "mountainous", "coastal_sandy", "island", "extremely_difficult", "commune_group"]},
        "value": {"type": ["string", "null"]}, "period_from": DATE, "period_to": NULL_DATE,
        "legal_basis": NULL_TEXT, "source": NULL_TEXT, "rule": NULL_TEXT},
        "required": ["flag", "period_from"]}, (201, 400, 422)),
    Op("post", "/api/communes/{unit_id}/ntm-levels", "Sửa mức đạt nông thôn mới của xã theo năm",
       "facts", (), {"type": "object", "properties": {"year": INT, "level": {"type": "string"},
        "target_level": {"type": ["string", "null"]}, "target_year": {"type": ["integer", "null"],
        "minimum": 0, "maximum": 2**31 - 1}, "source": NULL_TEXT},
        "required": ["year", "level"]}, (201, 400, 422)),
)  # fmt: skip
#: not fuzzed: multipart upload (``/api/activities/upload``) is documented by hand below
UPLOAD_OPERATIONS = (
    Op("post", "/api/activities/upload", "Đọc tệp GPX/KML/GeoJSON/ảnh thành hình học",
       "activities", (), None, (200, 400, 413, 422),
       extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
           "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
           "required": ["file"]}}}}}),
)  # fmt: skip

PLAN_ITEM = "/api/plans/items/{item_id}"
PLAN_ITEM_BODY = {
    "type": "object",
    "properties": {
        "planned_date": DATE, "unit_id": INT, "village": {"type": "string"},
        "type_code": {"type": "string"}, "planned_quantity": {"type": "number", "minimum": 0},
        "lead_person": {"type": "string"}, "description": {"type": "string"},
        "assignee_id": INT, "deadline": DATE, "criteria_ids": IDS,
        "geometry": {"type": "object"}, "confirm_not_saturday": {"type": "boolean"},
        "version": INT,
    },
}  # fmt: skip
PLAN_OPERATIONS = (
    Op("get", PLAN_ITEM, "Một việc trong kế hoạch", "plans", (), None, (200, 404)),
    Op("post", "/api/plans/{plan_id}/items", "Thêm việc vào kế hoạch", "plans", (),
       PLAN_ITEM_BODY, (201, 400, 404, 409, 422)),
    Op("put", PLAN_ITEM, "Sửa việc (gửi kèm version)", "plans", (), PLAN_ITEM_BODY,
       (200, 400, 404, 409, 422)),
    Op("post", f"{PLAN_ITEM}/activity", "Việc đã làm: ghi hoạt động, đánh dấu đã thực hiện",
       "plans", (), ACTIVITY_BODY, (201, 400, 404, 409, 422)),
    Op("get", "/api/plans/map", "Việc đã lên kế hoạch trên bản đồ, xã có việc chưa làm", "plans",
       (q("from", DATE), q("to", DATE)), None, (200, 400)),
    Op("get", "/api/plans/progress", "Kế hoạch so với thực hiện của một đơn vị", "plans",
       (q("unit", INT), q("from", DATE), q("to", DATE)), None, (200, 400)),
)  # fmt: skip

OPERATIONS: tuple[Op, ...] = (
    Op("get", "/api/openapi.json", "Tài liệu OpenAPI này", "meta"),
    Op("get", "/api/map/config", "Cấu hình bản đồ: lớp, vùng thu phóng, bộ lọc", "map", DAY),
    Op(
        "get",
        "/api/map/boundaries/{level}",
        "Ranh giới xã ở một mức đơn giản hoá (GeoJSON)",
        "map",
        DAY,
        statuses=(200, 304, 400),
        content="application/geo+json",
    ),
    Op(
        "get",
        "/api/map/outline",
        "Đường bao tỉnh",
        "map",
        DAY,
        None,
        (200, 304),
        "application/geo+json",
    ),
    Op("get", "/api/map/labels", "Điểm đặt nhãn tên xã", "map", DAY, None, (200, 304)),
    Op(
        "get",
        "/api/map/attributes",
        "Giá trị và lớp màu của từng xã",
        "map",
        MAP_QUERY,
        None,
        (200, 400),
    ),
    Op(
        "get",
        "/api/map/activities",
        "Hoạt động trên bản đồ (GeoJSON)",
        "map",
        MAP_QUERY,
        None,
        (200, 400),
        "application/geo+json",
    ),
    Op(
        "get",
        "/api/map/activities/{activity_id}",
        "Chi tiết một hoạt động",
        "map",
        (),
        None,
        (200, 404),
    ),
    Op(
        "get",
        "/api/map/search",
        "Tìm xã theo tên",
        "map",
        (q("q", {"type": "string", "maxLength": 100}), *DAY),
        None,
        (200, 400),
    ),
    Op(
        "get",
        "/api/map/communes/{unit_id}",
        "Bảng thông tin một xã",
        "map",
        (*DAY, q("set", INT), q("list", INT)),
        None,
        (200, 400, 404),
    ),
    Op(
        "post",
        "/api/map/communes-in-shape",
        "Các xã mà một hình vẽ chạm vào (chỉ đọc)",
        "map",
        DAY,
        {
            "type": "object",
            "properties": {"geometry": {"type": "object"}},
            "required": ["geometry"],
        },
        (200, 400, 422),
    ),
    Op("get", "/api/priority-lists", "Các danh sách ưu tiên", "priorities"),
    Op(
        "post",
        "/api/priority-lists",
        "Tạo danh sách ưu tiên",
        "priorities",
        (),
        {"type": "object", "properties": LIST_FIELDS, "required": ["name"]},
        (201, 400, 422),
    ),
    Op(
        "get",
        LIST_ID,
        "Một danh sách ưu tiên và các xã trong đó",
        "priorities",
        (),
        None,
        (200, 404),
    ),
    Op(
        "patch",
        LIST_ID,
        "Sửa danh sách (gửi kèm version; version cũ → 409)",
        "priorities",
        (),
        {"type": "object", "properties": LIST_FIELDS, "required": ["version"]},
        (200, 400, 404, 409, 422),
    ),
    Op(
        "delete",
        LIST_ID,
        "Xoá danh sách (khôi phục được)",
        "priorities",
        (q("version", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),),
        None,
        (204, 400, 404, 409),
    ),
    Op(
        "post",
        f"{LIST_ID}/items",
        "Thêm xã vào danh sách",
        "priorities",
        (),
        LIST_ITEMS_BODY,
        (200, 400, 404, 409, 422),
    ),
    Op(
        "post",
        f"{LIST_ID}/items/remove",
        "Bỏ xã khỏi danh sách",
        "priorities",
        (),
        LIST_ITEMS_BODY,
        (200, 400, 404, 409, 422),
    ),
    Op(
        "post",
        f"{LIST_ID}/restore",
        "Khôi phục danh sách đã xoá (gửi kèm version)",
        "priorities",
        (),
        {"type": "object", "properties": {"version": LIST_FIELDS["version"]}},
        (200, 400, 404, 409),
    ),
    Op(
        "get",
        f"{LIST_ID}/history",
        "Lịch sử thêm/bỏ xã của danh sách",
        "priorities",
        (),
        None,
        (200, 404),
    ),
    Op(
        "get",
        f"{LIST_ID}/compare/{{other_id}}",
        "So sánh hai danh sách",
        "priorities",
        (),
        None,
        (200, 404),
    ),
    Op(
        "get",
        f"{LIST_ID}/export.xlsx",
        "Xuất danh sách ra Excel",
        "priorities",
        (),
        None,
        (200, 404),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    Op(
        "get",
        f"{LIST_ID}/export.csv",
        "Xuất danh sách ra CSV",
        "priorities",
        (),
        None,
        (200, 404),
        "text/csv",
    ),
    *ACTIVITY_OPERATIONS,
    *ANALYSIS_OPERATIONS,
    *PLAN_OPERATIONS,
    *EXPORT_OPERATIONS,
    *FACT_OPERATIONS,
    Op(
        "get",
        "/api/communes/{unit_id}/history",
        "Lịch sử thay đổi liên quan đến một xã",
        "audit",
        (),
        None,
        (200, 404),
    ),
)

_PATH_PARAM = re.compile(r"\{(\w+)\}")
_STATUS_TEXT = {
    200: "Thành công",
    201: "Đã tạo",
    204: "Đã xoá",
    304: "Không đổi (ETag)",
    400: "Yêu cầu sai: thông báo nói cần sửa gì",
    401: "Cần đăng nhập",
    403: "Vai trò không được phép, hoặc thiếu mã CSRF",
    404: "Không tìm thấy",
    409: "Xung đột: người khác đã lưu trước (version cũ)",
    422: "Dữ liệu không hợp lệ",
    503: "Cơ sở dữ liệu tạm thời không truy cập được: thử lại sau",
}


def _parameters(op: Op) -> list[dict]:
    listed = {p.name: p for p in op.params}
    params = [
        {"name": name, "in": "path", "required": True, "schema": INT}
        for name in _PATH_PARAM.findall(op.path)
        if name not in listed
    ]
    for p in op.params:
        entry = {"name": p.name, "in": p.where, "required": p.required or p.where == "path"}
        if p.description:
            entry["description"] = p.description
        params.append({**entry, "schema": p.schema})
    return params


def _responses(op: Op) -> dict:
    responses = {}
    for status in (*op.statuses, 401, 403, 503):
        entry: dict = {"description": _STATUS_TEXT.get(status, str(status))}
        if status in (200, 201):
            entry["content"] = {op.content: {"schema": {}}}
        elif status >= 400:
            entry["content"] = {"application/json": {"schema": ERROR}}
        responses[str(status)] = entry
    return responses


def _operation(op: Op) -> dict:
    operation = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": f"{op.method}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower()).strip('_')}",
        "parameters": _parameters(op),
        "responses": _responses(op),
        **op.extra,
    }
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    if op.method != "get":
        operation["security"] = [{"session": [], "csrf": []}]
    return operation


def _check(operations: tuple[Op, ...]) -> None:
    for op in operations:
        if op.body is not None and not isinstance(op.body, dict):
            raise TypeError(f"{op.method} {op.path}: body must be a JSON schema dict or None")


def document(operations: tuple[Op, ...] = OPERATIONS + UPLOAD_OPERATIONS) -> dict:
    """The OpenAPI document for ``operations``."""
    _check(operations)
    paths: dict[str, dict] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ntm-map JSON API",
            "version": "1",
            "description": "Bản đồ Ngày thứ 7 vì nông thôn mới, tỉnh Quảng Trị. Lỗi trả về "
            "dạng {error, details} với thông báo tiếng Việt. Thay đổi dữ liệu cần đăng nhập "
            '(cookie phiên) và tiêu đề X-CSRFToken (lấy từ <meta name="csrf-token">).',
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "ntm_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            }
        },
        "security": [{"session": []}],
    }


def openapi_path(rule: str) -> str:
    """``/api/x/<int:x_id>`` → ``/api/x/{x_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def undocumented_routes(
    app: Flask, operations: tuple[Op, ...] = OPERATIONS + UPLOAD_OPERATIONS
) -> list[str]:
    """``METHOD /api/...`` routes of ``app`` that ``operations`` does not describe."""
    documented = {(op.method.upper(), op.path) for op in operations}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (method, openapi_path(rule.rule)) not in documented:
                missing.append(f"{method} {rule.rule}")
    return missing
