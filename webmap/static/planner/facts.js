/* Corrections in the commune panel (planners only): a "Sửa" control beside each criterion of the
   checklist (met / unmet / unknown + date + source + note, with the criterion's history) and
   beside each classification flag (yes / no / unknown + legal basis + period) and each NTM level
   (year, level, target year). Posts to /api/communes/<id>/assessments|classifications|ntm-levels with the CSRF header (NTM.request), then
   re-renders the panel. Listens to the panel's "ntm:panel" event; its words come from the
   script tag's data-text (webmap/facts_text.py). Viewers get no controls. */
(function () {
  "use strict";
  var NTM = window.NTM, esc = NTM.esc;
  var script = document.currentScript;
  var W = JSON.parse((script && script.dataset.text) || "{}");
  var canPlan = !!NTM.config.can_plan;
  var BOOLEAN = { mountainous: 1, coastal_sandy: 1, island: 1, extremely_difficult: 1 };

  function today() { return new Date().toISOString().slice(0, 10); }
  function headNext(title) {
    var heads = document.querySelectorAll("#commune-panel > h3");
    for (var i = 0; i < heads.length; i++) if (heads[i].textContent === title) return heads[i].nextElementSibling;
    return null;
  }
  function listAfter(title) {
    var next = headNext(title);
    return next && next.tagName === "UL" ? next : null;
  }
  function options(values, chosen) {
    return values.map(function (v) {
      return '<option value="' + esc(v[0]) + '"' + (v[0] === chosen ? " selected" : "") + ">" + esc(v[1]) + "</option>";
    }).join("");
  }
  function field(label, html) { return "<label>" + esc(label) + " " + html + "</label>"; }
  function dateInput(name, iso) {
    return '<input type="text" class="date" name="' + name + '" maxlength="10" placeholder="dd/mm/yyyy" value="' + (iso ? NTM.date(iso) : "") + '">';
  }
  function textInput(name, value) {
    return '<input type="text" name="' + name + '" maxlength="2000" value="' + esc(value || "") + '">';
  }
  function editButton(li, kind, index) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary fx-edit";
    b.dataset.fxKind = kind;
    b.dataset.fxIndex = index;
    b.textContent = W.fx_edit;
    li.appendChild(document.createTextNode(" "));
    li.appendChild(b);
  }

  function criterionForm(c) {
    var status = c.status === "met" || c.status === "unmet" ? c.status : "unknown";
    return '<form class="stack fx-form" data-fx="assessment" data-criterion="' + c.criterion_id + '">' +
      field(W.fx_status, '<select name="status">' + options([["met", W.fx_met], ["unmet", W.fx_unmet], ["unknown", W.fx_unknown]], status) + "</select>") +
      field(W.fx_date, dateInput("assessed_on", today())) + field(W.fx_source, textInput("source", "")) +
      field(W.fx_note, textInput("note", "")) + formEnd() + '<div class="fx-history"></div></form>';
  }
  function flagForm(c) {
    var values = BOOLEAN[c.flag] ? [["true", W.fx_true], ["false", W.fx_false], ["", W.fx_unknown]]
      : [["1", "1"], ["2", "2"], ["3", "3"], ["", W.fx_unknown]];
    return '<form class="stack fx-form" data-fx="classification" data-flag="' + esc(c.flag) + '">' +
      field(W.fx_value, '<select name="value">' + options(values, c.value === null ? "" : c.value) + "</select>") +
      field(W.fx_legal, textInput("legal_basis", c.legal_basis)) +
      '<div class="row two">' + field(W.fx_from, dateInput("period_from", today())) + field(W.fx_to, dateInput("period_to", "")) + "</div>" +
      field(W.fx_source, textInput("source", "")) + formEnd() + "</form>";
  }
  function levelForm(l) {
    var levels = ["none", "registered", "standard", "advanced", "model", "not_applicable"].map(function (v) {
      return [v, v === "registered" ? W.fx_registered : NTM.text["ntm_" + v] || v];
    });
    return '<form class="stack fx-form" data-fx="ntm-level">' +
      '<div class="row two">' + field(W.fx_year, '<input type="text" name="year" maxlength="4" inputmode="numeric" value="' + esc(l.year) + '">') +
      field(W.fx_level, '<select name="level">' + options(levels, l.level) + "</select>") + "</div>" +
      field(W.fx_target_year, '<input type="text" name="target_year" maxlength="4" inputmode="numeric" value="' + esc(l.target_year || "") + '">') +
      field(W.fx_source, textInput("source", "")) + formEnd() + "</form>";
  }
  function formEnd() {
    return '<p class="flash error fx-error" hidden></p><div><button type="submit">' + esc(W.fx_save) +
      '</button> <button type="button" class="secondary fx-cancel">' + esc(W.fx_cancel) + "</button></div>";
  }

  function showHistory(form, unitId) {
    var box = form.querySelector(".fx-history");
    NTM.request("/api/communes/" + unitId + "/assessments/" + form.dataset.criterion + "/history").then(function (rows) {
      if (!rows.length || !box.isConnected) return;
      box.innerHTML = "<small><b>" + esc(W.fx_history) + "</b></small><ul class=\"plain\">" + rows.map(function (r) {
        return "<li><small>" + NTM.date(r.assessed_on) + " · " + esc(W["fx_" + r.status] || r.status) +
          (r.source ? " · " + esc(r.source) : "") + (r.note ? " · " + esc(r.note) : "") + " · " + esc(r.recorded_by) + "</small></li>";
      }).join("") + "</ul>";
    }, function () { /* the history is a help, not needed to save */ });
  }

  function body(form) {
    var f = form.elements, data = {}, bad = null, badYear = false;
    function day(name, required) {
      var iso = NTM.parseDate(f[name].value);
      if (iso === null || (required && !iso)) { bad = bad || f[name]; return null; }
      return iso || null;
    }
    if (form.dataset.fx === "assessment") {
      data = { criterion_id: Number(form.dataset.criterion), status: f.status.value, assessed_on: day("assessed_on", true),
        source: f.source.value, note: f.note.value };
    } else if (form.dataset.fx === "ntm-level") {
      var year = year4(f.year.value, true), target = year4(f.target_year.value, false);
      data = { year: year, level: f.level.value, source: f.source.value };
      if (f.level.value === "registered" && target !== null) data.target_year = target;
    } else {
      data = { flag: form.dataset.flag, value: f.value.value || null, legal_basis: f.legal_basis.value,
        period_from: day("period_from", true), period_to: day("period_to", false), source: f.source.value };
    }
    function year4(text, required) {
      text = String(text || "").trim();
      if (!text && !required) return null;
      if (!/^\d{4}$/.test(text)) { bad = bad || f[required ? "year" : "target_year"]; badYear = true; return null; }
      return Number(text);
    }
    return { data: data, bad: bad, message: badYear ? W.fx_bad_year : W.fx_bad_date };
  }

  function submit(form, unitId) {
    var error = form.querySelector(".fx-error"), sent = body(form);
    if (sent.bad) { error.textContent = sent.message; error.hidden = false; sent.bad.focus(); return; }
    var path = { assessment: "assessments", classification: "classifications", "ntm-level": "ntm-levels" }[form.dataset.fx];
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    NTM.request("/api/communes/" + unitId + "/" + path, { body: sent.data }).then(function () {
      var app = NTM.app;
      if (app && app.loadAttributes) app.loadAttributes();
      NTM.panel.refresh();
    }, function (err) {
      button.disabled = false;
      error.textContent = err.message;
      error.hidden = false;
    });
  }

  function decorate(e) {
    if (!canPlan) return;
    var p = e.detail, criteria = listAfter(NTM.text.criteria), flags = listAfter(NTM.text.classifications), levels = listAfter(NTM.text.ntm);
    if (criteria) Array.prototype.forEach.call(criteria.children, function (li, i) { if (p.criteria.items[i]) editButton(li, "criterion", i); });
    if (flags && p.classifications.length) Array.prototype.forEach.call(flags.children, function (li, i) { if (p.classifications[i]) editButton(li, "flag", i); });
    if (levels) Array.prototype.forEach.call(levels.children, function (li, i) { if (p.ntm_levels[i]) editButton(li, "level", i); });
    else { var none = headNext(NTM.text.ntm); if (none) editButton(none, "level", -1); }  /* no level yet: add one */
    var panel = document.getElementById("commune-panel");
    panel.onclick = function (ev) {
      var t = ev.target;
      if (t.classList.contains("fx-cancel")) { t.closest("form").remove(); return; }
      if (!t.classList.contains("fx-edit")) return;
      var li = t.closest("li") || t.parentElement;
      if (li.querySelector(".fx-form")) return;
      var i = Number(t.dataset.fxIndex), wrap = document.createElement("div");
      var kind = t.dataset.fxKind;
      wrap.innerHTML = kind === "criterion" ? criterionForm(p.criteria.items[i]) : kind === "flag" ? flagForm(p.classifications[i]) : levelForm(p.ntm_levels[i] || { year: new Date().getFullYear(), level: "none" });
      var form = wrap.firstChild;
      li.appendChild(form);
      if (form.dataset.fx === "assessment") showHistory(form, p.id);
      form.addEventListener("submit", function (sev) { sev.preventDefault(); submit(form, p.id); });
      form.elements[0].focus();
    };
  }
  document.addEventListener("ntm:panel", decorate);
})();
