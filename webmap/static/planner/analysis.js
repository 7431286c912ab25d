/* Priority ranking on the planner map: weight sliders, the ranked table with each factor's
   contribution, the "Điểm ưu tiên" theme, and "add the top N" to the current priority list.
   /api/ranking returns every factor's value (0–1, or null when the data is missing) per commune;
   the score for any weights is Σ weight × value over the known values, computed here, so moving
   a slider re-ranks and recolours without asking the server. Also: the analysis tabs. */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text, esc = NTM.esc;
  var $ = function (id) { return document.getElementById(id); };
  var COLORS = { difficulty: "#8c510a", unmet_criteria: "#d73027", close_to_standard: "#fc8d59",
    registered: "#4575b4", days_since_activity: "#91bfdb", no_sponsor: "#762a83" };
  var CLASS_COLORS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  var WEIGHT_MAX = 10;
  var app = null, data = null, factors = [], defaults = {}, weights = {}, rows = [], byId = {};
  var timer = null, loading = null;

  /* ---- tabs: the analysis tabs widen the panel; the open tab is kept in the URL ------------ */
  var baseShowTab = NTM.showTab;
  NTM.showTab = function (name) {
    baseShowTab(name);
    var wide = ["rank", "cover", "sponsor"].indexOf(name) >= 0;
    var layout = document.querySelector(".layout");
    if (layout.classList.contains("wide-panel") !== wide) {
      layout.classList.toggle("wide-panel", wide);
      if (NTM.app && NTM.app.map) NTM.app.map.invalidateSize();
    }
    if (NTM.app && NTM.app.state) {
      NTM.app.state.tab = name === "commune" ? "" : name;
      NTM.app.saveState();
    }
    document.dispatchEvent(new CustomEvent("ntm:tab", { detail: name }));
  };

  /* ---- weights in the URL: "w=3,2,2,2,1,1" in the factors' order ----------------------------- */
  function readWeights() {
    var parts = (app.state.w || "").split(",");
    factors.forEach(function (f, i) {
      var v = Number(parts[i]);
      weights[f] = parts[i] !== undefined && parts[i] !== "" && isFinite(v) && v >= 0 ? Math.min(v, WEIGHT_MAX) : defaults[f];
    });
  }
  function writeWeights() {
    var same = factors.every(function (f) { return weights[f] === defaults[f]; });
    app.state.w = same ? "" : factors.map(function (f) { return weights[f]; }).join(",");
    app.saveState();
  }

  /* ---- score, rank, classes ----------------------------------------------------------------- */
  function total() { return factors.reduce(function (s, f) { return s + weights[f]; }, 0); }
  function compute() {
    var sum = total();
    rows = data.communes.map(function (c) {
      var score = 0, known = 0, parts = [];
      c.contributions.forEach(function (x) {
        var w = weights[x.factor];
        var points = x.value === null ? null : w * x.value;
        if (points !== null) { score += points; known += w; }
        parts.push({ factor: x.factor, label: T["factor_" + x.factor] || x.label, value: x.value, detail: x.detail, weight: w, points: points });
      });
      return { unit_id: c.unit_id, name: c.name, score: score, completeness: sum ? known / sum : 1, parts: parts };
    });
    rows.sort(function (a, b) {
      return b.score - a.score || b.completeness - a.completeness || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
    byId = {};
    rows.forEach(function (r, i) { r.rank = i + 1; byId[r.unit_id] = r; });
  }
  function theme() {
    var max = total(), step = max / CLASS_COLORS.length, assign = {};
    var classes = CLASS_COLORS.map(function (color, i) {
      var low = step * i, high = step * (i + 1);
      return { key: "p" + i, color: color, label: T.rank_score_class.replace("{low}", NTM.number(low, 1)).replace("{high}", NTM.number(high, 1)) };
    }).reverse();
    rows.forEach(function (r) {
      var i = step > 0 ? Math.min(CLASS_COLORS.length - 1, Math.floor(r.score / step)) : 0;
      assign[r.unit_id] = "p" + i;
    });
    return { theme: "priority", kind: "sequential", classes: classes, assign: assign,
      note: T.rank_max_note.replace("{max}", NTM.number(max, 1)) };
  }
  function update() {
    compute();
    app.setTheme("priority", theme());
    renderTable();
    window.ntmRankRenderCount = (window.ntmRankRenderCount || 0) + 1;
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { writeWeights(); update(); }, 60);
  }

  /* ---- the panel --------------------------------------------------------------------------- */
  function renderControls() {
    var html = "<h3>" + esc(T.rank_title) + "</h3>";
    html += '<p id="rank-flash" class="flash" hidden></p>';
    html += '<details id="rank-weights" open><summary>' + esc(T.rank_weights) + ' <button type="button" id="rank-reset" class="link">' + esc(T.rank_reset) + "</button></summary>";
    factors.forEach(function (f) {
      var label = T["factor_" + f] || data.labels[f] || f;
      html += '<div class="weight" data-factor="' + esc(f) + '"><label for="w-' + esc(f) + '"><span class="key" style="background:' + COLORS[f] + '"></span>' + esc(label) + "</label>" +
        '<input type="range" id="w-' + esc(f) + '" min="0" max="' + WEIGHT_MAX + '" step="0.5" value="' + weights[f] + '" aria-label="' + esc(label) + '">' +
        '<input type="number" id="wn-' + esc(f) + '" min="0" max="' + WEIGHT_MAX + '" step="0.5" value="' + weights[f] + '" aria-label="' + esc(label) + '">' +
        '<small class="why">' + esc(T["why_" + f] || "") + " (" + esc(T.rank_default) + ": " + NTM.number(defaults[f], 1) + ")</small></div>";
    });
    html += "</details>";
    html += '<p class="note">' + esc(T.rank_missing_rule) + "</p>";
    html += '<div class="list-tools"><label>' + esc(T.rank_top_n) + ' <input type="number" id="rank-top-n" min="1" max="200" value="5"></label>' +
      '<button type="button" id="rank-add-top"></button></div>';
    html += '<div class="list-tools"><label>' + esc(T.rank_add_above) + ' <input type="number" id="rank-min-score" min="0" step="0.5" value="6"></label>' +
      '<button type="button" id="rank-add-above" class="secondary">' + esc(T.rank_add_above_button) + "</button></div>";
    html += '<table class="rank-table"><thead><tr><th>' + esc(T.rank_col_rank) + "</th><th>" + esc(T.rank_col_commune) + "</th><th>" +
      esc(T.rank_col_score) + "</th><th>" + esc(T.rank_col_factors) + "</th><th>" + esc(T.rank_col_complete) + '</th></tr></thead><tbody id="rank-body"></tbody></table>';
    $("rank-panel").innerHTML = html;
    bindControls();
    topLabel();
  }
  function topLabel() {
    var n = Math.max(1, parseInt($("rank-top-n").value, 10) || 5);
    $("rank-add-top").textContent = T.rank_add_top.replace("{n}", n);
  }
  function bindControls() {
    factors.forEach(function (f) {
      var range = $("w-" + f), number = $("wn-" + f);
      function set(value, from) {
        var v = Number(String(value).replace(",", "."));
        if (!isFinite(v) || v < 0) return;
        weights[f] = Math.min(v, WEIGHT_MAX);
        if (from !== range) range.value = weights[f];
        if (from !== number) number.value = weights[f];
        schedule();
      }
      range.addEventListener("input", function () { set(range.value, range); });
      number.addEventListener("input", function () { set(number.value, number); });
    });
    $("rank-reset").addEventListener("click", function (e) {
      e.preventDefault();
      factors.forEach(function (f) { weights[f] = defaults[f]; $("w-" + f).value = weights[f]; $("wn-" + f).value = weights[f]; });
      schedule();
    });
    $("rank-top-n").addEventListener("input", topLabel);
    $("rank-add-top").addEventListener("click", function () {
      addToList({ top: Math.max(1, parseInt($("rank-top-n").value, 10) || 5) });
    });
    $("rank-add-above").addEventListener("click", function () {
      addToList({ min_score: Number(String($("rank-min-score").value).replace(",", ".")) || 0 });
    });
  }
  function bar(row) {
    var max = total() || 1, html = '<span class="stack-bar" role="img" aria-label="' + esc(T.rank_col_factors) + '">';
    row.parts.forEach(function (p) {
      if (p.points) html += '<span style="width:' + (100 * p.points / max).toFixed(1) + "%;background:" + COLORS[p.factor] + '" title="' + esc(p.label + ": " + NTM.number(p.points, 2)) + '"></span>';
    });
    html += "</span>";
    var missing = row.parts.filter(function (p) { return p.value === null; });
    if (missing.length) {
      html += '<span class="status no_data" title="' + esc(T.rank_missing_rule) + '">' + esc(T.rank_missing) + ": " +
        esc(missing.map(function (p) { return p.label; }).join(", ")) + "</span>";
    }
    return html;
  }
  function detail(row) {
    return '<tr class="rank-detail"><td></td><td colspan="4"><ul class="plain">' + row.parts.map(function (p) {
      var pts = p.points === null ? '<span class="status no_data">' + esc(T.rank_missing) + "</span>" : "<b>" + NTM.number(p.points, 2) + "</b>";
      return '<li><span class="key" style="background:' + COLORS[p.factor] + '"></span>' + esc(p.label) + ": " + pts +
        " <small>(" + esc(T.rank_weight) + " " + NTM.number(p.weight, 1) + " × " +
        (p.value === null ? "?" : NTM.number(p.value, 2)) + ") · " + esc(p.detail) + "</small></li>";
    }).join("") + "</ul></td></tr>";
  }
  var open = {};
  function renderTable() {
    var body = $("rank-body");
    if (!body) return;
    body.innerHTML = rows.map(function (r) {
      var inList = app.listIds.has(r.unit_id) ? ' <span title="' + esc(T.in_list) + '">★</span>' : "";
      return '<tr data-id="' + r.unit_id + '" tabindex="0" aria-expanded="' + !!open[r.unit_id] + '"><td>' + r.rank + '</td><td><a href="#" class="commune-link">' + esc(r.name) + "</a>" + inList +
        '</td><td class="num">' + NTM.number(r.score, 2) + "</td><td>" + bar(r) + '</td><td class="num">' +
        NTM.number(100 * r.completeness, 0) + "%</td></tr>" + (open[r.unit_id] ? detail(r) : "");
    }).join("");
  }
  function bindTable() {
    $("rank-panel").addEventListener("click", function (e) {
      var tr = e.target.closest("tr[data-id]");
      if (!tr) return;
      var id = Number(tr.dataset.id);
      if (e.target.classList.contains("commune-link")) { e.preventDefault(); app.select(id, true); NTM.showTab("rank"); return; }
      open[id] = !open[id];
      renderTable();
    });
    $("rank-panel").addEventListener("keydown", function (e) {
      var tr = e.target.closest && e.target.closest("tr[data-id]");
      if (!tr || e.target !== tr || (e.key !== "Enter" && e.key !== " ")) return;
      e.preventDefault();
      var id = tr.dataset.id;
      open[id] = !open[id];
      renderTable();
      var again = document.querySelector('#rank-body tr[data-id="' + id + '"]');
      if (again) again.focus();
    });
  }
  function flash(message, isError) {
    var box = $("rank-flash");
    box.className = "flash" + (isError ? " error" : "");
    box.textContent = message;
    box.hidden = false;
  }
  function addToList(choice) {
    var list = NTM.lists.current();
    if (!list) { flash(T.choose_list_first, true); return Promise.resolve(); }
    var body = Object.assign({ weights: weights, version: list.version, day: data.day, reason: T.rank_title }, choice);
    return NTM.request("/api/ranking/to-priority-list/" + list.id, { body: body }).then(function (result) {
      var text = T.rank_added.replace("{n}", result.added.length).replace("{list}", list.name);
      if (result.skipped && result.skipped.length) text += " · " + T.skipped_n.replace("{n}", result.skipped.length);
      flash(text);
      return NTM.lists.reload().then(renderTable);
    }, function (err) {
      flash(err.message, true);
      if (err.status === 409) return NTM.lists.reload();
    });
  }

  /* ---- loading ------------------------------------------------------------------------------ */
  function load() {
    if (!loading) {
      loading = NTM.request("/api/ranking").then(function (result) {
        data = result;
        factors = Object.keys(result.weights);
        if (result.communes.length) factors = result.communes[0].contributions.map(function (c) { return c.factor; });
        factors.forEach(function (f) { defaults[f] = result.weights[f]; });
        readWeights();
        renderControls();
        update();
        window.ntmRankReady = true;
      }, function (err) { loading = null; $("rank-panel").innerHTML = '<p class="flash error">' + esc(err.message) + "</p>"; throw err; });
    }
    return loading;
  }
  NTM.ranking = {
    load: load,
    row: function (id) { return byId[id]; },
    weights: function () { return weights; },
  };

  function tooltipExtra(id, themeName) {
    var r = byId[id];
    var html = NTM.coverage && NTM.coverage.tooltip ? NTM.coverage.tooltip(id, themeName) : "";
    if (themeName !== "priority" || !r) return html;
    return html + "<br><small>" + esc(T.rank_col_rank) + " " + r.rank + " · " + esc(T.rank_col_score) + " " + NTM.number(r.score, 2) +
      " · " + esc(T.rank_col_complete) + " " + NTM.number(100 * r.completeness, 0) + "%</small>";
  }

  function start() {
    app = NTM.app;
    app.tooltipExtra = tooltipExtra;
    bindTable();
    $("rank-panel").innerHTML = '<p class="placeholder">' + esc(T.loading_data) + "</p>";
    document.addEventListener("ntm:tab", function (e) { if (e.detail === "rank") load().catch(app.showError); });
    $("theme").addEventListener("change", function () { if (this.value === "priority") load().catch(app.showError); });
    var jobs = [];
    if (app.state.theme === "priority" || app.state.tab === "rank" || app.state.w) jobs.push(load());
    if (app.state.tab) NTM.showTab(app.state.tab);
    Promise.all(jobs).catch(app.showError);
  }
  if (window.ntmReady) start();
  else document.addEventListener("ntm:ready", start, { once: true });
})();
