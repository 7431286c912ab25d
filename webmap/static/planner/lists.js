/* Priority lists on the planner map: choose or create a list, add and remove communes by click,
   by a drawn rectangle or polygon, or all communes matching the filters; history, compare, export.
   Talks to /api/priority-lists (every change sends the list's version; a stale one gets 409). */
(function () {
  "use strict";
  var NTM = window.NTM, T = NTM.text, esc = NTM.esc;
  var $ = function (id) { return document.getElementById(id); };
  var API = "/api/priority-lists";
  var current = null, summaries = [], app = null, drawControl = null;

  function flash(message, isError) {
    var box = $("list-flash");
    if (!box) return;
    box.className = "flash" + (isError ? " error" : "");
    box.textContent = message;
    box.hidden = false;
  }

  function setCurrent(list) {
    current = list;
    app.listIds = new Set(list ? list.items.map(function (i) { return i.unit_id; }) : []);
    app.state.list = list ? String(list.id) : "";
    app.saveState();
    app.restyle();
    renderBody();
    NTM.panel.refresh();
    document.dispatchEvent(new CustomEvent("ntm:list", { detail: list }));
  }

  function loadSummaries(selectId) {
    return NTM.request(API).then(function (lists) {
      summaries = lists;
      var select = $("list-select");
      select.innerHTML = "";
      NTM.option(select, "", T.no_list);
      lists.forEach(function (l) { NTM.option(select, String(l.id), l.name + " (" + l.item_count + ")"); });
      select.value = selectId ? String(selectId) : "";
    });
  }

  function open(id) {
    if (!id) { setCurrent(null); return Promise.resolve(); }
    return NTM.request(API + "/" + id).then(setCurrent);
  }

  function reason() { var input = $("list-reason"); return input ? input.value.trim() : ""; }

  function change(path, ids, done) {
    if (!current) { flash(T.choose_list_first, true); NTM.showTab("list"); return Promise.resolve(); }
    if (!ids.length) return Promise.resolve();
    return NTM.request(API + "/" + current.id + path, { body: { unit_ids: ids, reason: reason() || null, version: current.version } })
      .then(function (result) {
        setCurrent(result.list);
        flash(done(result));
        return loadSummaries(current.id);
      }, function (err) {
        flash(err.message, true);
        NTM.showTab("list");
        if (err.status === 409) return open(current.id);
      });
  }

  NTM.lists = {
    current: function () { return current; },
    /* after a change made elsewhere (e.g. the ranking adds its top communes) */
    reload: function () {
      if (!current) return Promise.resolve();
      var id = current.id;
      return loadSummaries(id).then(function () { return open(id); });
    },
    selectMode: function () { var box = $("list-select-mode"); return !!(box && box.checked && current); },
    add: function (ids) {
      return change("/items", ids, function (r) {
        var text = T.added_n.replace("{n}", r.added.length);
        if (r.skipped && r.skipped.length) text += " · " + T.skipped_n.replace("{n}", r.skipped.length);
        return text;
      });
    },
    remove: function (ids) {
      return change("/items/remove", ids, function (r) { return T.removed_n.replace("{n}", r.removed.length); });
    },
    toggle: function (id) { return app.listIds.has(id) ? NTM.lists.remove([id]) : NTM.lists.add([id]); },
    init: function (theApp) {
      app = theApp;
      $("list-select").addEventListener("change", function () { open(this.value).catch(app.showError); });
      $("new-list-form").addEventListener("submit", createList);
      setupDraw();
      renderBody();
      return loadSummaries(app.state.list).then(function () {
        if (!app.state.list) return null;
        return open(app.state.list).catch(function (err) {
          /* a list in the URL that no longer exists: say so, show the map without it */
          $("list-select").value = "";
          setCurrent(null);
          flash(err.message, true);
        });
      }, function (err) {
        $("list-body").innerHTML = '<p class="flash error">' + esc(err.status === 404 ? T.list_unavailable : err.message) + "</p>";
      });
    },
  };

  function createList(e) {
    e.preventDefault();
    var form = e.target, name = form.elements.name.value.trim();
    if (!name) { flash(T.name_required, true); form.elements.name.focus(); return; }
    var from = NTM.parseDate(form.elements.period_from.value), to = NTM.parseDate(form.elements.period_to.value);
    if (from === null || to === null) { flash(T.bad_date, true); return; }
    var body = { name: name, period_from: from || null, period_to: to || null, note: form.elements.note.value.trim() || null };
    NTM.request(API, { method: "POST", body: body }).then(function (list) {
      form.reset();
      $("new-list").open = false;
      return loadSummaries(list.id).then(function () { return open(list.id); });
    }).catch(function (err) { flash(err.message, true); });
  }

  function renderBody() {
    var body = $("list-body");
    if (!current) {
      body.innerHTML = '<p id="list-flash" class="flash" hidden></p><p class="muted">' + esc(T.choose_list_first) + "</p>";
      return;
    }
    var html = '<p id="list-flash" class="flash" hidden></p>';
    html += "<h3>" + esc(current.name) + "</h3>";
    html += '<p class="muted">' + esc(T.period) + ": " + (current.period_from ? NTM.date(current.period_from) : "…") + " – " + (current.period_to ? NTM.date(current.period_to) : "…") + "</p>";
    if (current.note) html += '<p class="muted">' + esc(current.note) + "</p>";
    html += '<label class="check select-mode"><input type="checkbox" id="list-select-mode"> ' + esc(NTM.lang === "en" ? "Click communes on the map to add or remove them" : "Bấm vào xã trên bản đồ để thêm hoặc bỏ") + "</label>";
    html += '<label class="stack">' + esc(T.reason_prompt) + ' <input type="text" id="list-reason" maxlength="500"></label>';
    html += '<p class="muted">' + esc(T.draw_hint) + "</p>";
    html += '<div class="list-tools"><button type="button" id="add-matching">' + esc(T.add_matching) + "</button></div>";
    html += "<h3>" + esc(T.priority) + " (" + current.items.length + ")</h3>";
    if (!current.items.length) html += '<p class="muted">' + esc(T.list_empty) + "</p>";
    html += '<ul class="list-items">' + current.items.map(function (item) {
      return '<li data-id="' + item.unit_id + '"><span class="name">' + esc(item.name) + "</span>" +
        (item.reason ? "<small>" + esc(item.reason) + "</small>" : "") +
        '<button type="button" class="danger" data-remove="' + item.unit_id + '" title="' + esc(T.remove_from_list) + '" aria-label="' + esc(T.remove_from_list + ": " + item.name) + '">×</button></li>';
    }).join("") + "</ul>";
    html += '<div class="list-tools"><a href="' + API + "/" + current.id + '/export.xlsx">' + esc(T.export) + ' Excel</a> · <a href="' + API + "/" + current.id + '/export.csv">' + esc(T.export) + " CSV</a></div>";
    html += '<details id="list-history"><summary>' + esc(T.history) + '</summary><ul class="list-items history" id="history-items"></ul></details>';
    html += '<div class="row"><label for="compare-select">' + esc(T.compare) + '</label><select id="compare-select"></select></div><div id="compare-result"></div>';
    body.innerHTML = html;
    bindBody();
  }

  function bindBody() {
    $("add-matching").addEventListener("click", function () { NTM.lists.add(app.matchingIds()); });
    document.querySelectorAll("[data-remove]").forEach(function (b) {
      b.addEventListener("click", function () { NTM.lists.remove([Number(b.dataset.remove)]); });
    });
    document.querySelectorAll(".list-items li .name").forEach(function (span) {
      span.addEventListener("click", function () { app.select(Number(span.parentNode.dataset.id), true); });
    });
    $("list-history").addEventListener("toggle", function () { if (this.open) loadHistory(); });
    var compare = $("compare-select");
    NTM.option(compare, "", "—");
    summaries.filter(function (s) { return s.id !== current.id; }).forEach(function (s) { NTM.option(compare, String(s.id), s.name); });
    compare.addEventListener("change", function () { if (this.value) loadCompare(this.value); else $("compare-result").innerHTML = ""; });
  }

  function loadHistory() {
    NTM.request(API + "/" + current.id + "/history").then(function (events) {
      $("history-items").innerHTML = events.map(function (ev) {
        return "<li><b>" + esc(ev.action === "add" ? T.added : T.removed) + "</b> " + esc(ev.name) +
          "<br><small>" + esc(T.by) + " " + esc(ev.by) + " · " + esc(NTM.dateTime(ev.at)) +
          (ev.reason ? " · " + esc(ev.reason) : "") + "</small></li>";
      }).join("") || "<li>" + esc(T.none_yet) + "</li>";
    }, function (err) { flash(err.message, true); });
  }

  function loadCompare(otherId) {
    NTM.request(API + "/" + current.id + "/compare/" + otherId).then(function (diff) {
      function names(items) { return items.map(function (i) { return esc(i.name || i); }).join(", ") || "—"; }
      $("compare-result").innerHTML = '<p class="muted"><b>' + esc(T.added) + ":</b> " + names(diff.added) + "<br><b>" + esc(T.removed) + ":</b> " + names(diff.removed) + "</p>";
    }, function (err) { flash(err.message, true); });
  }

  function localiseDraw() {
    if (NTM.lang !== "vi" || !L.drawLocal) return;
    var d = L.drawLocal.draw;
    d.toolbar.buttons.rectangle = "Vẽ hình chữ nhật để thêm các xã vào danh sách";
    d.toolbar.buttons.polygon = "Vẽ đa giác để thêm các xã vào danh sách";
    d.toolbar.actions = { title: "Huỷ vẽ", text: "Huỷ" };
    d.toolbar.finish = { title: "Kết thúc vẽ", text: "Xong" };
    d.toolbar.undo = { title: "Xoá điểm vừa vẽ", text: "Xoá điểm cuối" };
    d.handlers.rectangle.tooltip.start = "Bấm và kéo để vẽ hình chữ nhật.";
    d.handlers.simpleshape.tooltip.end = "Thả chuột để kết thúc.";
    d.handlers.polygon.tooltip = { start: "Bấm để bắt đầu vẽ.", cont: "Bấm để vẽ tiếp.", end: "Bấm vào điểm đầu tiên để khép đa giác." };
  }

  function setupDraw() {
    if (!L.Control.Draw) return;
    localiseDraw();
    var drawn = L.featureGroup().addTo(app.map);
    drawControl = new L.Control.Draw({
      position: "topleft",
      draw: { polyline: false, circle: false, circlemarker: false, marker: false,
        rectangle: { shapeOptions: { color: "#0b3d91", weight: 2 } }, polygon: { shapeOptions: { color: "#0b3d91", weight: 2 } } },
      edit: false,
    });
    app.map.addControl(drawControl);
    app.map.on(L.Draw.Event.CREATED, function (e) {
      drawn.clearLayers();
      drawn.addLayer(e.layer);
      if (!current) { flash(T.choose_list_first, true); NTM.showTab("list"); drawn.clearLayers(); return; }
      NTM.request("/api/map/communes-in-shape", { body: { geometry: e.layer.toGeoJSON().geometry } }).then(function (found) {
        return NTM.lists.add(found.unit_ids);
      }).catch(function (err) { flash(err.message, true); }).then(function () {
        setTimeout(function () { drawn.clearLayers(); }, 800);
      });
    });
  }
})();
