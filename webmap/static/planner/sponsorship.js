/* Sponsorship (đỡ đầu) on the planner map: the balance between departments, priority communes
   with no sponsor or several, a department's sponsored area as one shape, the suggested assignment
   (accepted row by row, never applied on its own), assigning and ending sponsorships, and in the
   commune panel the departments responsible for the commune's unmet criteria and its history.
   Reads /api/sponsorship/*; writes /api/sponsorships (planners only). */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text, esc = NTM.esc;
  var $ = function (id) { return document.getElementById(id); };
  var app = null, balance = null, current = [], areaLayer = null, areaId = null, seq = 0, loaded = false;
  var canPlan = !!NTM.config.can_plan;

  function today() { return new Date().toISOString().slice(0, 10); }
  function deptName(id) {
    var d = app.config.departments.find(function (x) { return x.id === id; });
    return d ? d.name : "#" + id;
  }
  function communeName(id) { var c = app.attrs && app.attrs.communes[id]; return c ? c.name : "#" + id; }
  function link(id) { return '<a href="#" class="commune-link" data-id="' + id + '">' + esc(communeName(id)) + "</a>"; }
  function flash(message, isError) {
    var box = $("sp-flash");
    if (!box) return;
    box.className = "flash" + (isError ? " error" : "");
    box.textContent = message;
    box.hidden = false;
  }
  function table(id, head, rows) {
    if (!rows.length) return '<p class="muted">' + esc(T.gap_none) + "</p>";
    return '<table class="rank-table" id="' + id + '"><thead><tr>' + head.map(function (h) { return "<th>" + esc(h) + "</th>"; }).join("") +
      "</tr></thead><tbody>" + rows.join("") + "</tbody></table>";
  }

  /* ---- the panel ------------------------------------------------------------------------------ */
  function render() {
    var list = NTM.lists.current(), html = "<h3>" + esc(T.sp_title) + "</h3>";
    html += '<p id="sp-flash" class="flash" hidden></p>';
    html += '<p class="muted">' + esc(list ? T.sp_scope_list.replace("{list}", list.name) : T.sp_scope_all) + "</p>";
    html += table("sp-loads", [T.sp_dept, T.sp_communes, T.sp_load, T.sp_missing, T.sp_area], balance.loads.map(function (x) {
      return '<tr data-dept="' + x.department_id + '"' + (areaId === x.department_id ? ' class="chosen"' : "") + "><td>" + esc(x.name) + '</td><td class="num">' + x.communes +
        '</td><td class="num">' + NTM.number(x.weighted_load, 2) + '</td><td class="num">' + x.communes_missing_data +
        '</td><td><button type="button" class="secondary" data-area="' + x.department_id + '">' + esc(T.sp_show_area) + "</button></td></tr>";
    }));
    var w = balance.weights;
    html += '<p class="note">' + esc(T.sp_load_rule.replace("{base}", NTM.number(w.base, 2)).replace("{difficult}", NTM.number(w.difficult, 2))
      .replace("{unmet}", NTM.number(w.per_unmet_criterion, 2))) + "</p>";
    html += "<h4>" + esc(T.sp_unsponsored) + "</h4>" + (balance.unsponsored_priority.length ? table("sp-unsponsored", [T.sp_commune, T.sp_load, T.sp_missing, ""],
      balance.unsponsored_priority.map(function (w) {
        return "<tr><td>" + link(w.unit_id) + '</td><td class="num">' + NTM.number(w.weight, 2) + "</td><td>" +
          (w.missing.length ? '<span class="status no_data">' + esc(T.rank_missing) + "</span>" : "") + "</td><td>" +
          (canPlan ? '<button type="button" class="secondary" data-prefill="' + w.unit_id + '">' + esc(T.sp_assign) + "</button>" : "") + "</td></tr>";
      })) : '<p class="muted">' + esc(T.sp_no_unsponsored) + "</p>");
    html += "<h4>" + esc(T.sp_several) + "</h4>" + table("sp-several", [T.sp_commune, T.sp_dept], balance.several_sponsors.map(function (s) {
      return "<tr><td>" + link(s.unit_id) + "</td><td>" + esc(s.department_ids.map(deptName).join("; ")) + "</td></tr>";
    }));
    html += "<h4>" + esc(T.sp_suggest) + '</h4><p class="note">' + esc(T.sp_suggest_note) + "</p>";
    html += table("sp-suggest", [T.sp_commune, T.sp_dept, T.rank_why, ""], balance.suggestion.assignments.map(function (a) {
      return '<tr data-unit="' + a.unit_id + '"><td>' + link(a.unit_id) + "</td><td>" + esc(deptName(a.department_id)) + (a.responsible ? " ✓" : "") +
        "</td><td><small>" + esc(a.reason) + "</small></td><td>" + (canPlan ? '<button type="button" data-accept="' + a.unit_id + '" data-dept="' + a.department_id +
        '" data-reason="' + esc(a.reason) + '">' + esc(T.sp_accept) + "</button>" : "") + "</td></tr>";
    }));
    html += canPlan ? assignForm() : '<p class="muted">' + esc(T.sp_planners_only) + "</p>";
    html += "<h4>" + esc(T.sp_current) + "</h4>";
    if (canPlan) html += '<label class="stack">' + esc(T.sp_end_prompt) + ' <input type="text" class="date" id="sp-end-date" maxlength="10" value="' + NTM.date(today()) + '"></label>';
    html += table("sp-current", [T.sp_commune, T.sp_dept, T.sp_from, T.sp_note, ""], current.map(function (s) {
      return "<tr><td>" + link(s.unit_id) + "</td><td>" + esc(s.department) + "</td><td>" + NTM.date(s.valid_from) + "</td><td><small>" + esc(s.note || "") +
        "</small></td><td>" + (canPlan ? '<button type="button" class="danger" data-end="' + s.id + '" data-version="' + s.version + '">' + esc(T.sp_end) + "</button>" : "") + "</td></tr>";
    }));
    $("sponsor-panel").innerHTML = html;
  }
  function assignForm() {
    var depts = app.config.departments.map(function (d) { return '<option value="' + d.id + '">' + esc(d.name) + "</option>"; }).join("");
    var communes = Object.keys(app.attrs.communes).map(function (id) { return app.attrs.communes[id]; })
      .sort(function (a, b) { return a.name < b.name ? -1 : 1; })
      .map(function (c) { return '<option value="' + c.id + '">' + esc(c.name) + "</option>"; }).join("");
    return "<h4>" + esc(T.sp_assign) + '</h4><form id="sp-assign" class="stack"><label>' + esc(T.sp_dept) + ' <select name="department_id">' + depts +
      "</select></label><label>" + esc(T.sp_commune) + ' <select name="unit_id">' + communes + '</select></label><div class="row two"><label>' +
      esc(T.sp_from) + ' <input type="text" class="date" name="valid_from" maxlength="10" value="' + NTM.date(today()) + '"></label><label>' +
      esc(T.sp_to) + ' <input type="text" class="date" name="valid_to" maxlength="10" placeholder="dd/mm/yyyy"></label></div><label>' + esc(T.sp_note) +
      ' <textarea name="note" rows="2" maxlength="2000"></textarea></label><button type="submit">' + esc(T.sp_save) + "</button></form>";
  }

  /* ---- writes --------------------------------------------------------------------------------- */
  function after(message) {
    return function () { flash(message); return Promise.all([load(), app.loadAttributes()]).then(function () { flash(message); NTM.panel.refresh(); }); };
  }
  function failed(err) { flash(err.message, true); }
  function startSponsorship(body) {
    return NTM.request("/api/sponsorships", { body: body }).then(after(T.sp_saved), failed);
  }
  function bind() {
    var panel = $("sponsor-panel");
    panel.addEventListener("click", function (e) {
      var t = e.target;
      var a = t.closest("a.commune-link");
      if (a) { e.preventDefault(); app.select(Number(a.dataset.id), true); NTM.showTab("sponsor"); return; }
      if (t.dataset.area) { showArea(Number(t.dataset.area)); return; }
      if (t.dataset.prefill) {
        var form = $("sp-assign");
        form.elements.unit_id.value = t.dataset.prefill;
        form.scrollIntoView({ block: "center" });
        form.elements.department_id.focus();
        return;
      }
      if (t.dataset.accept) {
        t.disabled = true;
        startSponsorship({ department_id: Number(t.dataset.dept), unit_id: Number(t.dataset.accept), valid_from: today(),
          note: T.sp_suggest.split(" (")[0] + ": " + t.dataset.reason });
        return;
      }
      if (t.dataset.end) {
        var day = NTM.parseDate($("sp-end-date").value);
        if (!day) { flash(T.bad_date, true); $("sp-end-date").focus(); return; }
        t.disabled = true;
        NTM.request("/api/sponsorships/" + t.dataset.end + "/end", { body: { valid_to: day, version: Number(t.dataset.version) } })
          .then(after(T.sp_ended), function (err) { t.disabled = false; failed(err); });
      }
    });
    panel.addEventListener("submit", function (e) {
      if (e.target.id !== "sp-assign") return;
      e.preventDefault();
      var f = e.target.elements, from = NTM.parseDate(f.valid_from.value), to = NTM.parseDate(f.valid_to.value);
      if (!from || to === null) { flash(T.bad_date, true); return; }
      startSponsorship({ department_id: Number(f.department_id.value), unit_id: Number(f.unit_id.value), valid_from: from,
        valid_to: to || null, note: f.note.value.trim() || null });
    });
  }

  /* ---- a department's area: one shape ------------------------------------------------------------ */
  function showArea(id) {
    if (areaLayer) { app.map.removeLayer(areaLayer); areaLayer = null; }
    if (areaId === id) { areaId = null; render(); return Promise.resolve(); }
    areaId = id;
    return NTM.request("/api/sponsorship/area/" + id).then(function (feature) {
      render();
      if (!feature.geometry) { flash(T.sp_area_none, true); return; }
      areaLayer = L.geoJSON(feature, { interactive: false, style: { color: "#d81b60", weight: 3.5, fill: true, fillColor: "#d81b60", fillOpacity: 0.12, dashArray: "6 4" } }).addTo(app.map);
      app.map.fitBounds(areaLayer.getBounds(), { maxZoom: 11, padding: [30, 30] });
      window.ntmAreaShown = id;
    }, failed);
  }

  /* ---- loading ------------------------------------------------------------------------------------ */
  function load() {
    var mine = ++seq, list = NTM.lists.current();
    return Promise.all([
      NTM.request("/api/sponsorship/balance" + NTM.query({ list: list ? list.id : "" })),
      NTM.request("/api/sponsorships"),
    ]).then(function (results) {
      if (mine !== seq) return;
      balance = results[0];
      current = results[1];
      render();
      window.ntmSponsorReady = (window.ntmSponsorReady || 0) + 1;
    }, function (err) { if (mine === seq) $("sponsor-panel").innerHTML = '<p class="flash error">' + esc(err.message) + "</p>"; });
  }

  /* ---- the commune panel: match and history --------------------------------------------------------- */
  function panelExtra(e) {
    var p = e.detail, box = document.createElement("div");
    box.id = "sp-match";
    box.innerHTML = '<p class="placeholder">' + esc(T.loading_data) + "</p>";
    $("commune-panel").appendChild(box);
    Promise.all([NTM.request("/api/sponsorship/match/" + p.id), NTM.request("/api/sponsorships/commune/" + p.id)]).then(function (r) {
      if (!box.isConnected) return;
      var m = r[0], history = r[1];
      var none = !m.sponsor_ids.length && m.sponsor_fits !== null;
      var fits = m.sponsor_fits === null ? T.sp_fits_unknown : none ? T.sp_fits_none : m.sponsor_fits ? T.sp_fits_yes : T.sp_fits_no;
      var html = "<h3>" + esc(T.sp_match) + '</h3><p class="' + (m.sponsor_fits === false && !none ? "flash error" : "muted") + '">' + esc(fits) + "</p>";
      html += m.criteria.length ? '<ul class="plain">' + m.criteria.map(function (c) {
        var names = c.department_ids.map(function (d) { return (m.sponsor_ids.indexOf(d) >= 0 ? "✓ " : "") + deptName(d); });
        return "<li><b>" + esc(c.code) + "</b> " + esc(c.name) + "<br><small>" + esc(names.concat(c.unmatched_names).join("; ") || c.responsible_text || T.no_data) + "</small></li>";
      }).join("") + "</ul>" : "";
      html += "<h3>" + esc(T.sp_history) + "</h3>" + (history.length ? '<ul class="plain">' + history.map(function (s) {
        return "<li>" + esc(s.department) + " <small>" + NTM.date(s.valid_from) + " – " + (s.valid_to ? NTM.date(s.valid_to) : "…") +
          (s.note ? " · " + esc(s.note) : "") + (s.ended_by ? " · " + esc(T.sp_end) + ": " + esc(s.ended_by) : "") + "</small></li>";
      }).join("") + "</ul>" : '<p class="muted">' + esc(T.none_yet) + "</p>");
      if (canPlan) html += panelForm(m, history);
      box.innerHTML = html;
      if (canPlan) bindPanelForm(box, p.id);
    }, function (err) { box.innerHTML = '<p class="flash error">' + esc(err.message) + "</p>"; });
  }
  /* planners assign or end a sponsorship from the commune panel (on the map) */
  function panelForm(m, history) {
    var responsible = {};
    m.criteria.forEach(function (c) { c.department_ids.forEach(function (d) { responsible[d] = true; }); });
    var depts = app.config.departments.slice().sort(function (a, b) { return (responsible[b.id] ? 1 : 0) - (responsible[a.id] ? 1 : 0); });
    var html = '<p id="sp-panel-flash" class="flash" hidden></p>';
    var open = history.filter(function (s) { return !s.valid_to; });
    if (open.length) {
      html += '<label class="stack">' + esc(T.sp_end_prompt) + ' <input type="text" class="date" id="sp-panel-end-date" maxlength="10" value="' + NTM.date(today()) + '"></label>';
      html += '<div class="list-tools">' + open.map(function (s) {
        return '<button type="button" class="danger" data-end="' + s.id + '" data-version="' + s.version + '">' + esc(T.sp_end + ": " + s.department) + "</button>";
      }).join("") + "</div>";
    }
    return html + '<details><summary>' + esc(T.sp_assign) + '</summary><form id="sp-panel-assign" class="stack"><label>' + esc(T.sp_dept) +
      ' <select name="department_id">' + depts.map(function (d) {
        return '<option value="' + d.id + '">' + (responsible[d.id] ? "✓ " : "") + esc(d.name) + "</option>";
      }).join("") + '</select></label><div class="row two"><label>' + esc(T.sp_from) + ' <input type="text" class="date" name="valid_from" maxlength="10" value="' +
      NTM.date(today()) + '"></label><label>' + esc(T.sp_to) + ' <input type="text" class="date" name="valid_to" maxlength="10" placeholder="dd/mm/yyyy"></label></div><label>' +
      esc(T.sp_note) + ' <textarea name="note" rows="2" maxlength="2000"></textarea></label><button type="submit">' + esc(T.sp_save) + "</button></form></details>";
  }
  function bindPanelForm(box, unitId) {
    function panelFlash(message, isError) {
      var f = $("sp-panel-flash");
      if (!f) return;
      f.className = "flash" + (isError ? " error" : "");
      f.textContent = message;
      f.hidden = false;
    }
    box.addEventListener("click", function (e) {
      var t = e.target;
      if (!t.dataset.end) return;
      var day = NTM.parseDate($("sp-panel-end-date").value);
      if (!day) { panelFlash(T.bad_date, true); return; }
      t.disabled = true;
      NTM.request("/api/sponsorships/" + t.dataset.end + "/end", { body: { valid_to: day, version: Number(t.dataset.version) } })
        .then(after(T.sp_ended), function (err) { t.disabled = false; panelFlash(err.message, true); });
    });
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = e.target.elements, from = NTM.parseDate(f.valid_from.value), to = NTM.parseDate(f.valid_to.value);
      if (!from || to === null) { panelFlash(T.bad_date, true); return; }
      NTM.request("/api/sponsorships", { body: { department_id: Number(f.department_id.value), unit_id: unitId, valid_from: from,
        valid_to: to || null, note: f.note.value.trim() || null } }).then(after(T.sp_saved), function (err) { panelFlash(err.message, true); });
    });
  }

  function start() {
    app = NTM.app;
    bind();
    $("sponsor-panel").innerHTML = '<p class="placeholder">' + esc(T.loading_data) + "</p>";
    document.addEventListener("ntm:panel", panelExtra);
    document.addEventListener("ntm:tab", function (e) { if (e.detail === "sponsor") { loaded = true; load(); } });
    document.addEventListener("ntm:list", function () { if (loaded) load(); });
    if (app.state.tab === "sponsor") { loaded = true; load(); }
  }
  NTM.sponsorship = { load: load, showArea: showArea };
  if (window.ntmReady) start();
  else document.addEventListener("ntm:ready", start, { once: true });
})();
