/* The report form's "is it one of these nearby?" (coordination.hot): once the resident has
   given a place (latitude and longitude, typed or picked on a map) it asks the platform for
   issues being handled nearby, most like the title first, and offers "me too" on each, which
   counts the resident (their account, or the phone or e-mail typed further down the form)
   instead of a second report. Without JavaScript the form works as before. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-testid=nearby-panel]");
  if (!panel) { return; }
  var form = panel.closest("form") || document.querySelector("form[enctype]");
  var field = function (name) { return document.getElementById("id_" + name); };
  var list = panel.querySelector(".nearby-list");
  var text = function (name) { return panel.getAttribute("data-text-" + name) || ""; };
  var timer = null, last = "";

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function item(result) {
    var li = document.createElement("li");
    var body = document.createElement("div");
    body.className = "nearby-text";
    var link = document.createElement("a");
    link.href = result.url;
    link.textContent = result.title;
    link.target = "_blank";
    link.rel = "noopener";
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = [
      result.category, result.area, result.status, result.filed_on,
      text("away").replace("{m}", result.within_m),
      text("supports").replace("{n}", result.supports)
    ].filter(Boolean).join(" · ");
    body.appendChild(link);
    body.appendChild(meta);
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = text("support");
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    button.addEventListener("click", function () { support(result, button, status); });
    li.appendChild(body);
    li.appendChild(button);
    li.appendChild(status);
    return li;
  }

  function support(result, button, status) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf());
    var phone = field("contact_phone"), email = field("contact_email");
    data.append("phone", phone ? phone.value : "");
    data.append("email", email ? email.value : "");
    button.disabled = true;
    fetch(result.support_url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      status.className = answer.ok ? "nearby-done" : "nearby-error";
      status.textContent = answer.ok ? text("supported") : answer.body.detail;
      button.disabled = answer.ok;
      if (!answer.ok && !(phone && phone.value) && !(email && email.value)) {
        status.textContent = answer.body.detail + " " + text("contact");
      }
    }).catch(function () { button.disabled = false; });
  }

  function lookup() {
    var lat = field("lat"), lon = field("lon"), title = field("title");
    if (!lat || !lon || !lat.value || !lon.value) { panel.hidden = true; return; }
    var query = "lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value) +
      "&q=" + encodeURIComponent(title ? title.value : "");
    if (query === last) { return; }
    last = query;
    fetch(panel.getAttribute("data-url") + "?" + query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) {
        list.textContent = "";
        body.results.forEach(function (result) { list.appendChild(item(result)); });
        panel.hidden = body.results.length === 0;
      })
      .catch(function () { panel.hidden = true; });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 400);
  }

  ["lat", "lon", "title"].forEach(function (name) {
    var input = field(name);
    if (input) {
      input.addEventListener("input", soon);
      input.addEventListener("change", soon);
    }
  });
  if (form) { form.addEventListener("change", soon); }
  lookup();
}());
