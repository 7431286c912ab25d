"""Render pages of the app to PNG and PDF in headless Chromium (Debian's, driven by Playwright).

No Flask here. The renderer never reaches a network: the export browser asks for pages of a
made-up origin (``ORIGIN``), and every request to it is answered by ``fetch`` — a callable the
web layer builds from the app itself (its WSGI interface, with the requesting user's session
cookie, so the export sees exactly what that user may see). Every other request (an online
base map, a CDN) is aborted: exports work with no internet and never leak a request.

Playwright's sync API is bound to the thread that started it: a ``Renderer`` is made, used and
closed by one thread only (the export queue's worker, ``services.export_jobs``), and that thread
runs no asyncio loop. The browser is long-lived; each render gets a fresh context.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from geo.errors import NtmError

log = logging.getLogger(__name__)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
#: the origin the export browser believes it talks to; requests to it go to ``fetch``
ORIGIN = "http://export.ntm.local"
CSS_DPI = 96
MM_PER_INCH = 25.4
PAPER_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
READY_TIMEOUT_MS = 20_000

#: ``fetch(path_with_query) -> (status, headers, body)`` for a path of the app
Fetch = Callable[[str], tuple[int, dict[str, str], bytes]]


class RenderError(NtmError):
    """The export page could not be rendered; the message says what to try."""


@dataclass(frozen=True)
class PageSize:
    """The sheet in CSS pixels and how many device pixels each CSS pixel becomes."""

    width_px: int
    height_px: int
    scale: float = 1.0

    @property
    def image_size(self) -> tuple[int, int]:
        return round(self.width_px * self.scale), round(self.height_px * self.scale)


def paper_size(paper: str = "A4", orientation: str = "landscape", dpi: int = CSS_DPI) -> PageSize:
    """A sheet of ``paper`` in CSS pixels, scaled so that a PNG has ``dpi`` dots per inch."""
    if paper not in PAPER_MM:
        raise RenderError(f"Khổ giấy “{paper}” không có; chọn A4 hoặc A3.")
    if orientation not in ("landscape", "portrait"):
        raise RenderError("Hướng giấy phải là “landscape” (ngang) hoặc “portrait” (dọc).")
    if not 72 <= dpi <= 600:
        raise RenderError(f"Độ phân giải {dpi} dpi ngoài khoảng cho phép 72–600.")
    long_mm, short_mm = PAPER_MM[paper]
    w_mm, h_mm = (long_mm, short_mm) if orientation == "landscape" else (short_mm, long_mm)
    to_px = CSS_DPI / MM_PER_INCH
    return PageSize(int(w_mm * to_px), int(h_mm * to_px), dpi / CSS_DPI)


@dataclass
class RenderResult:
    body: bytes
    blocked: list[str] = field(default_factory=list)
    pages: int = 1


class Renderer:
    """One headless Chromium, started on first use, used by the thread that created it."""

    def __init__(self, executable: str = CHROMIUM):
        self.executable = executable
        self._thread = threading.get_ident()
        self._playwright = None
        self._browser = None

    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError("Renderer used from another thread than the one that made it")

    def browser(self):
        """The browser, launched on first call (never downloaded: Debian's Chromium)."""
        self._check_thread()
        if self._browser is None or not self._browser.is_connected():
            from playwright.sync_api import sync_playwright

            if self._playwright is None:
                self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(
                    executable_path=self.executable, args=CHROMIUM_ARGS
                )
            except Exception as exc:
                raise RenderError(
                    f"Không khởi động được Chromium ({self.executable}); "
                    "hãy cài gói chromium của hệ thống."
                ) from exc
        return self._browser

    def close(self) -> None:
        """Close the browser and stop the driver; either may already be dead (then the next
        render starts both afresh)."""
        self._check_thread()
        browser, self._browser = self._browser, None
        playwright, self._playwright = self._playwright, None
        try:
            if browser is not None and browser.is_connected():
                browser.close()
        except Exception:  # noqa: BLE001 - a dead driver cannot close its browser
            log.warning("the export browser did not close cleanly")
        finally:
            if playwright is not None:
                try:
                    playwright.stop()
                except Exception:  # noqa: BLE001
                    log.warning("the Playwright driver did not stop cleanly")

    def _open(self, path: str, fetch: Fetch, size: PageSize):
        context = self.browser().new_context(
            viewport={"width": size.width_px, "height": size.height_px},
            device_scale_factor=size.scale,
            locale="vi-VN",
        )
        blocked: list[str] = []

        def handle(route) -> None:
            url = route.request.url
            if not url.startswith(ORIGIN + "/"):
                blocked.append(url)
                route.abort("blockedbyclient")
                return
            status, headers, body = fetch(url[len(ORIGIN) :])
            route.fulfill(status=status, headers=headers, body=body)

        context.route("**/*", handle)
        page = context.new_page()
        response = page.goto(ORIGIN + path, wait_until="load")
        if response is None or response.status != 200:
            status = response.status if response else "?"
            context.close()
            raise RenderError(f"Trang in trả về mã {status}; kiểm tra quyền truy cập và tham số.")
        try:
            page.wait_for_function(
                "document.body && document.body.dataset.ready === '1'", timeout=READY_TIMEOUT_MS
            )
        except Exception as exc:
            context.close()
            raise RenderError("Trang in không sẵn sàng sau 20 giây; hãy thử lại.") from exc
        return context, page, blocked

    def png(self, path: str, fetch: Fetch, size: PageSize) -> RenderResult:
        """A PNG of the page's ``.sheet`` at ``size`` (device pixels = CSS pixels x scale)."""
        context, page, blocked = self._open(path, fetch, size)
        try:
            body = page.locator(".sheet").first.screenshot(type="png", animations="disabled")
        finally:
            context.close()
        return RenderResult(body, blocked)

    def pdf(self, path: str, fetch: Fetch, paper: str, landscape: bool) -> RenderResult:
        """A vector PDF of the page (multi-page when the page has page breaks)."""
        size = paper_size(paper, "landscape" if landscape else "portrait")
        context, page, blocked = self._open(path, fetch, size)
        try:
            pages = int(page.evaluate("document.querySelectorAll('.sheet').length") or 1)
            page.emulate_media(media="print")
            body = page.pdf(
                format=paper, landscape=landscape, print_background=True,
                prefer_css_page_size=True, margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
            )  # fmt: skip
        finally:
            context.close()
        return RenderResult(body, blocked, pages)
