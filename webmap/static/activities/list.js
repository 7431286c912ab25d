/* The map beside the activity list: the filtered activities over the commune boundaries. */
(function () {
  "use strict";
  var A = window.NTMA, cfg = A.config;
  var map = L.map("list-map").setView([16.9, 106.9], 8);
  window.activityListMap = map;
  A.loadBoundaries(map, cfg.boundaries, true).then(function () {
    return fetch(cfg.geojson, { credentials: "same-origin" });
  }).then(function (r) { return r.json(); }).then(function (doc) {
    var layer = L.geoJSON(doc, {
      style: function (f) {
        return { color: f.id === cfg.highlight ? "#d50000" : "#e65100", weight: f.id === cfg.highlight ? 6 : 4 };
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 7, color: "#e65100", fillOpacity: 0.8 });
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindPopup("<strong>" + A.esc(p.type_name) + "</strong><br>" + A.esc(A.date(p.activity_date)) +
          "<br>" + A.esc(p.organiser) + "<br>" + p.communes.map(function (c) { return A.esc(c.name); }).join("; "));
      },
    }).addTo(map);
    layer.eachLayer(function (l) { l.getElement && l.getElement() && l.getElement().setAttribute("data-activity", l.feature.id); });
    if (cfg.highlight) {
      layer.eachLayer(function (l) { if (l.feature.id === cfg.highlight) map.fitBounds(l.getBounds ? l.getBounds() : L.latLngBounds([l.getLatLng()]), { maxZoom: 14 }); });
    }
    document.getElementById("list-map").setAttribute("data-count", doc.features.length);
  });
})();
