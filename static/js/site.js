/* What every page shares: after a failed submit, focus moves to the error summary (so a
 * screen reader reads what to mend, and a keyboard user starts there); its links move focus
 * to the field they name. */
(function () {
  "use strict";
  function start() {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) return;
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (!field) return;
        event.preventDefault();
        var shown = field.tomselect ? field.tomselect.control_input : field;
        shown.focus();
        shown.scrollIntoView({ block: "center" });
      });
    }
  }
  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
