/* The commune side panel and the search box of the planner map. */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text, esc = NTM.esc;
  var $ = function (id) { return document.getElementById(id); };

  /* ---- tabs ------------------------------------------------------------------------------ */
  NTM.showTab = function (name) {
    document.querySelectorAll(".tabs button").forEach(function (b) { b.classList.toggle("active", b.dataset.tab === name); });
    document.querySelectorAll(".tab-body").forEach(function (s) { s.hidden = s.dataset.tab !== name; });
  };
  document.querySelectorAll(".tabs button").forEach(function (b) {
    b.addEventListener("click", function () { NTM.showTab(b.dataset.tab); });
  });
  NTM.showTab("commune");
  $("commune-panel").innerHTML = '<p class="placeholder">' + esc(NTM.lang === "en"
    ? "Click a commune on the map, or search it by name, to see its details here."
    : "Bấm vào một xã trên bản đồ, hoặc tìm theo tên, để xem thông tin chi tiết ở đây.") + "</p>";

  /* ---- commune panel ----------------------------------------------------------------------- */
  function flagValue(value) {
    if (value === null || value === undefined) return '<span class="status no_data">' + esc(T.no_data) + "</span>";
    return esc(T[value] || value);
  }
  function section(title, body) { return "<h3>" + esc(title) + "</h3>" + body; }
  function ntmText(level) {
    if (level.level === "registered") return T.ntm_registered.replace("{year}", level.target_year || "?");
    return T["ntm_" + level.level] || level.level;
  }

  function render(p) {
    var app = NTM.app, html = "";
    html += "<h2>" + esc(p.name) + "</h2>";
    html += '<dl><dt>' + esc(T.code) + "</dt><dd>" + esc(p.code || T.no_data) + " · " + esc(NTM.kindLabel(p.kind)) + "</dd>";
    html += "<dt>" + esc(T.area) + "</dt><dd>" + (p.area_km2 === null ? esc(T.no_data) : NTM.number(p.area_km2, 1) + " km²") + "</dd>";
    html += "<dt>" + esc(T.area_official) + "</dt><dd>" + (p.official_area_km2 === null || p.official_area_km2 === undefined ? esc(T.no_data) : NTM.number(p.official_area_km2, 1) + " km²") + "</dd></dl>";
    html += listBox(p);
    var formers = p.former_units.filter(function (u) { return u.into_id === p.id; });
    html += section(T.former_units, formers.length ? '<ul class="plain">' + formers.map(function (u) {
      var older = p.former_units.filter(function (o) { return o.into_id === u.id; }).map(function (o) { return o.name; });
      return "<li>" + esc(u.name) + (u.district ? " <small>(" + esc(u.district) + ")</small>" : "") +
        (older.length ? "<br><small>← " + esc(older.join(", ")) + "</small>" : "") +
        '<br><small>' + esc(u.legal_basis || "") + " · " + NTM.date(u.effective_date) + "</small></li>";
    }).join("") + "</ul>" : '<p class="muted">' + esc(T.no_data) + "</p>");
    html += section(T.classifications, '<ul class="plain">' + (p.classifications.length ? p.classifications.map(function (c) {
      var tag = c.confidence === "derived" ? '<span class="tag derived">' + esc(T.derived) + "</span>"
        : T["confidence_" + c.confidence] ? '<span class="tag">' + esc(T["confidence_" + c.confidence]) + "</span>" : "";
      return "<li><b>" + esc(T[c.flag] || c.flag) + "</b>: " + flagValue(c.value) + tag +
        (c.legal_basis ? "<br><small>" + esc(T.legal_basis) + ": " + esc(c.legal_basis) + "</small>" : "") +
        (c.rule ? "<br><small>" + esc(T.rule) + ": " + esc(c.rule) + "</small>" : "") + "</li>";
    }).join("") : "<li>" + esc(T.no_data) + "</li>") + "</ul>");
    html += section(T.criteria, '<ul class="plain">' + p.criteria.items.map(function (c) {
      return '<li><span class="status ' + esc(c.status) + '">' + esc(T[c.status] || c.status) + "</span>" +
        esc(c.number + ". " + (NTM.lang === "en" && c.name_en ? c.name_en : c.name_vi)) +
        (c.assessed_on ? "<br><small>" + NTM.date(c.assessed_on) + (c.source ? " · " + esc(c.source) : "") + "</small>" : "") +
        (c.is_demo ? '<span class="tag demo">' + esc(T.demo) + "</span>" : "") + "</li>";
    }).join("") + "</ul>");
    html += section(T.ntm, p.ntm_levels.length ? '<ul class="plain">' + p.ntm_levels.map(function (l) {
      return "<li><b>" + esc(ntmText(l)) + "</b> (" + esc(l.year) + ")" +
        (l.derived ? '<span class="tag derived">' + esc(T.derived) + "</span>" : "") +
        (l.rule ? "<br><small>" + esc(l.rule) + "</small>" : "") + "</li>";
    }).join("") + "</ul>" : '<p class="muted">' + esc(T.no_data) + "</p>");
    html += section(T.sponsors, p.sponsors.length ? '<ul class="plain">' + p.sponsors.map(function (s) {
      return "<li>" + esc(s.name) + " <small>" + esc(T.from.toLowerCase()) + " " + NTM.date(s.valid_from) + "</small>" +
        (s.note ? "<br><small>" + esc(s.note) + "</small>" : "") + "</li>";
    }).join("") + "</ul>" : '<p class="muted">' + esc(T.sponsor_none) + "</p>");
    html += section(T.recent_activities, p.activities.length ? '<ul class="plain">' + p.activities.map(function (a) {
      return '<li><span class="swatch dot" style="background:' + esc(a.colour) + '"></span> ' + NTM.date(a.date) + " · " +
        esc(NTM.lang === "en" ? a.type_en : a.type_vi) + (a.organiser ? " <small>(" + esc(a.organiser) + ")</small>" : "") +
        (a.is_demo ? '<span class="tag demo">' + esc(T.demo) + "</span>" : "") + "</li>";
    }).join("") + "</ul>" : '<p class="muted">' + esc(T.none_yet) + "</p>");
    $("commune-panel").innerHTML = html;
    document.dispatchEvent(new CustomEvent("ntm:panel", { detail: p }));
    var button = $("panel-list-toggle");
    if (button) button.addEventListener("click", function () {
      var inList = app.listIds.has(p.id);
      (inList ? NTM.lists.remove([p.id]) : NTM.lists.add([p.id]));
    });
  }

  function listBox(p) {
    var lists = NTM.lists && NTM.lists.current();
    if (!lists) return '<p class="muted">' + esc(T.choose_list_first) + "</p>";
    var inList = NTM.app.listIds.has(p.id);
    return '<div class="in-list"><b>' + esc(lists.name) + "</b>: " + esc(inList ? T.in_list : T.no) + "<br>" +
      '<button type="button" id="panel-list-toggle" class="' + (inList ? "danger" : "") + '">' +
      esc(inList ? T.remove_from_list : T.add_to_list) + "</button></div>";
  }

  var panelSeq = 0;
  NTM.panel = {
    show: function (id, keepTab) {
      var mine = ++panelSeq, app = NTM.app;
      if (!keepTab) NTM.showTab("commune");
      $("commune-panel").innerHTML = '<p class="placeholder">' + esc(T.loading_data) + "</p>";
      var list = NTM.lists && NTM.lists.current();
      var params = NTM.query({ set: $("criteria-set").value, list: list ? list.id : "", lang: NTM.lang });
      return NTM.request("/api/map/communes/" + id + params).then(function (p) {
        if (mine === panelSeq && app.selected === id) render(p);
      }, function (err) {
        $("commune-panel").innerHTML = '<p class="flash error">' + esc(err.message) + "</p>";
      });
    },
    refresh: function () { if (NTM.app.selected) NTM.panel.show(NTM.app.selected, true); },
  };

  /* ---- search ---------------------------------------------------------------------------- */
  NTM.search = {
    init: function (app) {
      var input = $("search-input"), results = $("search-results"), timer = null, hits = [], active = 0;
      function close() { results.hidden = true; results.innerHTML = ""; }
      function choose(hit) { close(); input.value = hit.name; app.select(hit.id, true); }
      function show() {
        results.innerHTML = "";
        if (!hits.length) {
          var li = document.createElement("li");
          li.textContent = T.search_none;
          results.appendChild(li);
        }
        hits.forEach(function (hit, i) {
          var li = document.createElement("li");
          li.setAttribute("role", "option");
          li.className = i === active ? "active" : "";
          li.textContent = hit.name;
          var small = document.createElement("small");
          var extra = hit.former_districts.join(", ");
          if (hit.matched_former) extra = T.formerly + ": " + hit.matched_former + (extra ? " · " + extra : "");
          small.textContent = extra;
          li.appendChild(small);
          li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(hit); });
          results.appendChild(li);
        });
        results.hidden = false;
      }
      input.addEventListener("input", function () {
        clearTimeout(timer);
        var q = input.value.trim();
        if (!q) { close(); return; }
        timer = setTimeout(function () {
          NTM.request("/api/map/search" + NTM.query({ q: q })).then(function (found) {
            if (input.value.trim() !== q) return;
            hits = found; active = 0; show();
          }, app.showError);
        }, 150);
      });
      input.addEventListener("keydown", function (e) {
        if (results.hidden || !hits.length) return;
        if (e.key === "ArrowDown") { active = Math.min(active + 1, hits.length - 1); show(); e.preventDefault(); }
        if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); show(); e.preventDefault(); }
        if (e.key === "Enter") { choose(hits[active]); e.preventDefault(); }
        if (e.key === "Escape") close();
      });
      input.addEventListener("blur", function () { setTimeout(close, 150); });
    },
  };
})();
