/* Planned work on the planner map (issue 8): planned items beside the activities in their own
   dashed style, communes with planned work not done outlined in orange, a legend of its own,
   shown with the "Kế hoạch" box (on at start with ?plans=1). Data: /api/plans/map. */
(function () {
  "use strict";
  var NTM = window.NTM, esc = NTM.esc;
  var VI = { title: "Kế hoạch", legend: "Việc đã lên kế hoạch (nét đứt)", planned: "Đã lên kế hoạch", overdue: "Quá ngày, chưa ghi kết quả",
    done: "Đã thực hiện", missed: "Không thực hiện", undone: "Xã có việc chưa làm", link: "Mở kế hoạch" };
  var EN = { title: "Plans", legend: "Planned work (dashed)", planned: "Planned", overdue: "Past its day, no result",
    done: "Done", missed: "Missed", undone: "Communes with undone planned work", link: "Open the plan" };
  var T = NTM.lang === "en" ? EN : VI;
  var COLOURS = { planned: "#6a1b9a", overdue: "#c62828", done: "#2e7d32", missed: "#c62828", moved: "#8d6e63" };
  var layer = null, box = null;

  function colour(p) { return p.overdue ? COLOURS.overdue : COLOURS[p.status] || COLOURS.planned; }

  function popup(p) {
    var rows = [[p.planned_date.split("-").reverse().join("/"), p.type_name], ["", p.commune + (p.village ? ", " + p.village : "")],
      ["", p.assignee], ["", T[p.overdue ? "overdue" : p.status] || p.status]];
    if (p.planned_quantity !== null) rows.push(["", NTM.number(p.planned_quantity, 1) + " " + (p.quantity_unit || "")]);
    if (p.lead_person) rows.push(["", p.lead_person]);
    return '<dl class="activity-popup plan-popup">' + rows.map(function (r) {
      return "<dt>" + esc(r[0]) + "</dt><dd>" + esc(r[1]) + "</dd>";
    }).join("") + '</dl><a href="/plans/' + Number(p.plan_id) + '">' + esc(T.link) + "</a>";
  }

  function draw(data) {
    var map = NTM.app.map;
    if (!map.getPane("plans")) map.createPane("plans").style.zIndex = 460;
    layer = L.featureGroup();
    L.geoJSON(data.undone_communes, { pane: "plans", interactive: false,
      style: { color: "#e65100", weight: 3, dashArray: "8 5", fill: true, fillColor: "#ff9800", fillOpacity: 0.12 } }).addTo(layer);
    L.geoJSON(data.items, {
      pane: "plans",
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { pane: "plans", radius: 9, color: colour(f.properties), weight: 3, dashArray: "3 3",
          fillColor: "#f3e5f5", fillOpacity: 0.6 });
      },
      style: function (f) { return { color: colour(f.properties), weight: 4, dashArray: "10 6", fillOpacity: 0.15 }; },
      onEachFeature: function (f, l) { l.feature = f; l.bindPopup(function () { return popup(f.properties); }); l.options.className = "plan-item"; },
    }).addTo(layer);
    window.ntmPlanCount = data.items.features.length;
    window.ntmPlanUndone = data.undone_communes.features.length;
  }

  function range() {
    var p = NTM.app.attrs && NTM.app.attrs.period, ahead = new Date(Date.now() + 90 * 864e5).toISOString().slice(0, 10);
    return p ? "?from=" + encodeURIComponent(p.from) + "&to=" + encodeURIComponent(p.to > ahead ? p.to : ahead) : "";
  }

  function toggle(on) {
    var map = NTM.app.map;
    if (!on) { if (layer) map.removeLayer(layer); return Promise.resolve(); }
    return NTM.request("/api/plans/map" + range()).then(function (data) {
      if (layer) map.removeLayer(layer);
      draw(data);
      if (box.checked) layer.addTo(map);
      window.ntmPlansReady = true;
    }, NTM.app.showError);
  }

  function control() {
    var c = L.control({ position: "bottomleft" });
    c.onAdd = function () {
      var div = L.DomUtil.create("div", "plan-legend");
      div.id = "plan-legend";
      div.innerHTML = '<label><input type="checkbox" id="plans-on"> <strong>' + esc(T.title) + "</strong></label><br>" +
        '<span class="sw planned"></span>' + esc(T.legend) + "<br>" +
        '<span class="sw undone"></span>' + esc(T.undone);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    c.addTo(NTM.app.map);
    box = document.getElementById("plans-on");
    box.checked = /[?&]plans=1\b/.test(window.location.search);
    box.addEventListener("change", function () { toggle(box.checked); });
    return toggle(box.checked);
  }

  function start() {
    var css = document.createElement("link");  /* the legend's look, kept with the plan pages' */
    css.rel = "stylesheet";
    css.href = "/static/plans/plans.css";
    document.head.appendChild(css);
    if (NTM.app && NTM.app.map) control();
  }
  if (window.ntmReady) start(); else document.addEventListener("ntm:ready", start, { once: true });
})();
