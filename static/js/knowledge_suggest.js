/* Answers from the knowledge base as a resident types (the report form), and as a call-taker
 * types (the console). The box is [data-knowledge-suggest] with:
 *   data-url         the JSON endpoint (?q=…) answering {"results": [{id, question, answer}]}
 *   data-fields      ids of the fields whose words are the question, comma-separated
 *   data-event-url   (the report form) where to count what the suggestions did: "shown",
 *                    "opened", then "filed" or "not_filed" (left having opened an answer)
 * The answers are written as text, never as HTML.
 */
(function () {
  "use strict";

  function visitToken() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setUp(box) {
    var fields = (box.dataset.fields || "").split(",").map(function (id) {
      return document.getElementById(id.trim());
    }).filter(Boolean);
    var list = box.querySelector("[data-knowledge-results]");
    var form = fields.length ? fields[0].form : null;
    var eventUrl = box.dataset.eventUrl;
    var visit = visitToken();
    var shown = false, opened = false, filed = false, timer = null, asked = "";

    function count(kind, article) {
      if (!eventUrl || !form) return;
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("visit", visit);
      data.append("kind", kind);
      if (article) data.append("article", article);
      if (navigator.sendBeacon) navigator.sendBeacon(eventUrl, data);
      else fetch(eventUrl, { method: "POST", body: data, credentials: "same-origin" });
    }

    function render(results) {
      list.textContent = "";
      results.forEach(function (item) {
        var li = document.createElement("li");
        li.dataset.article = item.id;
        var details = document.createElement("details");
        var summary = document.createElement("summary");
        summary.textContent = item.question;
        var answer = document.createElement("p");
        answer.textContent = item.answer;
        details.appendChild(summary);
        details.appendChild(answer);
        details.addEventListener("toggle", function () {
          if (details.open) {
            if (!opened) count("opened", item.id);
            opened = true;
          }
        });
        li.appendChild(details);
        list.appendChild(li);
      });
      box.hidden = results.length === 0;
      if (results.length && !shown) {
        shown = true;
        count("shown");
      }
      box.dispatchEvent(new CustomEvent("knowledge:results", { detail: results }));
    }

    function ask() {
      var words = fields.map(function (f) { return f.value; }).join(" ").trim();
      if (words === asked) return;
      asked = words;
      if (words.length < 2) { render([]); return; }
      fetch(box.dataset.url + "?q=" + encodeURIComponent(words.slice(0, 300)), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) { if (words === asked) render(body.results || []); })
        .catch(function () {});
    }

    fields.forEach(function (field) {
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(ask, 250);
      });
    });
    if (form && eventUrl) {
      form.addEventListener("submit", function () {
        filed = true;
        if (shown) count("filed");
      });
      window.addEventListener("pagehide", function () {
        if (opened && !filed) count("not_filed");
      });
    }
    ask();
  }

  document.querySelectorAll("[data-knowledge-suggest]").forEach(setUp);
})();
