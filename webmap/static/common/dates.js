/* Date fields typed as dd/mm/yyyy (templates/_date_input.html): each visible text field fills
   the hidden ISO field of its form that carries the name, fires "change" on it for the page's
   own scripts, and shows what is wrong with a date that does not exist or is out of range.
   A script that sets the hidden field's value (e.g. a form filled from a plan) updates the
   visible one too. */
(function () {
  "use strict";
  var texts = JSON.parse(document.getElementById("date-texts").textContent);
  var valueProperty = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");

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

  function wire(visible) {
    var hidden = visible.form && visible.form.querySelector(
      'input[type="hidden"][name="' + visible.dataset.dateFor + '"]');
    if (!hidden) return;
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
      var before = valueProperty.get.call(hidden), now = iso === null ? "" : iso;
      if (now !== before) {
        valueProperty.set.call(hidden, now);
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    visible.addEventListener("input", check);
    visible.addEventListener("change", check);
    valueProperty.set.call(visible, toText(valueProperty.get.call(hidden)));
    check();
  }

  document.querySelectorAll("input[data-date-for]").forEach(wire);
})();
