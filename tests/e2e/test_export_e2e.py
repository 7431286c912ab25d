"""From the planner map in a real browser: open the export dialog, export a snapshot of the
current view (theme, filters, extent) and download it. Reuses the planner e2e server (SpatiaLite,
sign-in and CSP on) and its signed-in page, which records any request outside the app.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.test_planner_e2e import ARTIFACTS, HOSTILE, _ready, page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_export_snapshot_from_the_map(server, page, tmp_path):  # noqa: F811
    from PIL import Image

    page.goto(f"{server['url']}/map?theme=unmet")
    _ready(page)
    page.click("#export-open")
    assert page.locator("#export-dialog").is_visible()
    page.fill("#export-name", "Bản đồ xuất thử – Vĩnh Linh")
    page.select_option("#export-format", "png-screen")
    with page.expect_download(timeout=90_000) as info:
        page.click("#export-start")
    download = info.value
    assert download.suggested_filename.endswith(".png")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    page.screenshot(path=str(ARTIFACTS / "10-export-dialog.png"))
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
        assert image.size == tuple(page.evaluate("[window.innerWidth, window.innerHeight]"))
    (ARTIFACTS / "11-exported.png").write_bytes(path.read_bytes())
    background = (np.abs(pixels - [248, 246, 240]).sum(axis=2) < 6) | (pixels.sum(axis=2) > 750)
    assert (~background).mean() > 0.02, "the exported map is blank"
    assert "Xong" in page.locator("#export-status").inner_text()
    assert page.outside == [] and page.errors == []


def test_print_view_shows_hostile_names_as_text(server, page):  # noqa: F811
    """The e2e data has a commune and a sponsoring department named like markup."""
    response = page.request.get(f"{server['url']}/map/print?theme=sponsor&labels=1")
    html = response.text()
    assert response.status == 200
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_report_pdf_from_the_reports_page(server, page, tmp_path):  # noqa: F811
    page.goto(f"{server['url']}/reports?from=2020-01-01&to=2030-12-31")
    assert "Toàn tỉnh" in page.locator("select[name=unit]").inner_text()
    with page.expect_download(timeout=90_000) as info:
        page.click("#report-pdf")
    path = tmp_path / "report.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    with page.expect_download() as info:
        page.click("#report-excel")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert page.outside == [] and page.errors == []
