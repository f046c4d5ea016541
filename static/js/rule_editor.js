/* The rule editor: each condition shows only the input its "looks at" needs, and each
 * organisation row only what its "who" needs. Without JavaScript every input shows, labelled. */
(function () {
  "use strict";
  function sync(row, selector, attribute) {
    var select = row.querySelector(selector);
    if (!select) return;
    var update = function () {
      row.querySelectorAll("[" + attribute + "]").forEach(function (part) {
        part.hidden = part.getAttribute(attribute) !== select.value;
      });
    };
    select.addEventListener("change", update);
    update();
  }
  function start() {
    document.querySelectorAll("[data-condition]").forEach(function (row) {
      sync(row, "select[name$='-field']", "data-when");
    });
    document.querySelectorAll("[data-target]").forEach(function (row) {
      sync(row, "select[name$='-type']", "data-when-type");
    });
  }
  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
