/* The activity layer of the planner map: clustered markers coloured by type, lines and areas as
   they are, an optional heat map, a legend of the types shown, and a popup fetched on click. */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text, esc = NTM.esc;
  var layers = null, seq = 0, prefetched = null, legendOpen = null;

  /* Created on first use: the map exists only once planner.js has run. */
  function ensureLayers(map) {
    if (layers) return layers;
    map.createPane("activities").style.zIndex = 450;
    layers = {
      renderer: L.svg({ pane: "activities" }),
      clusters: L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 45, disableClusteringAtZoom: 15, showCoverageOnHover: false }),
      shapes: L.featureGroup(),
      heat: null,
    };
    return layers;
  }

  function url() { return "/api/map/activities" + NTM.app.apiParams(); }

  function popup(e) {
    var app = NTM.app;
    NTM.request("/api/map/activities/" + e.target.featureId).then(function (a) {
      var rows = [
        [T.activity_type, NTM.lang === "en" ? a.type_en : a.type_vi], [T.period, NTM.date(a.date)],
        [T.organiser, a.organiser || T.no_data], ["", a.communes.join(", ")],
      ];
      if (a.quantity !== null) rows.push(["", NTM.number(a.quantity, 1) + " " + (a.quantity_unit || "")]);
      if (a.participants !== null) rows.push(["", NTM.number(a.participants) + " " + T.participants]);
      var html = '<dl class="activity-popup">' + rows.map(function (r) {
        return "<dt>" + esc(r[0]) + "</dt><dd>" + esc(r[1]) + "</dd>";
      }).join("") + "</dl>";
      if (a.description) html += "<p>" + esc(a.description) + "</p>";
      if (a.is_demo) html += '<span class="tag demo">' + esc(T.demo) + "</span>";
      L.popup().setLatLng(e.latlng).setContent(html).openOn(app.map);
    }, app.showError);
  }

  function draw(data) {
    var app = NTM.app, map = app.map, l = ensureLayers(map);
    var colours = {}, points = [], markers = [];
    app.config.activity_types.forEach(function (t) { colours[t.code] = t.colour; });
    data.features.forEach(function (f) {
      var colour = colours[f.properties.t] || "#555555";
      app.activityCount[f.properties.t] = (app.activityCount[f.properties.t] || 0) + 1;
      if (f.geometry.type === "Point") {
        var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        points.push(ll);
        var m = L.circleMarker(ll, { renderer: l.renderer, radius: 6, color: "#ffffff", weight: 1.5, fillColor: colour, fillOpacity: 0.95 });
        m.featureId = f.id;
        m.on("click", popup);
        markers.push(m);
      } else {
        var g = L.geoJSON(f, { renderer: l.renderer, style: { color: colour, weight: 4, opacity: 0.9, fillColor: colour, fillOpacity: 0.35 } });
        g.eachLayer(function (x) { x.featureId = f.id; x.on("click", popup); });
        l.shapes.addLayer(g);
      }
    });
    /* the heat map stands in for the point markers (lines and areas stay) */
    if (app.state.heat !== "1" || !L.heatLayer) l.clusters.addLayers(markers);
    if (!map.hasLayer(l.clusters)) { l.clusters.addTo(map); l.shapes.addTo(map); }
    if (app.state.heat === "1" && L.heatLayer) {
      l.heat = L.heatLayer(points, { radius: 22, blur: 18, maxZoom: 11, minOpacity: 0.25 }).addTo(map);
      /* leaflet.heat draws into the overlay pane, under the commune fills: lift it above them */
      if (l.heat._canvas) map.getPane("activities").appendChild(l.heat._canvas);
    }
  }

  NTM.activities = {
    /* Ask for the layer at navigation time; load() draws it once the map is ready. */
    prefetch: function () {
      prefetched = NTM.request(url());
      prefetched.catch(function () {});  /* reported when load() uses it */
    },
    load: function () {
      var app = NTM.app, l = ensureLayers(app.map), mine = ++seq;
      l.clusters.clearLayers(); l.shapes.clearLayers();
      if (l.heat) { app.map.removeLayer(l.heat); l.heat = null; }
      app.activityCount = {};
      var request = app.state.act === "1" ? prefetched || NTM.request(url()) : null;
      prefetched = null;
      if (!request) { if (app.attrs) app.renderLegend(); return Promise.resolve(); }
      return request.then(function (data) {
        if (mine !== seq) return;
        draw(data);
        if (app.attrs) app.renderLegend();
      });
    },
    legend: function () {
      var app = NTM.app;
      var types = app.config.activity_types.filter(function (t) { return app.activityCount[t.code]; });
      if (app.state.act !== "1" || !types.length) return "";
      if (legendOpen === null) legendOpen = types.length <= 6;
      var total = types.reduce(function (n, t) { return n + app.activityCount[t.code]; }, 0);
      return '<details class="activity-legend"' + (legendOpen ? " open" : "") + "><summary>" +
        esc(T.activities) + " (" + NTM.number(total) + ")</summary><ul>" + types.map(function (t) {
          return '<li><span class="swatch dot" style="background:' + esc(t.colour) + '"></span><span>' +
            esc(NTM.lang === "en" ? t.name_en : t.name_vi) + '</span><span class="count">' + NTM.number(app.activityCount[t.code]) + "</span></li>";
        }).join("") + "</ul></details>";
    },
    bindLegend: function (box) {
      var details = box.querySelector("details.activity-legend");
      if (details) details.addEventListener("toggle", function () { legendOpen = details.open; });
    },
  };
})();
