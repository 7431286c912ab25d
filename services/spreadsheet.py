"""Text a user typed, made safe for a spreadsheet cell (Excel or CSV).

A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a
leading ``'`` so no spreadsheet runs it, and characters an .xlsx (XML 1.0)
cannot hold — control characters, U+FFFE/U+FFFF, lone surrogates — are dropped.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_text(value):
    """``value`` unchanged unless it is text; text made safe for a spreadsheet.

    >>> safe_text('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> safe_text("Xã Vĩnh Linh\\ufffe")
    'Xã Vĩnh Linh'
    >>> safe_text(12.5)
    12.5
    """
    if not isinstance(value, str):
        return value
    text = _NOT_XML.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
