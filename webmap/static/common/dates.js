/* Date fields typed as dd/mm/yyyy (templates/_date_input.html). Wiring one moves its name to
   the hidden ISO field beside it, so the form and the page's scripts get ISO; typing fills that
   field, fires "change" on it and says what is wrong with a date that does not exist or is out
   of range; a script setting the ISO field's value updates the text too. Every field is wired
   when the page has loaded; a page script that reads dates at once calls NTMDates.wire(form)
   first. */
(function () {
  "use strict";
  var valueProperty = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
  var texts = null;

  function toIso(text) {
    var m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
    if (!m) return null;
    var d = new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1])));
    if (d.getUTCDate() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1) return null;
    return d.toISOString().slice(0, 10);
  }

  function toText(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
  }

  function wireOne(visible) {
    var hidden = visible.nextElementSibling;
    if (!hidden || hidden.dataset.isoFor !== visible.dataset.dateFor || hidden.name) return;
    texts = texts || JSON.parse(document.getElementById("date-texts").textContent);
    hidden.name = visible.name;
    visible.removeAttribute("name");
    Object.defineProperty(hidden, "value", {
      get: function () { return valueProperty.get.call(hidden); },
      set: function (iso) {
        valueProperty.set.call(hidden, iso);
        valueProperty.set.call(visible, toText(iso));
      },
    });
    function check() {
      var text = visible.value.trim(), iso = text ? toIso(text) : "", problem = "";
      if (iso === null) problem = texts.invalid;
      else if (iso && visible.dataset.min && iso < visible.dataset.min) problem = texts.before.replace("{d}", toText(visible.dataset.min));
      else if (iso && visible.dataset.max && iso > visible.dataset.max) problem = texts.after.replace("{d}", toText(visible.dataset.max));
      visible.setCustomValidity(problem);
      var now = iso === null ? "" : iso;
      if (now !== valueProperty.get.call(hidden)) {
        valueProperty.set.call(hidden, now);
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    visible.addEventListener("input", check);
    visible.addEventListener("change", check);
    check();
  }

  window.NTMDates = {
    wire: function (root) { (root || document).querySelectorAll("input[data-date-for]").forEach(wireOne); },
    toIso: toIso,
  };
  document.addEventListener("DOMContentLoaded", function () { window.NTMDates.wire(document); });
})();
