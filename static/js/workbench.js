/* Keyboard for the dispatcher (the dispatch centre's page and the workbench):
 *   j / k        move to the next / previous issue in the list ([data-rows] > [data-row])
 *   Enter / o    open it (its [data-open] link)
 *   /            go to the search box
 *   d            on an issue: go to the lead organisation's field (the dispatch form)
 *   Ctrl+Enter   send the form the focus is in
 * Keys typed into a field are the field's, except Ctrl+Enter.
 */
(function () {
  "use strict";

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-rows] [data-row]"));
  }

  function current(list) {
    var index = list.findIndex(function (row) { return row.classList.contains("is-current"); });
    return index;
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = current(list);
    var next = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    if (index >= 0) list[index].classList.remove("is-current");
    var row = list[next];
    row.classList.add("is-current");
    var link = row.querySelector("[data-open]");
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = event.target.closest && event.target.closest("form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "j") { event.preventDefault(); move(1); }
    else if (event.key === "k") { event.preventDefault(); move(-1); }
    else if (event.key === "o") {
      var list = rows(), index = current(list);
      var link = index >= 0 ? list[index].querySelector("[data-open]") : null;
      if (link) link.click();
    } else if (event.key === "/") {
      var search = document.querySelector("input[type=search]");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "d") {
      var lead = document.querySelector("[data-dispatch] select[name=lead]");
      if (lead) {
        event.preventDefault();
        var shown = lead.tomselect ? lead.tomselect : null;
        if (shown) { shown.focus(); shown.open(); } else { lead.focus(); }
      }
    }
  });
})();
