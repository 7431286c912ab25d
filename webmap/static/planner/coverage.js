/* Coverage of a period on the planner map: period pickers (month, quarter, half-year, year, any
   dates), the per-commune table with details (former units included), the priority list's totals,
   the gaps, the Excel export, and two themes: "Độ phủ trong kỳ báo cáo" and "Khoảng trống".
   Data: /api/coverage (computed in the database). The period is kept in the URL as "cov". */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text, esc = NTM.esc;
  var $ = function (id) { return document.getElementById(id); };
  var KINDS = ["month", "quarter", "half", "year", "range"];
  var NUMBERS = { month: 12, quarter: 4, half: 2, year: 0, range: 0 };
  var COVER_BINS = [[0, 0, "#fee0d2"], [1, 1, "#c6dbef"], [2, 3, "#6baed6"], [4, 6, "#2171b5"], [7, Infinity, "#08306b"]];
  var GAP_CLASSES = [["no_activity", "#d7191c"], ["waiting", "#fdae61"], ["crowded", "#2c7bb6"], ["unmet_open", "#ffffbf"], ["none", "#e0e0e0"]];
  var app = null, data = null, byId = {}, gapOf = {}, seq = 0, expanded = {};

  /* ---- the period -------------------------------------------------------------------------- */
  function lastQuarter(today) {
    var q = Math.floor(today.getMonth() / 3);
    return q === 0 ? "quarter:" + (today.getFullYear() - 1) + ":4" : "quarter:" + today.getFullYear() + ":" + q;
  }
  function periodParams(cov) {
    var p = cov.split(":");
    if (p[0] === "range") return { start: p[1], end: p[2] };
    return { kind: p[0], year: p[1], number: p[2] || 1 };
  }
  function readForm() {
    var kind = $("cov-kind").value;
    if (kind === "range") {
      var from = NTM.parseDate($("cov-from").value), to = NTM.parseDate($("cov-to").value);
      if (!from || !to) throw new Error(T.bad_date);
      return "range:" + from + ":" + to;
    }
    var year = parseInt($("cov-year").value, 10);
    if (!(year >= 1900 && year <= 2100)) throw new Error(T.cover_year + ": " + $("cov-year").value);
    return kind + ":" + year + (NUMBERS[kind] ? ":" + $("cov-number").value : "");
  }
  function fillForm(cov) {
    var p = cov.split(":");
    $("cov-kind").value = p[0];
    if (p[0] === "range") { $("cov-from").value = NTM.date(p[1]); $("cov-to").value = NTM.date(p[2]); }
    else $("cov-year").value = p[1];
    fillNumbers(p[2]);
  }
  function fillNumbers(value) {
    var kind = $("cov-kind").value, select = $("cov-number");
    select.innerHTML = "";
    for (var i = 1; i <= NUMBERS[kind]; i++) NTM.option(select, String(i), String(i));
    if (value) select.value = value;
    select.parentNode.hidden = !NUMBERS[kind];
    $("cov-year").parentNode.hidden = kind === "range";
    $("cov-range").hidden = kind !== "range";
  }

  /* ---- the panel ----------------------------------------------------------------------------- */
  function renderForm() {
    var html = "<h3>" + esc(T.cover_title) + "</h3>";
    html += '<form id="cov-form" class="stack"><div class="row two"><label>' + esc(T.cover_kind) + ' <select id="cov-kind">' +
      KINDS.map(function (k) { return '<option value="' + k + '">' + esc(T["kind_p_" + k]) + "</option>"; }).join("") + "</select></label>" +
      "<label>" + esc(T.cover_year) + ' <input type="number" id="cov-year" min="1900" max="2100"></label></div>' +
      '<div class="row two"><label>' + esc(T.cover_number) + ' <select id="cov-number"></select></label><span></span></div>' +
      '<div class="row two" id="cov-range" hidden><label>' + esc(T.from) + ' <input type="text" class="date" id="cov-from" placeholder="dd/mm/yyyy" maxlength="10"></label>' +
      "<label>" + esc(T.to) + ' <input type="text" class="date" id="cov-to" placeholder="dd/mm/yyyy" maxlength="10"></label></div>' +
      '<div class="list-tools"><button type="submit" id="cov-show">' + esc(T.cover_show) + '</button><button type="button" class="secondary" id="cov-last-quarter">' +
      esc(T.cover_last_quarter) + "</button></div></form>";
    html += '<p id="cov-flash" class="flash" hidden></p><div id="cov-body"></div>';
    $("cover-panel").innerHTML = html;
    $("cov-kind").addEventListener("change", function () { fillNumbers(); });
    $("cov-form").addEventListener("submit", function (e) {
      e.preventDefault();
      try { load(readForm()); } catch (err) { flash(err.message, true); }
    });
    $("cov-last-quarter").addEventListener("click", function () { var c = lastQuarter(new Date()); fillForm(c); load(c); });
    $("cover-panel").addEventListener("click", function (e) {
      var link = e.target.closest("a.commune-link");
      if (link) { e.preventDefault(); app.select(Number(link.dataset.id), true); NTM.showTab("cover"); return; }
      var tr = e.target.closest("tr[data-id]");
      if (tr && tr.closest("#cov-communes")) { expanded[tr.dataset.id] = !expanded[tr.dataset.id]; renderCommunes(); }
    });
  }
  function flash(message, isError) {
    var box = $("cov-flash");
    box.className = "flash" + (isError ? " error" : "");
    box.textContent = message;
    box.hidden = !message;
  }
  function money(v) { return v === null || v === undefined ? esc(T.no_data) : NTM.number(v) + " đ"; }
  function link(id, name) { return '<a href="#" class="commune-link" data-id="' + id + '">' + esc(name) + "</a>"; }
  function nameOf(id) { return byId[id] ? byId[id].name : String(id); }
  function days(v) { return v === null || v === undefined ? esc(T.cover_never) : NTM.number(v); }
  function quantities(list) {
    if (!list.length) return esc(T.gap_none);
    return list.map(function (q) {
      return esc(q.type_name) + ": " + (q.quantity === null ? esc(T.no_data) : NTM.number(q.quantity, q.quantity % 1 ? 1 : 0) + " " + esc(q.unit_of_measure)) +
        " <small>(" + q.activities + " " + esc(T.activities_count) + ")</small>";
    }).join("<br>");
  }
  function criteria(list) {
    return list.length ? list.map(function (c) { return esc(c.code + " " + c.name); }).join("; ") : esc(T.gap_none);
  }
  function figures(f) {
    return "<dl><dt>" + esc(T.cover_col_acts) + "</dt><dd>" + NTM.number(f.activities) + "</dd><dt>" + esc(T.cover_col_people) + "</dt><dd>" +
      NTM.number(f.participants) + "</dd><dt>" + esc(T.cover_col_workdays) + "</dt><dd>" + NTM.number(f.workdays, 1) + "</dd><dt>" +
      esc(T.cover_col_money) + "</dt><dd>" + money(f.funds_vnd) + "</dd><dt>" + esc(T.cover_col_days) + "</dt><dd>" + days(f.days_since_last) +
      (f.last_activity_date ? " <small>(" + NTM.date(f.last_activity_date) + ")</small>" : "") + "</dd><dt>" + esc(T.cover_quantities) + "</dt><dd>" +
      quantities(f.quantities) + "</dd><dt>" + esc(T.cover_criteria) + "</dt><dd>" + criteria(f.criteria) + "</dd></dl>";
  }
  function table(id, head, rows) {
    if (!rows.length) return '<p class="muted">' + esc(T.gap_none) + "</p>";
    return '<table class="rank-table" id="' + id + '"><thead><tr>' + head.map(function (h) { return "<th>" + esc(h) + "</th>"; }).join("") +
      "</tr></thead><tbody>" + rows.join("") + "</tbody></table>";
  }
  function render() {
    var list = NTM.lists.current(), g = data.gaps, html = "";
    var q = periodParams(app.state.cov);
    if (list) q.list = list.id;
    html += '<p><b>' + esc(data.period.label) + "</b> (" + NTM.date(data.period.start) + " – " + NTM.date(data.period.end) + ') · <a id="cov-export" href="/api/coverage.xlsx' +
      esc(NTM.query(q)) + '">' + esc(T.cover_export) + "</a></p>";
    if (data.list && list) html += "<h3>" + esc(T.cover_list_totals) + ": " + esc(list.name) + "</h3>" + figures(data.list);
    html += '<h3 id="cov-gaps-title">' + esc(T.cover_gaps) + "</h3>";
    html += "<h4>" + esc(T.gap_no_activity) + "</h4>";
    html += list ? table("gap-no-activity", [T.rank_col_commune, T.cover_col_days], g.no_activity.map(function (id) {
      return "<tr><td>" + link(id, nameOf(id)) + '</td><td class="num">' + days(byId[id] && byId[id].days_since_last) + "</td></tr>";
    })) : '<p class="muted">' + esc(T.gap_no_activity_need_list) + "</p>";
    html += "<h4>" + esc(T.gap_unmet) + "</h4>" + table("gap-unmet", [T.rank_col_commune, T.criterion, T.cover_assessed], g.unmet_not_addressed.map(function (u) {
      return "<tr><td>" + link(u.unit_id, u.unit_name) + "</td><td>" + esc(u.criterion_code + " " + u.criterion_name) + "</td><td>" + NTM.date(u.assessed_on) + "</td></tr>";
    }));
    html += '<p class="muted">' + esc(T.cover_mean.replace("{n}", NTM.number(g.mean_activities, 1))) + "</p>";
    if (g.imbalance) html += '<p class="flash error">' + esc(T.gap_imbalance) + "</p>";
    html += "<h4>" + esc(T.gap_crowded) + "</h4>" + table("gap-crowded", [T.rank_col_commune, T.cover_col_acts], g.crowded.map(function (id) {
      return "<tr><td>" + link(id, nameOf(id)) + '</td><td class="num">' + NTM.number(byId[id] ? byId[id].activities : 0) + "</td></tr>";
    }));
    html += "<h4>" + esc(T.gap_waiting) + "</h4>" + table("gap-waiting", [T.rank_col_commune, T.cover_col_days], g.waiting.map(function (id) {
      return "<tr><td>" + link(id, nameOf(id)) + '</td><td class="num">' + days(byId[id] && byId[id].days_since_last) + "</td></tr>";
    }));
    html += "<h3>" + esc(T.rank_col_commune) + '</h3><div id="cov-communes"></div>';
    $("cov-body").innerHTML = html;
    renderCommunes();
  }
  function renderCommunes() {
    var rows = data.communes.slice().sort(function (a, b) { return b.activities - a.activities || (a.name < b.name ? -1 : 1); });
    $("cov-communes").innerHTML = table("cov-table", [T.rank_col_commune, T.cover_col_acts, T.cover_col_people, T.cover_col_workdays, T.cover_col_money, T.cover_col_days],
      rows.map(function (c) {
        var old = c.via_old_units.length ? ' <span class="tag" title="' + esc(T.cover_old_units) + '">↶ ' + c.via_old_units.length + "</span>" : "";
        var row = '<tr data-id="' + c.unit_id + '"><td>' + link(c.unit_id, c.name) + old + '</td><td class="num">' + NTM.number(c.activities) + '</td><td class="num">' +
          NTM.number(c.participants) + '</td><td class="num">' + NTM.number(c.workdays, 1) + '</td><td class="num">' + NTM.number(c.funds_vnd) +
          '</td><td class="num">' + days(c.days_since_last) + "</td></tr>";
        if (!expanded[c.unit_id]) return row;
        var olds = c.via_old_units.length ? "<p><b>" + esc(T.cover_old_units) + ":</b> " + c.via_old_units.map(function (n) {
          return esc(n.name) + " (" + n.activities + ")" + (n.label ? " <small>" + esc(n.label) + "</small>" : "");
        }).join("; ") + "</p>" : "";
        return row + '<tr class="rank-detail"><td colspan="6">' + figures(c) + olds + "</td></tr>";
      }));
  }

  /* ---- themes ---------------------------------------------------------------------------------- */
  function themes() {
    var sub = data.period.label, cover = {}, gap = {}, g = data.gaps;
    data.communes.forEach(function (c) {
      var i = COVER_BINS.findIndex(function (b) { return c.activities >= b[0] && c.activities <= b[1]; });
      cover[c.unit_id] = "a" + i;
    });
    var unmetIds = new Set(g.unmet_not_addressed.map(function (u) { return u.unit_id; }));
    gapOf = {};
    data.communes.forEach(function (c) {
      var id = c.unit_id;
      gapOf[id] = g.no_activity.indexOf(id) >= 0 ? "no_activity" : g.waiting.indexOf(id) >= 0 ? "waiting"
        : g.crowded.indexOf(id) >= 0 ? "crowded" : unmetIds.has(id) ? "unmet_open" : "none";
    });
    app.setTheme("cover", { theme: "cover", kind: "sequential", subtitle: sub, assign: cover, classes: COVER_BINS.map(function (b, i) {
      var label = b[1] === 0 ? T.cover_class_zero : b[1] === Infinity ? "≥ " + b[0] : b[0] === b[1] ? String(b[0]) : b[0] + "–" + b[1];
      return { key: "a" + i, color: b[2], label: label };
    }) });
    var labels = { no_activity: T.gap_no_activity, waiting: T.gap_waiting, crowded: T.gap_crowded, unmet_open: T.gap_unmet, none: T.gap_other };
    app.setTheme("gap", { theme: "gap", kind: "categorical", subtitle: sub, assign: gapOf,
      note: NTM.lists.current() ? "" : T.gap_no_activity_need_list,
      classes: GAP_CLASSES.map(function (c) { return { key: c[0], color: c[1], label: labels[c[0]] }; }) });
  }

  /* ---- loading --------------------------------------------------------------------------------- */
  function load(cov) {
    cov = cov || app.state.cov || lastQuarter(new Date());
    app.state.cov = cov;
    app.saveState();
    if (!$("cov-form")) renderForm();
    fillForm(cov);
    flash("");
    var mine = ++seq, list = NTM.lists.current(), params = periodParams(cov);
    if (list) params.list = list.id;
    $("cov-body").innerHTML = '<p class="placeholder">' + esc(T.loading_data) + "</p>";
    return NTM.request("/api/coverage" + NTM.query(params)).then(function (result) {
      if (mine !== seq) return;
      data = result;
      byId = {};
      data.communes.forEach(function (c) { byId[c.unit_id] = c; });
      themes();
      render();
      window.ntmCoverageReady = (window.ntmCoverageReady || 0) + 1;
    }, function (err) { if (mine === seq) { $("cov-body").innerHTML = ""; flash(err.message, true); } });
  }
  NTM.coverage = {
    load: load,
    tooltip: function (id, themeName) {
      if ((themeName !== "cover" && themeName !== "gap") || !byId[id]) return "";
      var c = byId[id];
      return "<br><small>" + esc(data.period.label) + ": " + NTM.number(c.activities) + " " + esc(T.activities_count) + " · " +
        esc(T.cover_col_days) + " " + days(c.days_since_last) + "</small>";
    },
  };

  function start() {
    app = NTM.app;
    renderForm();
    fillForm(app.state.cov || lastQuarter(new Date()));
    var wanted = function (name) { return name === "cover" || name === "gap"; };
    var loaded = false;
    function ensure() { if (!loaded) { loaded = true; load(); } }
    document.addEventListener("ntm:tab", function (e) { if (e.detail === "cover") ensure(); });
    $("theme").addEventListener("change", function () { if (wanted(this.value)) ensure(); });
    /* the list decides the priority communes: reload when it changes */
    document.addEventListener("ntm:list", function () { if (loaded) load(); });
    if (wanted(app.state.theme) || app.state.tab === "cover" || app.state.cov) ensure();
  }
  if (window.ntmReady) start();
  else document.addEventListener("ntm:ready", start, { once: true });
})();
