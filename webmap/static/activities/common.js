/* Activity pages: configuration, escaping, numbers, JSON requests with the CSRF token, boundaries. */
(function () {
  "use strict";
  var A = (window.NTMA = window.NTMA || {});
  A.config = JSON.parse(document.getElementById("activity-config").textContent);
  A.t = function (key) { return A.config.text[key] || key; };

  /* Everything shown that came from data goes through esc() (or textContent). */
  A.esc = function (value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };

  A.number = function (value, decimals) {
    if (value === null || value === undefined) return "";
    return Number(value).toLocaleString(A.config.lang === "en" ? "en-GB" : "vi-VN", {
      minimumFractionDigits: decimals || 0, maximumFractionDigits: decimals || 0,
    });
  };

  A.date = function (iso) {
    if (!iso) return "";
    var p = String(iso).slice(0, 10).split("-");
    return p[2] + "/" + p[1] + "/" + p[0];
  };

  A.csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  /* fetch JSON; resolves {status, body} whatever the status. */
  A.request = function (url, method, payload, isForm) {
    var headers = { "X-CSRFToken": A.csrf(), "Accept": "application/json" };
    if (payload && !isForm) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method || "GET", headers: headers, credentials: "same-origin",
      body: payload ? (isForm ? payload : JSON.stringify(payload)) : undefined,
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { status: r.status, body: body };
      });
    });
  };

  /* A map in element ``id`` where one place is drawn (point, line or polygon) with leaflet-draw;
     ``onChange(geometry or null)`` after each drawing, edit or deletion. Used by the activity
     form and the plan-item form. Returns {map, show(geojson, fit), geometry()}. */
  A.drawMap = function (id, onChange) {
    var map = L.map(id).setView([16.9, 106.9], 9);
    var drawn = new L.FeatureGroup().addTo(map);
    map.addControl(new L.Control.Draw({
      draw: { polyline: {}, polygon: { allowIntersection: true }, marker: {},
              rectangle: false, circle: false, circlemarker: false },
      edit: { featureGroup: drawn },
    }));
    function current() {
      var layers = drawn.getLayers();
      return layers.length ? layers[layers.length - 1].toGeoJSON().geometry : null;
    }
    map.on(L.Draw.Event.CREATED, function (e) { drawn.clearLayers(); drawn.addLayer(e.layer); onChange(current()); });
    map.on(L.Draw.Event.EDITED, function () { onChange(current()); });
    map.on(L.Draw.Event.DELETED, function () { onChange(current()); });
    return {
      map: map,
      geometry: current,
      show: function (geojson, fit) {
        drawn.clearLayers();
        if (!geojson) return;
        L.geoJSON(geojson, { style: { color: "#d84315", weight: 4 } }).eachLayer(function (l) { drawn.addLayer(l); });
        if (fit && drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { maxZoom: 15 });
      },
    };
  };

  A.loadBoundaries = function (map, url, fit) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (doc) {
        var layer = L.geoJSON(doc, {
          style: { color: "#2e7d32", weight: 1, fillOpacity: 0.03 }, interactive: false,
        }).addTo(map);
        if (fit && layer.getLayers().length) map.fitBounds(layer.getBounds());
        return layer;
      });
  };
})();
