/* Print pages: wait for the fonts and for base-map tiles (a few seconds at most); tiles that did
   not load (no internet, or the export browser blocked them) are dropped and the page says so.
   Then mark the page ready for the renderer. */
(function () {
  "use strict";
  var TILE_WAIT_MS = 4000;
  function settled(img) {
    if (img.complete) return Promise.resolve(img.naturalWidth > 0);
    return new Promise(function (resolve) {
      img.addEventListener("load", function () { resolve(true); });
      img.addEventListener("error", function () { resolve(false); });
    });
  }
  function withTimeout(promise, ms) {
    return Promise.race([promise, new Promise(function (resolve) { setTimeout(function () { resolve(false); }, ms); })]);
  }
  var tiles = Array.prototype.slice.call(document.querySelectorAll("img.tile"));
  var waits = tiles.map(function (img) { return withTimeout(settled(img), TILE_WAIT_MS); });
  Promise.all([document.fonts ? document.fonts.ready : null].concat(waits)).then(function (results) {
    var failed = 0;
    results.slice(1).forEach(function (ok, i) { if (!ok) { failed += 1; tiles[i].remove(); } });
    if (failed) document.querySelectorAll(".basemap-missing").forEach(function (p) { p.hidden = false; });
    document.body.dataset.basemap = tiles.length ? (failed ? "missing" : "ok") : "none";
    document.body.dataset.ready = "1";
  });
})();
