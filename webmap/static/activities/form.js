/* The activity form beside its map: draw, type or upload a place, see its communes, save. */
(function () {
  "use strict";
  var A = window.NTMA, cfg = A.config, form = document.getElementById("activity-form");
  window.NTMDates.wire(form);  /* dates are read at once below */
  var place = A.drawMap("activity-map", function (drawnGeometry) {
    geometry = drawnGeometry;
    locate({ geometry: geometry });
  });
  var map = place.map, show = place.show;
  window.activityMap = map;
  var prefill = cfg.prefill || null;  /* an activity recorded from a planned item */
  var geometry = cfg.activity ? cfg.activity.geometry : prefill ? prefill.geometry : null;
  var confirmed = {};
  if (prefill) fillFrom(prefill);
  A.loadBoundaries(map, cfg.boundaries + "?date=" + field("activity_date").value, !geometry);

  function field(name) { return form.elements[name]; }

  function fillFrom(values) {
    ["activity_date", "type_code", "organiser_id", "quantity", "village", "description",
     "reported_unit_id"].forEach(function (name) {
      if (values[name] !== null && values[name] !== undefined) field(name).value = values[name];
    });
    form.querySelectorAll('input[name="criteria_ids"]').forEach(function (box) {
      box.checked = values.criteria_ids.indexOf(Number(box.value)) >= 0;
    });
  }

  function fieldError(name, message) {
    var el = form.querySelector('.field-error[data-field="' + name + '"]');
    if (el) el.textContent = message || "";
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
    var box = document.getElementById("form-errors");
    box.hidden = true; box.textContent = "";
  }

  function showErrors(body) {
    var box = document.getElementById("form-errors");
    box.textContent = body.error || "";
    box.hidden = !body.error;
    (body.details || []).forEach(function (d) { if (d.field) fieldError(d.field, d.message); });
  }

  function showCommunes(result) {
    var list = document.getElementById("communes-found");
    list.innerHTML = (result.communes || []).map(function (c) {
      var part = c.length_m !== null ? " – " + A.t("length") + " " + A.number(c.length_m) + " m"
        : c.area_m2 !== null ? " – " + A.t("area") + " " + A.number(c.area_m2) + " m²" : "";
      return '<li data-unit="' + c.unit_id + '">' + A.esc(c.name) + A.esc(part) + "</li>";
    }).join("");
    document.getElementById("place-notes").textContent = (result.notes || []).join(" ");
    var suggested = {};
    (result.suggestions || []).forEach(function (s) { suggested[s.criterion_id] = s; });
    form.querySelectorAll("#criteria-list .crit").forEach(function (label) {
      var box = label.querySelector("input");
      label.classList.toggle("suggested", !!suggested[box.value]);
    });
  }

  function locate(extra) {
    fieldError("geometry", "");
    if (!extra.geometry && !extra.coordinates) { showCommunes({}); return Promise.resolve(); }
    var payload = Object.assign({ activity_date: field("activity_date").value,
      type_code: field("type_code").value,
      repair_geometry: document.getElementById("repair_geometry").checked }, extra);
    return A.request(cfg.locate, "POST", payload).then(function (r) {
      if (r.status !== 200) { showCommunes({}); fieldError("geometry", r.body.error); return; }
      geometry = r.body.geometry;
      show(geometry, !!extra.coordinates);
      showCommunes(r.body);
    });
  }

  document.getElementById("place-point").addEventListener("click", function () {
    locate({ coordinates: document.getElementById("coordinates").value,
      notation: document.getElementById("notation").value, zone: document.getElementById("zone").value });
  });

  document.getElementById("upload").addEventListener("change", function (e) {
    var file = e.target.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("file", file);
    A.request(cfg.upload, "POST", data, true).then(function (r) {
      if (r.status !== 200) { fieldError("geometry", r.body.error); return; }
      show(r.body.geometry, true);
      locate({ geometry: r.body.geometry }).then(function () {
        if (r.body.note) document.getElementById("place-notes").textContent += " " + r.body.note;
      });
    });
  });

  function refreshOptions() {
    var day = field("activity_date").value;
    if (!day) return;
    A.request(cfg.options + "?date=" + encodeURIComponent(day)).then(function (r) {
      if (r.status !== 200) return;
      var select = field("organiser_id"), chosen = select.value;
      select.innerHTML = r.body.organisers.map(function (o) {
        return '<option value="' + o.id + '"' + (String(o.id) === chosen ? " selected" : "") + ">" + A.esc(o.name) + "</option>";
      }).join("");
      var ticked = {};
      form.querySelectorAll('input[name="criteria_ids"]:checked').forEach(function (b) { ticked[b.value] = true; });
      document.getElementById("criteria-list").innerHTML = r.body.criteria.map(function (c) {
        return '<label class="check crit"><input type="checkbox" name="criteria_ids" value="' + c.id + '"' +
          (ticked[c.id] ? " checked" : "") + "> TC" + String(c.number).padStart(2, "0") + " " + A.esc(c.name) + "</label>";
      }).join("");
      if (geometry) locate({ geometry: geometry });
    });
  }
  field("activity_date").addEventListener("change", refreshOptions);

  function showUnit() {
    var option = field("type_code").selectedOptions[0];
    document.getElementById("unit").textContent = option ? option.dataset.unit : "";
  }
  field("type_code").addEventListener("change", function () { showUnit(); if (geometry) locate({ geometry: geometry }); });
  showUnit();

  function payload() {
    var data = {};
    ["activity_date", "type_code", "organiser_id", "participants", "workdays", "quantity",
     "funds_vnd", "village", "description"].forEach(function (name) { data[name] = field(name).value; });
    data.criteria_ids = Array.prototype.map.call(
      form.querySelectorAll('input[name="criteria_ids"]:checked'), function (b) { return Number(b.value); });
    data.geometry = geometry;
    data.reported_unit_id = geometry ? null : field("reported_unit_id").value || null;
    data.repair_geometry = document.getElementById("repair_geometry").checked;
    if (cfg.activity) data.version = cfg.activity.version;
    return Object.assign(data, confirmed);
  }

  function save() {
    clearErrors();
    var url = cfg.activity ? cfg.api + "/" + cfg.activity.id : cfg.api;
    A.request(url, cfg.activity ? "PUT" : "POST", payload()).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        window.location.href = r.body.redirect || cfg.list + "?highlight=" + r.body.id;
      } else if (r.status === 409 && r.body.details && r.body.details[0] && r.body.details[0].confirm) {
        if (window.confirm(r.body.error)) { confirmed[r.body.details[0].confirm] = true; save(); }
      } else {
        showErrors(r.body);
      }
    });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); save(); });

  if (geometry) { show(geometry, true); locate({ geometry: geometry }); }
})();
