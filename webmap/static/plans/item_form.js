/* The plan-item form beside its map: place the work with the activities' drawing map
   (NTMA.drawMap from activities/common.js), or just choose the commune; save through the API. */
(function () {
  "use strict";
  var A = window.NTMA, cfg = A.config, form = document.getElementById("item-form");
  window.NTMDates.wire(form);  /* dates are read at once below */
  var geometry = cfg.item ? cfg.item.geometry : null;
  var confirmed = {};
  var place = A.drawMap("item-map", function (drawn) {
    geometry = drawn;
    /* the commune follows the drawing (found on the server) unless the user picks one after */
    if (drawn) field("unit_id").value = "";
  });
  window.planItemMap = place.map;
  A.loadBoundaries(place.map, cfg.boundaries + "?date=" + field("planned_date").value, !geometry);
  if (geometry) place.show(geometry, true);

  function field(name) { return form.elements[name]; }

  function showUnit() {
    var option = field("type_code").selectedOptions[0];
    document.getElementById("unit").textContent = option ? option.dataset.unit : "";
  }
  field("type_code").addEventListener("change", showUnit);
  showUnit();

  function payload() {
    var data = {};
    ["planned_date", "type_code", "planned_quantity", "unit_id", "village", "lead_person",
     "description", "assignee_id", "deadline"].forEach(function (name) {
      if (field(name)) data[name] = field(name).value;
    });
    data.criteria_ids = Array.prototype.map.call(
      form.querySelectorAll('input[name="criteria_ids"]:checked'), function (b) { return Number(b.value); });
    data.geometry = geometry;
    if (cfg.item) data.version = cfg.item.version;
    return Object.assign(data, confirmed);
  }

  function showErrors(body) {
    var box = document.getElementById("form-errors");
    box.textContent = body.error || "";
    box.hidden = !body.error;
    (body.details || []).forEach(function (d) {
      var el = d.field && form.querySelector('.field-error[data-field="' + d.field + '"]');
      if (el) el.textContent = d.message;
    });
  }

  function save() {
    form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
    A.request(cfg.save, cfg.method, payload()).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        window.location.href = cfg.done + "#item-" + r.body.id;
      } else if (r.status === 409 && r.body.details && r.body.details[0] && r.body.details[0].confirm) {
        if (window.confirm(r.body.error)) { confirmed[r.body.details[0].confirm] = true; save(); }
      } else {
        showErrors(r.body);
      }
    });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); save(); });
})();
