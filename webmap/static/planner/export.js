/* Export dialog of the planner map: a snapshot (PNG at screen size or print size, PDF on A4/A3)
   or a meeting pack of the current view. The server renders the view of this URL (theme,
   filters, period, list) and the map's extent; the dialog polls the job and downloads the file. */
(function () {
  "use strict";
  var open = document.getElementById("export-open");
  if (!open) return;
  var vi = (document.documentElement.lang || "vi") !== "en";
  var W = vi
    ? { title: "Xuất bản đồ", name: "Tiêu đề", format: "Định dạng", png_screen: "Ảnh PNG (cỡ màn hình)", png_print: "Ảnh PNG để in (300 dpi)",
        pdf: "PDF (vector)", pack: "Tập tài liệu họp (PDF: bìa, từng xã ưu tiên, bảng tổng hợp)", paper: "Khổ giấy", orientation: "Hướng",
        landscape: "Ngang", portrait: "Dọc", start: "Xuất", close: "Đóng", queued: "Đang xếp hàng…", working: "Đang xuất…",
        waiting: "Đang chờ đến lượt (máy xuất tệp đang bận)…", cancel: "Huỷ lượt xuất", cancelled: "Đã huỷ lượt xuất.", retry: "lần thử",
        done: "Xong. Nếu tệp chưa tự tải về, bấm: ", failed: "Xuất thất bại: ", download: "Tải tệp", need_list: "Hãy chọn một danh sách ưu tiên (hoặc lọc theo huyện cũ hay sở đỡ đầu) trước khi xuất tập tài liệu họp.",
        default_title: "Bản đồ phong trào Ngày thứ 7 vì nông thôn mới" }
    : { title: "Export the map", name: "Title", format: "Format", png_screen: "PNG (screen size)", png_print: "PNG for print (300 dpi)",
        pdf: "PDF (vector)", pack: "Meeting pack (PDF: cover, each priority commune, summary)", paper: "Paper", orientation: "Orientation",
        landscape: "Landscape", portrait: "Portrait", start: "Export", close: "Close", queued: "Queued…", working: "Exporting…",
        waiting: "Waiting for its turn (the export worker is busy)…", cancel: "Cancel export", cancelled: "Export cancelled.", retry: "attempt",
        done: "Done. If the file did not download, click: ", failed: "Export failed: ", download: "Download", need_list: "Choose a priority list (or filter by former district or sponsoring department) before exporting a meeting pack.",
        default_title: "Map of the Saturday for new countryside movement" };
  var dialog = null;
  var current = null;  // the job being waited for

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }
  function select(id, options) {
    var s = el("select", { id: id });
    options.forEach(function (o) { var opt = el("option", { value: o[0] }, o[1]); s.appendChild(opt); });
    return s;
  }
  function labelled(text, control) { var l = el("label", { class: "row" }, text + " "); l.appendChild(control); return l; }

  function build() {
    dialog = el("dialog", { id: "export-dialog", "aria-labelledby": "export-title" });
    var form = el("form", { method: "dialog", class: "stack" });
    form.appendChild(el("h2", { id: "export-title" }, W.title));
    var title = el("input", { id: "export-name", maxlength: "200" });
    title.value = W.default_title;
    form.appendChild(labelled(W.name, title));
    form.appendChild(labelled(W.format, select("export-format", [["png-screen", W.png_screen], ["png-print", W.png_print], ["pdf", W.pdf], ["pack", W.pack]])));
    form.appendChild(labelled(W.paper, select("export-paper", [["A4", "A4"], ["A3", "A3"]])));
    form.appendChild(labelled(W.orientation, select("export-orientation", [["landscape", W.landscape], ["portrait", W.portrait]])));
    var status = el("p", { id: "export-status", role: "status", "aria-live": "polite" });
    var progress = el("progress", { id: "export-progress", max: "100", value: "0" });
    progress.hidden = true;
    var go = el("button", { type: "button", id: "export-start" }, W.start);
    var close = el("button", { type: "button", id: "export-close" }, W.close);
    var cancel = el("button", { type: "button", id: "export-cancel" }, W.cancel);
    cancel.hidden = true;
    form.appendChild(progress); form.appendChild(status); form.appendChild(go); form.appendChild(cancel); form.appendChild(close);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    close.addEventListener("click", function () { dialog.close(); });
    go.addEventListener("click", start);
    cancel.addEventListener("click", stop);
  }

  function stop() {
    if (!current) return;
    window.NTM.request("/api/exports/" + encodeURIComponent(current.id) + "/cancel", { body: {} })
      .then(function () { current = null; document.getElementById("export-cancel").hidden = true; show(W.cancelled, null); })
      .catch(fail);
  }

  function extentQuery() {
    var params = new URLSearchParams(window.location.search);
    var app = window.NTM && window.NTM.app;
    if (app && app.map) {
      var b = app.map.getBounds();
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
    }
    ["from", "to"].forEach(function (k) {
      var v = params.get(k);
      if (!v && app && app.attrs) params.set(k, app.attrs.period[k]);
    });
    return params.toString();
  }

  function show(text, value) {
    document.getElementById("export-status").textContent = text;
    var bar = document.getElementById("export-progress");
    bar.hidden = value === null;
    if (value !== null) bar.value = Math.round(value * 100);
  }

  function download(job) {
    var url = "/api/exports/" + encodeURIComponent(job.id) + "/file";
    var status = document.getElementById("export-status");
    status.textContent = W.done;
    var link = el("a", { href: url, id: "export-download", download: job.filename || "" }, W.download);
    status.appendChild(link);
    link.click();
  }

  function poll(job) {
    current = job;
    document.getElementById("export-cancel").hidden = false;
    return window.NTM.request("/api/exports/" + encodeURIComponent(job.id)).then(function (j) {
      if (!current || current.id !== j.id) return;  // cancelled, or another export started
      var ended = j.status === "done" || j.status === "failed" || j.status === "cancelled";
      if (ended) { current = null; document.getElementById("export-cancel").hidden = true; }
      if (j.status === "done") { show("", 1); download(j); return; }
      if (j.status === "failed") { show(W.failed + (j.error || ""), null); return; }
      if (j.status === "cancelled") { show(W.cancelled, null); return; }
      if (j.status === "queued") show(W.waiting, 0);
      else show(W.working + " " + (j.message || "") + " (" + j.done + "/" + j.total + ")" +
                (j.attempts > 1 ? " – " + W.retry + " " + j.attempts : ""), j.progress);
      setTimeout(function () { poll(j).catch(fail); }, 600);
    });
  }
  function fail(err) { show(W.failed + (err.message || String(err)), null); }

  function start() {
    var format = document.getElementById("export-format").value;
    var query = extentQuery();
    var params = new URLSearchParams(query);
    if (format === "pack" && !params.get("list") && !params.get("dist") && !params.get("dept")) { show(W.need_list, null); return; }
    var body = {
      kind: format.indexOf("png") === 0 ? "png" : format,
      size: format === "png-screen" ? "screen" : "print",
      width: window.innerWidth, height: window.innerHeight, dpi: 300,
      title: document.getElementById("export-name").value,
      paper: document.getElementById("export-paper").value,
      orientation: document.getElementById("export-orientation").value,
      query: query,
    };
    show(W.queued, 0);
    window.NTM.request("/api/exports", { body: body })
      .then(poll).catch(fail);
  }

  open.addEventListener("click", function () {
    if (!dialog) build();
    show("", null);
    dialog.showModal();
  });
})();
