"""The export renderer (headless Chromium) and queue, and the print map's SVG.

The renderer is fed by a plain ``fetch`` here (no Flask): what the web layer does with the app.
"""

from __future__ import annotations

import io
import shutil
import threading

import numpy as np
import pytest
import shapely

from services.print_map import Feature, MapLayers, fit_view, nice_length_m, render_svg, tiles_for
from services.snapshots import PageSize, Renderer, RenderError, paper_size

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@page { size: A4 landscape; margin: 0 } body { margin: 0; font-family: "DejaVu Sans"; }
.sheet { width: 600px; height: 400px; background: #fff; overflow: hidden; }</style></head><body>
<section class="sheet"><h1>Bản đồ xã Vĩnh Linh – Đakrông</h1>%s
<img class="tile" src="https://tile.openstreetmap.org/1/1/1.png"></section>
<script src="/ready.js"></script></body></html>"""


def fetch_for(svg: str):
    def fetch(path: str):
        if path.startswith("/ready.js"):
            return 200, {"Content-Type": "text/javascript"}, b"document.body.dataset.ready='1';"
        if path.startswith("/page"):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, (PAGE % svg).encode()
        return 404, {"Content-Type": "text/plain"}, b"not here"

    return fetch


def square_svg(width: int = 560, height: int = 300) -> str:
    shape = shapely.box(106.9, 16.9, 107.1, 17.1)
    view = fit_view(shape.bounds, width, height)
    layers = MapLayers([Feature(1, shape, "#a6d96a", label="Vĩnh Linh")], shape)
    return render_svg(view, layers)


def test_paper_sizes():
    a4 = paper_size("A4", "landscape", 300)
    assert (a4.width_px, a4.height_px) == (1122, 793)
    assert a4.image_size == (3506, 2478)  # 297 x 210 mm at 300 dpi, to the pixel
    a3 = paper_size("A3", "portrait")
    assert a3.width_px < a3.height_px and a3.scale == 1
    with pytest.raises(RenderError, match="A4 hoặc A3"):
        paper_size("Letter")
    with pytest.raises(RenderError, match="72–600"):
        paper_size("A4", "landscape", 2000)


def test_svg_fits_the_box_and_has_scale_and_north():
    svg = square_svg()
    assert svg.count("<path") >= 3  # commune, outline, north arrow
    assert "Vĩnh Linh" in svg and "scale-bar" in svg and "north-arrow" in svg
    view = fit_view((106.9, 16.9, 107.1, 17.1), 560, 300)
    corners = view.to_px(np.array([[106.9, 17.1], [107.1, 16.9]]))
    assert corners.min() >= 15.9 and corners[:, 1].max() <= 300 - 15.9
    assert 30 < view.metres_per_px * 10 < 1000  # about 21 km across 268 px
    assert nice_length_m(3700) == 2000 and nice_length_m(999) == 500


def test_hostile_label_is_escaped():
    shape = shapely.box(0, 0, 1, 1)
    svg = render_svg(
        fit_view(shape.bounds, 200, 200),
        MapLayers([Feature(1, shape, "#fff", label="<script>x</script>")]),
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_tiles_cover_the_view():
    view = fit_view((106.5, 16.0, 107.5, 17.5), 800, 600)
    tiles = tiles_for(view, "https://{s}.tile.example/{z}/{x}/{y}.png")
    assert tiles and all("{" not in t.url for t in tiles)
    assert min(t.left_px for t in tiles) <= 0 and max(t.left_px + t.size_px for t in tiles) >= 800


@pytest.mark.browser
def test_png_and_pdf_render_and_block_the_internet():
    if not shutil.which("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is not installed")
    from PIL import Image

    renderer = Renderer()
    try:
        png = renderer.png("/page", fetch_for(square_svg()), PageSize(600, 400, 2.0))
        pdf = renderer.pdf("/page", fetch_for(square_svg()), "A4", True)
    finally:
        renderer.close()
    image = Image.open(io.BytesIO(png.body)).convert("RGB")
    assert image.size == (1200, 800)
    pixels = np.asarray(image)
    green = (pixels[:, :, 1] > 180) & (pixels[:, :, 0] < 200) & (pixels[:, :, 2] < 140)
    assert green.sum() > 5000, "the commune's fill is missing from the picture"
    assert any("openstreetmap" in url for url in png.blocked), "the tile request was not blocked"
    assert pdf.body.startswith(b"%PDF") and pdf.pages == 1


def test_renderer_refuses_another_thread():
    renderer = Renderer()
    errors = []
    thread = threading.Thread(target=lambda: errors.append(_try(renderer.close)))
    thread.start()
    thread.join()
    assert isinstance(errors[0], RuntimeError)


def _try(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - returned for the assertion
        return exc
    return None
