/* Planner map: communes coloured by a theme, filters, search, activities; all from the JSON API.
   Themes and filters restyle the loaded layer in the browser; only parameters that change the
   numbers (criteria set, criterion, period, activity type, organiser) ask the server again. */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text;
  var map = window[NTM.config.map];
  var $ = function (id) { return document.getElementById(id); };
  var state = NTM.readState();
  ["theme:difficulty", "act:1", "labels:1", "base:none"].forEach(function (pair) {
    var kv = pair.split(":");
    if (!state[kv[0]]) state[kv[0]] = kv[1];
  });
  var app = (NTM.app = {
    map: map, state: state, config: null, attrs: null, listIds: new Set(), selected: null,
    byId: {}, levels: {}, level: null, layer: null, activityCount: {}, extraThemes: {},
  });
  var seq = { attrs: 0 };
  window.ntmReady = false;
  window.ntmRenderCount = 0;

  if (!map.options.maxZoom) map.setMaxZoom(18);
  var outlineLayer = null, labelLayer = L.layerGroup().addTo(map), labelPoints = {};
  var baseLayer = null;

  if (state.view) map.setView([state.view.lat, state.view.lon], state.view.zoom, { animate: false });

  app.apiParams = apiParams;
  function apiParams(extra) {
    var p = { set: state.set, criterion: state.criterion, from: state.from, to: state.to, types: state.types, organisers: state.org, lang: NTM.lang };
    return NTM.query(Object.assign(p, extra || {}));
  }
  function showError(err) {
    var box = $("map-error");
    box.textContent = err.message || String(err);
    box.hidden = false;
    $("map-busy").hidden = true;
  }
  app.showError = showError;
  function busy(on) { $("map-busy").hidden = !on; if (on) $("map-error").hidden = true; }
  app.saveState = function () { NTM.writeState(state, map); };

  /* ---- boundaries ---------------------------------------------------------------------- */
  function levelForZoom(zoom) {
    var level = 0;
    app.config.zoom_bands.forEach(function (b) { if (zoom >= b.min_zoom) level = b.level; });
    return level;
  }
  /* A level is one L.geoJSON layer filled by tiles: levels with a tile size are asked for the
     part of the province in view (what a national map needs); level 0 comes whole. */
  function levelEntry(level) {
    if (!app.levels[level]) {
      app.levels[level] = { layer: L.geoJSON(null, { style: styleFor, onEachFeature: bindFeature }), byId: {}, tiles: {} };
    }
    return app.levels[level];
  }
  function tileKeys(level) {
    var deg = app.config.zoom_bands[level].tile_deg;
    if (!deg) return [""];
    var b = map.getBounds().pad(0.25), keys = [];
    for (var x = Math.floor(b.getWest() / deg); x <= Math.floor(b.getEast() / deg); x++) {
      for (var y = Math.floor(b.getSouth() / deg); y <= Math.floor(b.getNorth() / deg); y++) {
        keys.push([x * deg, y * deg, (x + 1) * deg, (y + 1) * deg].map(function (v) { return v.toFixed(4); }).join(","));
      }
    }
    return keys;
  }
  function fetchTile(level, key) {
    var entry = levelEntry(level);
    if (!entry.tiles[key]) {
      entry.tiles[key] = NTM.request("/api/map/boundaries/" + level + NTM.query({ bbox: key })).then(function (data) {
        var fresh = data.features.filter(function (f) { return !entry.byId[f.id]; });
        entry.layer.addData(fresh);
        entry.layer.eachLayer(function (l) { entry.byId[l.feature.id] = l; });
      }, function (err) { delete entry.tiles[key]; throw err; });
    }
    return entry.tiles[key];
  }
  function useLevel(level) {
    return Promise.all(tileKeys(level).map(function (key) { return fetchTile(level, key); })).then(function () {
      if (levelForZoom(map.getZoom()) !== level && app.layer) return;
      var entry = levelEntry(level);
      if (app.layer !== entry.layer) {
        if (app.layer) map.removeLayer(app.layer);
        app.layer = entry.layer.addTo(map);
        app.level = level;
      }
      app.byId = entry.byId;
      return useOutline(level);
    });
  }
  var outlines = {};
  function useOutline(level) {
    if (!outlines[level]) {
      outlines[level] = NTM.request("/api/map/outline" + NTM.query({ level: level || "" })).then(function (data) {
        return L.geoJSON(data, { interactive: false, style: { color: "#1b3a1b", weight: 2.6, fill: false } });
      }, function (err) { delete outlines[level]; throw err; });
    }
    return outlines[level].then(function (layer) {
      if (app.level !== level) return;
      if (outlineLayer && outlineLayer !== layer) map.removeLayer(outlineLayer);
      outlineLayer = layer.addTo(map);
      outlineLayer.bringToFront();
    });
  }
  /* Bounds of a commune from whatever level has it (level 0 always does once loaded). */
  app.boundsOf = function (id) {
    var layer = app.byId[id] || (app.levels[0] && app.levels[0].byId[id]);
    if (layer) return layer.getBounds();
    return app.labelPoints && app.labelPoints[id] ? L.latLng(app.labelPoints[id]).toBounds(3000) : null;
  };

  /* Themes computed in the browser (priority score, coverage, gaps) are kept in extraThemes and
     survive a reload of the attributes; until one has data it shows no class. */
  function themeOf() { return app.attrs.themes[state.theme] || { classes: [], assign: {} }; }
  app.setTheme = function (name, theme) {
    app.extraThemes[name] = theme;
    if (app.attrs) app.attrs.themes[name] = theme;
    if (state.theme === name) app.restyle();
  };
  function classOf(id) {
    var theme = themeOf(), key = theme.assign[id];
    return theme.classes.find(function (c) { return c.key === key; });
  }
  function matches(id) {
    var row = app.attrs && app.attrs.communes[id];
    if (!row) return false;
    if (state.diff && row.difficulty !== state.diff) return false;
    if (state.cstat && state.criterion && (row.criterion || "no_data") !== state.cstat) return false;
    if (state.ntm && app.attrs.themes.ntm.assign[id] !== state.ntm) return false;
    if (state.dept === "none" && row.sponsors.length) return false;
    if (state.dept && state.dept !== "none" && row.sponsors.indexOf(Number(state.dept)) < 0) return false;
    if (state.dist && row.former_districts.indexOf(state.dist) < 0) return false;
    if (state.cls && themeOf().assign[id] !== state.cls) return false;
    return true;
  }
  app.matchingIds = function () {
    return Object.keys(app.attrs.communes).filter(matches).map(Number);
  };
  function styleFor(feature) {
    if (!app.attrs) return { fillColor: "#ffffff", fillOpacity: 0.6, color: "#777777", weight: 0.8 };
    var id = feature.id, ok = matches(id), cls = classOf(id);
    var style = ok
      ? { fillColor: cls ? cls.color : "#cccccc", fillOpacity: 0.8, color: "#4a4a4a", weight: 0.9, opacity: 1 }
      : { fillColor: "#f3f3f3", fillOpacity: 0.45, color: "#b5b5b5", weight: 0.6, opacity: 1 };
    if (app.listIds.has(id)) { style.color = "#0b3d91"; style.weight = 3.2; }
    if (app.selected === id) { style.color = "#000000"; style.weight = 3.6; }
    return style;
  }
  function tooltipFor(layer) {
    if (!app.attrs) return "";
    var id = layer.feature.id, row = app.attrs.communes[id], cls = classOf(id);
    if (!row) return "";
    var html = "<b>" + NTM.esc(row.name) + "</b>";
    if (row.former_districts.length) html += "<br><small>" + NTM.esc(T.formerly) + ": " + NTM.esc(row.former_districts.join(", ")) + "</small>";
    html += "<br>" + NTM.esc(T["theme_" + state.theme]) + ": <b>" + NTM.esc(cls ? cls.label : T.no_data) + "</b>";
    if (state.theme === "unmet" && row.unmet !== null) html += " <small>(" + NTM.esc(T.unknown_criteria) + ": " + row.unknown + ")</small>";
    if (state.theme === "ntm" && row.ntm_derived) html += ' <span class="tag derived">' + NTM.esc(T.derived) + "</span>";
    if (state.theme === "coverage" || state.theme === "recency") {
      html += "<br><small>" + row.activities + " " + NTM.esc(T.activities_count);
      if (row.days_since !== null) html += " · " + row.days_since + " " + NTM.esc(T.days_since);
      html += "</small>";
    }
    if (app.tooltipExtra) html += app.tooltipExtra(id, state.theme);
    if (app.listIds.has(id)) html += "<br><small>★ " + NTM.esc(T.in_list) + "</small>";
    return html;
  }
  function bindFeature(feature, layer) {
    layer.bindTooltip(tooltipFor, { sticky: true, className: "commune-tip" });
    layer.on("mouseover", function () { layer.setStyle({ weight: Math.max(2.5, styleFor(feature).weight) }); });
    layer.on("mouseout", function () { layer.setStyle(styleFor(feature)); });
    layer.on("click", function () {
      if (NTM.lists && NTM.lists.selectMode()) NTM.lists.toggle(feature.id);
      else app.select(feature.id, false);
    });
  }

  /* ---- restyle + legend ---------------------------------------------------------------- */
  app.restyle = function () {
    if (!app.attrs || !app.layer) return;
    app.layer.setStyle(styleFor);
    renderLegend();
    var n = app.matchingIds().length, total = Object.keys(app.attrs.communes).length;
    $("match-count").textContent = NTM.number(n) + " " + T.of + " " + NTM.number(total) + " " + T.matching;
    $("map-empty").hidden = n > 0;
    window.ntmRenderCount += 1;
  };

  function swatch(color) {
    if (color.indexOf("url(") === 0) return '<span class="swatch hatch"></span>';
    return '<span class="swatch" style="background:' + NTM.esc(color) + '"></span>';
  }
  function legendTitle() {
    var title = T["theme_" + state.theme];
    if (state.theme === "criterion") {
      var c = app.config.criteria.find(function (x) { return String(x.id) === state.criterion; });
      title += ": " + (c ? c.number + ". " + (NTM.lang === "en" && c.name_en ? c.name_en : c.name_vi) : "—");
    }
    if (themeOf().subtitle) title += " (" + themeOf().subtitle + ")";
    if (state.theme === "coverage" || state.theme === "recency") {
      title += " (" + NTM.date(app.attrs.period.from) + "–" + NTM.date(app.attrs.period.to) + ")";
    }
    return title;
  }
  function renderLegend() {
    var theme = themeOf(), counts = {}, derived = {}, ids = app.matchingIds();
    ids.forEach(function (id) {
      var k = theme.assign[id];
      counts[k] = (counts[k] || 0) + 1;
      if (app.attrs.communes[id].ntm_derived) derived[k] = (derived[k] || 0) + 1;
    });
    var html = "<h3>" + NTM.esc(legendTitle()) + "</h3><ul>";
    theme.classes.forEach(function (c) {
      var n = counts[c.key] || 0;
      var d = state.theme === "ntm" ? derived[c.key] || 0 : 0;
      var extra = d ? ' <span class="tag derived">' + d + " " + NTM.esc(T.derived) + "</span>" : "";
      var cls = (n ? "" : "empty") + (state.cls === c.key ? " chosen" : "");
      html += '<li class="' + cls + '" data-key="' + NTM.esc(c.key) + '" tabindex="0" title="' + NTM.esc(T.legend_click) + '">' + swatch(c.color) +
        "<span>" + NTM.esc(c.label) + extra + '</span><span class="count">' + NTM.number(n) + "</span></li>";
    });
    html += "</ul>";
    if (app.listIds.size) html += '<ul><li><span class="swatch priority"></span><span>' + NTM.esc(T.in_list) + '</span><span class="count">' + app.listIds.size + "</span></li></ul>";
    if (state.theme === "difficulty" || state.theme === "ntm") html += '<p class="note">' + NTM.esc(T.derived_long) + "</p>";
    if (theme.note) html += '<p class="note">' + NTM.esc(theme.note) + "</p>";
    $("legend").innerHTML = html + NTM.activities.legend();
    $("legend").querySelectorAll("li[data-key]").forEach(function (li) {
      function pick() {
        state.cls = state.cls === li.dataset.key ? "" : li.dataset.key;
        app.restyle(); app.saveState();
      }
      li.addEventListener("click", pick);
      li.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
    });
    NTM.activities.bindLegend($("legend"));
  }
  app.renderLegend = renderLegend;
  /* ---- data ---------------------------------------------------------------------------- */
  app.loadAttributes = function () {
    var mine = ++seq.attrs;
    busy(true);
    return NTM.request("/api/map/attributes" + apiParams()).then(function (attrs) {
      if (mine !== seq.attrs) return;
      Object.keys(app.extraThemes).forEach(function (k) { attrs.themes[k] = app.extraThemes[k]; });
      app.attrs = attrs;
      fillAttributeFilters();
      if (!$("period-from").value) $("period-from").value = NTM.date(attrs.period.from);
      if (!$("period-to").value) $("period-to").value = NTM.date(attrs.period.to);
      busy(false);
      app.restyle();
    });
  };

  /* ---- labels ---------------------------------------------------------------------------- */
  function updateLabels() {
    labelLayer.clearLayers();
    if (state.labels !== "1" || map.getZoom() < 10 || !app.attrs) return;
    var bounds = map.getBounds().pad(0.2), placed = [];
    /* Largest communes first; a name that would overlap one already placed is left out. */
    var ids = Object.keys(labelPoints).filter(function (id) { return app.attrs.communes[id] && bounds.contains(labelPoints[id]); });
    ids.sort(function (a, b) { return (app.attrs.communes[b].area_km2 || 0) - (app.attrs.communes[a].area_km2 || 0); });
    ids.forEach(function (id) {
      var name = app.attrs.communes[id].name.replace(/^Xã /, "");
      var p = map.latLngToLayerPoint(labelPoints[id]), half = name.length * 3.4 + 4;
      var box = [p.x - half, p.y - 9, p.x + half, p.y + 9];
      if (placed.some(function (o) { return box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]; })) return;
      placed.push(box);
      L.marker(labelPoints[id], { interactive: false, keyboard: false, icon: L.divIcon({ className: "commune-label", html: "<span>" + NTM.esc(name) + "</span>", iconSize: [0, 0] }) }).addTo(labelLayer);
    });
  }

  /* ---- base maps ------------------------------------------------------------------------- */
  function useBasemap(key) {
    if (baseLayer) { map.removeLayer(baseLayer); baseLayer = null; }
    var choice = app.config.basemaps.find(function (b) { return b.key === key; });
    if (choice && choice.url) baseLayer = L.tileLayer(choice.url, { attribution: choice.attribution, maxZoom: 18 }).addTo(map);
    if (baseLayer) baseLayer.bringToBack();
  }

  /* ---- selection ----------------------------------------------------------------------- */
  app.select = function (id, zoomTo) {
    var previous = app.selected;
    app.selected = id;
    state.c = id ? String(id) : "";
    [previous, id].forEach(function (x) { if (x && app.byId[x]) app.byId[x].setStyle(styleFor(app.byId[x].feature)); });
    var bounds = id && zoomTo ? app.boundsOf(id) : null;
    if (bounds) map.fitBounds(bounds, { maxZoom: 12, padding: [40, 40] });
    app.saveState();
    if (id) NTM.panel.show(id);
  };

  /* ---- controls -------------------------------------------------------------------------- */
  function fillSelect(select, entries, value, allLabel) {
    select.innerHTML = "";
    if (allLabel !== null) NTM.option(select, "", allLabel || T.all);
    entries.forEach(function (e) { NTM.option(select, e[0], e[1]); });
    select.value = value || "";
    if (select.value !== (value || "")) select.value = "";
  }
  function fillStaticFilters() {
    var cfg = app.config;
    fillSelect($("criteria-set"), cfg.criteria_sets.map(function (s) {
      var period = s.name.split("giai đoạn ")[1] || s.name;
      return [String(s.id), period + " · " + s.legal_basis.split(" ").slice(0, 2).join(" ")];
    }), state.set || String(cfg.default_criteria_set || ""), null);
    $("criteria-set").title = (cfg.criteria_sets.find(function (s) { return String(s.id) === $("criteria-set").value; }) || {}).name || "";
    fillCriteria();
    fillSelect($("f-cstatus"), ["unmet", "met", "no_data"].map(function (k) { return [k, T[k]]; }), state.cstat);
    fillSelect($("f-dept"), [["none", T.sponsor_none]].concat(cfg.departments.map(function (d) { return [String(d.id), d.name]; })), state.dept);
    fillSelect($("f-type"), cfg.activity_types.map(function (t) { return [t.code, NTM.lang === "en" ? t.name_en : t.name_vi]; }), state.types);
    fillSelect($("f-org"), cfg.organisers.map(function (o) { return [String(o.id), o.name]; }), state.org);
    fillSelect($("basemap"), cfg.basemaps.map(function (b) { return [b.key, T["basemap_" + b.key]]; }), state.base, null);
    $("theme").value = state.theme;
    $("show-activities").checked = state.act === "1";
    $("show-heat").checked = state.heat === "1";
    $("show-labels").checked = state.labels === "1";
    if (state.from) $("period-from").value = NTM.date(state.from);
    if (state.to) $("period-to").value = NTM.date(state.to);
  }
  function fillCriteria() {
    var set = $("criteria-set").value;
    var items = app.config.criteria.filter(function (c) { return String(c.set) === set; });
    fillSelect($("criterion"), items.map(function (c) {
      return [String(c.id), c.number + ". " + (NTM.lang === "en" && c.name_en ? c.name_en : c.name_vi)];
    }), state.criterion, "—");
    state.criterion = $("criterion").value;
    $("f-cstatus").disabled = !state.criterion;
  }
  function fillAttributeFilters() {
    var a = app.attrs;
    fillSelect($("f-difficulty"), a.themes.difficulty.classes.map(function (c) { return [c.key, c.label]; }), state.diff);
    fillSelect($("f-ntm"), a.themes.ntm.classes.map(function (c) { return [c.key, c.label]; }), state.ntm);
    fillSelect($("f-district"), a.districts.map(function (d) { return [d, d]; }), state.dist);
  }

  function bindControls() {
    var clientSide = { "f-difficulty": "diff", "f-cstatus": "cstat", "f-ntm": "ntm", "f-dept": "dept", "f-district": "dist", theme: "theme" };
    Object.keys(clientSide).forEach(function (id) {
      $(id).addEventListener("change", function () {
        state[clientSide[id]] = this.value;
        if (id === "theme") state.cls = "";
        if (id === "theme" && this.value === "criterion" && !state.criterion) $("criterion").focus();
        app.restyle(); app.saveState();
      });
    });
    var serverSide = { "criteria-set": "set", criterion: "criterion", "period-from": "from", "period-to": "to", "f-type": "types", "f-org": "org" };
    Object.keys(serverSide).forEach(function (id) {
      $(id).addEventListener("change", function () {
        var value = this.value;
        if (this.classList.contains("date")) {
          value = NTM.parseDate(this.value);
          if (value === null) { showError(new Error(T.bad_date)); this.focus(); return; }
          $("map-error").hidden = true;
        }
        state[serverSide[id]] = value;
        if (id === "criteria-set") { state.criterion = ""; fillCriteria(); }
        if (id === "criterion") $("f-cstatus").disabled = !this.value;
        if (id === "criterion" && this.value && state.theme !== "criterion") { state.theme = "criterion"; $("theme").value = "criterion"; }
        app.saveState();
        var jobs = [app.loadAttributes()];
        if (["from", "to", "types", "org"].indexOf(serverSide[id]) >= 0) jobs.push(NTM.activities.load());
        Promise.all(jobs).catch(showError);
        if (app.selected && id === "criteria-set") NTM.panel.show(app.selected);
      });
    });
    $("show-activities").addEventListener("change", function () { state.act = this.checked ? "1" : "0"; app.saveState(); NTM.activities.load().catch(showError); });
    $("show-heat").addEventListener("change", function () { state.heat = this.checked ? "1" : ""; app.saveState(); NTM.activities.load().catch(showError); });
    $("show-labels").addEventListener("change", function () { state.labels = this.checked ? "1" : "0"; app.saveState(); updateLabels(); });
    $("basemap").addEventListener("change", function () { state.base = this.value; app.saveState(); useBasemap(this.value); });
    $("zoom-matching").addEventListener("click", function () {
      var bounds = L.latLngBounds([]);
      app.matchingIds().forEach(function (id) { var b = app.boundsOf(id); if (b) bounds.extend(b); });
      if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 12, padding: [30, 30] });
    });
    $("reset-filters").addEventListener("click", function () {
      ["diff", "cstat", "ntm", "dept", "dist", "cls"].forEach(function (k) { state[k] = ""; });
      ["f-difficulty", "f-cstatus", "f-ntm", "f-dept", "f-district"].forEach(function (id) { $(id).value = ""; });
      app.restyle(); app.saveState();
    });
    map.on("moveend", function () {
      app.saveState();
      updateLabels();
      useLevel(levelForZoom(map.getZoom())).then(function () { if (app.attrs) app.restyle(); }).catch(showError);
    });
    document.querySelectorAll(".lang a").forEach(function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        state.lang = a.dataset.lang;
        app.saveState();
        window.location.reload();
      });
    });
  }

  /* ---- start ----------------------------------------------------------------------------- */
  function start() {
    /* the activity layer is the largest download: ask for it at once, draw it once the map is ready */
    if (state.act === "1") NTM.activities.prefetch();
    NTM.request("/api/map/config").then(function (cfg) {
      app.config = cfg;
      if (!state.view) {
        /* fit the province beside the legend, which sits over the map's right edge */
        var b = cfg.bounds;
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { paddingTopLeft: [20, 20], paddingBottomRight: [260, 20], animate: false });
      }
      fillStaticFilters();
      state.set = state.set || "";
      bindControls();
      useBasemap(state.base);
      return Promise.all([
        useLevel(levelForZoom(map.getZoom())),
        levelForZoom(map.getZoom()) ? fetchTile(0, "") : null,
        app.loadAttributes(),
        NTM.request("/api/map/labels").then(function (points) { labelPoints = app.labelPoints = points; }),
      ]);
    }).then(function () {
      app.restyle();
      updateLabels();
      $("map-loading").hidden = true;
      window.ntmReadyAt = performance.now();
      window.ntmReady = true;
      document.dispatchEvent(new Event("ntm:ready"));
      NTM.search.init(app);
      var later = [NTM.activities.load().then(function () { window.ntmActivitiesReadyAt = performance.now(); window.ntmActivitiesReady = true; }), NTM.lists.init(app)];
      if (state.c) app.select(Number(state.c), !state.view);
      return Promise.all(later);
    }).catch(function (err) {
      $("map-loading").hidden = true;
      showError(err);
    });
  }
  start();
})();
