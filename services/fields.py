"""Values read from a request, strictly and once: ids, counts, versions, finite numbers.

Every edge (JSON bodies, forms, query strings) reads ids through ``parse_id``, and the
permission check and the service use the value it returns, so one request can never be read
two ways. An id is a whole number from 1 to 2³¹−1, sent as a JSON integer or as ASCII digits;
nothing else is an id: not ``"3.7"``, ``"3,7"``, ``"3 7"``, ``" 37 "``, ``37.0``, ``[37]``,
``true`` or ``"²"`` (which ``str.isdigit`` takes). A refusal names the field.
"""

from __future__ import annotations

import math
import re
from http import HTTPStatus

from geo.errors import NtmError

MAX_ID = 2**31 - 1
#: most ids one request may name (a list of communes, of criteria...)
MAX_IDS = 5000
_DIGITS = re.compile(r"[0-9]{1,10}")


class FieldError(NtmError):
    """One field of a request is unreadable; ``details`` names it."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, field: str, message: str):
        super().__init__(
            f"Trường «{field}»: {message}", details=[{"field": field, "message": message}]
        )
        self.field = field


def _shown(value) -> str:
    text = repr(value) if not isinstance(value, str) else f"«{value}»"
    return text if len(text) <= 40 else text[:37] + "…"


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also takes "²" and other scripts' digits)."""
    return bool(_DIGITS.fullmatch(text))


def parse_int(value, field: str, low: int, high: int) -> int | None:
    """A whole number in ``low``–``high``; None when absent or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(field, f"phải là một số nguyên, không phải {_shown(value)}.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and is_digits(value):
        number = int(value)
    else:
        raise FieldError(field, f"phải là một số nguyên, không phải {_shown(value)}.")
    if not low <= number <= high:
        raise FieldError(field, f"phải từ {low} đến {high} (đang là {number}).")
    return number


def parse_id(value, field: str, *, required: bool = False) -> int | None:
    """An id (1 to 2³¹−1) or None when absent; anything else is refused, naming ``field``."""
    if value is None or value == "":
        if required:
            raise FieldError(field, "cần có.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FieldError(field, f"phải là một mã số nguyên dương, không phải {_shown(value)}.")
    if isinstance(value, str) and not is_digits(value):
        raise FieldError(field, f"phải là một mã số nguyên dương, không phải {_shown(value)}.")
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise FieldError(field, f"phải từ 1 đến {MAX_ID} (đang là {number}).")
    return number


def parse_ids(values, field: str, *, limit: int = MAX_IDS) -> list[int]:
    """A list of ids (a JSON array, one id, or ids separated by commas); duplicates dropped."""
    if values is None or values == "":
        return []
    if isinstance(values, str):
        items: list = [v for v in values.split(",") if v != ""]
    elif isinstance(values, int) and not isinstance(values, bool):
        items = [values]
    elif isinstance(values, list):
        items = values
    else:
        raise FieldError(field, f"phải là một danh sách mã số, không phải {_shown(values)}.")
    if len(items) > limit:
        raise FieldError(field, f"có {len(items):,} mã, nhiều nhất {limit:,} mỗi lần.")
    ids = [parse_id(v, field) for v in items]
    return list(dict.fromkeys(i for i in ids if i is not None))


def finite(value: float, field: str) -> float:
    """``value`` itself, refused when it is NaN or infinite."""
    if not math.isfinite(value):
        raise FieldError(field, f"phải là một số hữu hạn, không phải {_shown(value)}.")
    return value


def json_object(body, what: str = "nội dung yêu cầu") -> dict:
    """A JSON body that must be an object (``{…}``)."""
    if not isinstance(body, dict):
        raise FieldError(what, "phải là một đối tượng JSON ({…}).")
    return body
