"""CSRF tokens, session cookie flags, security headers and the Content-Security-Policy.

For page authors
----------------
- Every ``<form method="post">`` carries ``<input type="hidden" name="csrf_token"
  value="{{ csrf_token() }}">``.
- ``base.html`` has ``<meta name="csrf-token" content="{{ csrf_token() }}">``; JavaScript that
  changes data sends it back as the ``X-CSRFToken`` header::

      fetch(url, {method: "POST", headers: {"X-CSRFToken":
          document.querySelector('meta[name="csrf-token"]').content}, body: ...})

- Inline ``<script>`` elements need ``nonce="{{ csp_nonce() }}"``; better, put the code in a
  file under ``/static``. Inline event handlers (``onclick=``) and ``javascript:`` URLs never run.
- A Folium map document embedded in a page (``srcdoc`` or raw HTML) goes through
  ``trust_generated_scripts(html)``, which gives its ``<script>`` elements the request's nonce.
  Only use it on HTML built by code (Folium escapes the data it embeds), never on user text.

CSRF is checked on every POST, PUT, PATCH and DELETE while ``NTM_AUTH`` is not ``off``
(``off`` is for development only). A missing or wrong token gives 400 with a Vietnamese message.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_MESSAGE = (
    "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). "
    "Hãy tải lại trang rồi thử lại."
)
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)
_ESCAPED_SCRIPT_TAG = re.compile(r"&lt;script(?=[\s&>])", re.IGNORECASE)
TILE_ORIGINS = {"osm": "https://tile.openstreetmap.org"}
#: endpoints whose whole HTML is built by code (a Folium map in ``srcdoc``): their scripts get
#: the nonce after rendering. Prefer ``trust_generated_scripts`` in the view for new pages.
GENERATED_SCRIPT_ENDPOINTS = {"home.index"}


class CsrfError(BadRequest):
    description = CSRF_MESSAGE


def auth_mode(app: Flask | None = None) -> str:
    """``required``, ``public-read`` or ``off`` (the one switch: ``NTM_AUTH``)."""
    mode = (app or current_app).config.get("NTM_AUTH", "required")
    if mode not in ("required", "public-read", "off"):
        raise ValueError(f"NTM_AUTH must be required, public-read or off, not {mode!r}")
    return mode


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csp_nonce() -> str:
    """This request's script nonce."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def trust_generated_scripts(html: str) -> Markup | str:
    """Give the ``<script>`` elements of code-built HTML (a Folium document) the nonce.

    Scripts inside an escaped ``srcdoc`` value are handled too (they inherit the page's policy).
    """
    nonce = csp_nonce()
    html = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)
    html = _ESCAPED_SCRIPT_TAG.sub(f"&lt;script nonce=&#34;{nonce}&#34;", html)
    return html


def check_csrf() -> None:
    """Refuse a state-changing request without this session's token."""
    if request.method in SAFE_METHODS or auth_mode() == "off":
        return
    expected = session.get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER) or _form_token()
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise CsrfError()


def _form_token() -> str | None:
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.get(CSRF_FIELD)
    return None


def content_security_policy(nonce: str, basemap: str) -> str:
    """The policy: the app's own assets only, inline scripts only with the request's nonce."""
    img = ["'self'", "data:", "blob:"]
    origin = TILE_ORIGINS.get(basemap) or _origin_of(basemap)
    if origin:
        img.append(origin)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {' '.join(img)}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def _origin_of(url: str) -> str | None:
    match = re.match(r"^(https?://[^/{}]+)", url or "")
    return match.group(1) if match else None


def set_security_headers(response):
    """Headers on every response (the policy only while ``NTM_AUTH`` is not ``off``)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if current_app.config.get("NTM_HTTPS") == "on":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if auth_mode() != "off":
        _nonce_generated_page(response)
        headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(csp_nonce(), current_app.config.get("NTM_BASEMAP", "none")),
        )
    return response


def _nonce_generated_page(response) -> None:
    if (
        request.endpoint in GENERATED_SCRIPT_ENDPOINTS
        and response.mimetype == "text/html"
        and not response.direct_passthrough
    ):
        response.set_data(trust_generated_scripts(response.get_data(as_text=True)))


def init_app(app: Flask) -> None:
    """Cookie flags, body size limit, the CSRF check and the headers."""
    auth_mode(app)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("NTM_HTTPS") == "on"
    app.config["SESSION_COOKIE_NAME"] = "ntm_session"
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        max_mb = int(app.config.get("NTM_MAX_UPLOAD_MB") or 50)
        app.config["MAX_CONTENT_LENGTH"] = max_mb * 1024 * 1024
    app.jinja_env.globals.update(csrf_token=csrf_token, csp_nonce=csp_nonce)
    app.before_request(check_csrf)
    app.after_request(set_security_headers)


def safe_path(target: str | None, default: str) -> str:
    """``target`` when it is a path of this site, else ``default`` (for ``next=`` and ``back=``).

    Refused: other schemes and hosts, ``//host`` and ``/\\host`` (which browsers follow to
    another site), and any control or space character — a browser drops a tab or newline, so
    ``/\\t/evil.example`` would become ``//evil.example``.
    """
    if not target or not target.startswith("/") or len(target) > 2000:
        return default
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return default
    if target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
