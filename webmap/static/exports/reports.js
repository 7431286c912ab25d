/* The reports page: start a PDF export job, show its progress, download when done. */
(function () {
  "use strict";
  var button = document.getElementById("report-pdf"), status = document.getElementById("report-status");
  if (!button) return;
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  function poll(job) {
    return fetch("/api/exports/" + encodeURIComponent(job.id), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
      if (j.status === "done") { status.textContent = "Xong."; window.location.href = "/api/exports/" + encodeURIComponent(j.id) + "/file"; return; }
      if (j.status === "failed" || j.status === "cancelled") { status.textContent = j.error || "Xuất thất bại."; return; }
      status.textContent = j.status === "queued" ? "Đang chờ đến lượt (máy xuất tệp đang bận)…"
        : "Đang xuất… " + Math.round((j.progress || 0) * 100) + "%";
      setTimeout(function () { poll(j); }, 400);
    });
  }
  button.addEventListener("click", function () {
    status.textContent = "Đang xếp hàng…";
    fetch("/api/exports", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ kind: "report", query: button.dataset.query }),
    }).then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; }); })
      .then(poll).catch(function (e) { status.textContent = e.message; });
  });
})();
