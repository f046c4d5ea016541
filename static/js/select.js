/* Searchable selects: every select[data-searchable] becomes a tom-select (vendored:
 * static/vendor/tom-select/). Options are found by their text and by data-search
 * (other language's name, pinyin and its initials), so "ludeng", "ld", "路灯" and "street light"
 * all find 路灯损坏. Groups keep their order; a multiple select gets remove buttons. Without
 * JavaScript the plain select works as it is.
 */
(function () {
  "use strict";

  var labels = {};

  function enhance(select) {
    if (select.tomselect) return;
    var own = document.querySelector('label[for="' + select.id + '"]');
    if (own) labels[select.id] = own;
    var multiple = select.multiple;
    var settings = {
      searchField: ["text", "search"],
      maxOptions: null,
      lockOptgroupOrder: true,
      allowEmptyOption: true,
      hidePlaceholder: false,
      plugins: multiple ? ["remove_button"] : [],
      render: {
        no_results: function () {
          return '<div class="no-results">' + (select.dataset.noResults || "—") + "</div>";
        }
      },
      onInitialize: function () {
        // The control's input takes the select's label and description; the original
        // select, hidden but still read by assistive technology, keeps its name too
        // (tom-select points the label at its own input).
        var input = this.control_input;
        var label = labels[select.id];
        if (label) {
          label.id = label.id || select.id + "-label";
          input.setAttribute("aria-labelledby", label.id);
          select.setAttribute("aria-labelledby", label.id);
        }
        var described = select.getAttribute("aria-describedby");
        if (described) input.setAttribute("aria-describedby", described);
        if (select.getAttribute("aria-invalid") === "true") input.setAttribute("aria-invalid", "true");
      }
    };
    new TomSelect(select, settings);
  }

  function start() {
    if (typeof TomSelect === "undefined") return;
    document.querySelectorAll("select[data-searchable]").forEach(enhance);
  }
  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
  window.platformSearchable = enhance;
})();
