/* Planner map helpers: text, escaping, numbers and dates, JSON requests, the view in the URL. */
(function () {
  "use strict";
  var NTM = (window.NTM = window.NTM || {});
  var config = JSON.parse(document.getElementById("ntm-config").textContent);
  NTM.config = config;
  NTM.text = config.text;
  NTM.lang = config.lang;

  NTM.t = function (key, values) {
    var s = NTM.text[key] || key;
    Object.keys(values || {}).forEach(function (k) { s = s.replace("{" + k + "}", values[k]); });
    return s;
  };

  /* Everything shown that came from data goes through esc() (or textContent). */
  NTM.esc = function (value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };

  NTM.number = function (value, decimals) {
    if (value === null || value === undefined) return NTM.text.no_data;
    var locale = NTM.lang === "en" ? "en-GB" : "vi-VN";
    return Number(value).toLocaleString(locale, {
      minimumFractionDigits: decimals || 0, maximumFractionDigits: decimals || 0,
    });
  };

  /* "2026-04-02" (or an ISO date-time) to "02/04/2026"; nothing else is shown as a date.
     The result goes into HTML unescaped, so it is only ever digits and slashes or no_data. */
  NTM.date = function (iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ""));
    return m ? m[3] + "/" + m[2] + "/" + m[1] : NTM.text.no_data;
  };

  /* "dd/mm/yyyy" (what a Vietnamese user types) to ISO; "" stays ""; anything else is null. */
  NTM.parseDate = function (text) {
    text = String(text || "").trim();
    if (!text) return "";
    var m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
    if (!m) return null;
    var d = new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1])));
    if (d.getUTCDate() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1) return null;
    return d.toISOString().slice(0, 10);
  };

  NTM.dateTime = function (iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return NTM.date(iso);
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  };

  NTM.csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  /* fetch + JSON; a failure becomes an Error whose message is the server's Vietnamese one. */
  NTM.request = function (url, options) {
    options = options || {};
    var init = { method: options.method || (options.body !== undefined ? "POST" : "GET"), headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = NTM.csrf();
      init.body = JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (body) {
        var data = null;
        try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var err = new Error((data && data.error) || NTM.text.error + " (" + response.status + ")");
          err.status = response.status;
          throw err;
        }
        return data;
      });
    }, function () {
      throw new Error(NTM.text.error + ". " + NTM.text.error_retry);
    });
  };

  NTM.query = function (params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v !== null && v !== undefined && v !== "") parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    });
    return parts.length ? "?" + parts.join("&") : "";
  };

  /* The view lives in the URL: query parameters for theme and filters, #z/lat/lon for the extent. */
  var STATE_KEYS = ["theme", "cls", "set", "criterion", "cstat", "diff", "ntm", "dept", "dist", "from", "to",
    "types", "org", "act", "heat", "labels", "base", "list", "c", "lang", "w", "cov", "tab"];
  NTM.readState = function () {
    var params = new URLSearchParams(window.location.search);
    var state = {};
    STATE_KEYS.forEach(function (k) { state[k] = params.get(k) || ""; });
    var hash = window.location.hash.replace("#", "").split("/");
    if (hash.length === 3 && hash.every(function (x) { return x !== "" && !isNaN(Number(x)); })) {
      state.view = { zoom: Number(hash[0]), lat: Number(hash[1]), lon: Number(hash[2]) };
    }
    return state;
  };
  NTM.writeState = function (state, map) {
    var params = {};
    STATE_KEYS.forEach(function (k) { if (state[k]) params[k] = state[k]; });
    var hash = "";
    if (map) {
      var c = map.getCenter();
      hash = "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    }
    var url = window.location.pathname + NTM.query(params) + hash;
    if (url !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.replaceState(null, "", url);
    }
  };

  NTM.option = function (select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
    return o;
  };

  NTM.kindLabel = function (kind) { return NTM.text["kind_" + kind] || kind; };
})();
