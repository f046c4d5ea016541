/* The call-takers' console (/desk/), for the keyboard:
 *   typing the number      the caller's earlier issues appear (an open one: a follow-up note)
 *   typing title/details   similar open issues and the classifier's category appear (the
 *                          knowledge answers: knowledge_suggest.js)
 *   Alt+1 … Alt+3          use that knowledge answer (fills "Answer given")
 *   Ctrl+Enter             file the call;  Alt+Enter  answer it on the spot
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-desk]");
  if (!root) return;
  var form = document.getElementById("desk-form");
  var outcome = form.querySelector("[data-desk-outcome]");
  var phone = form.elements.contact_phone;
  var title = form.elements.title;
  var description = form.elements.description;
  var category = form.elements.category;
  var answer = form.elements.answer;
  var article = form.elements.article;
  var suggested = form.querySelector("[data-desk-suggested]");
  var answers = [];
  var categoryTouched = false;

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : {}; });
  }

  function panel(name, items, build) {
    var box = root.querySelector('[data-desk-panel="' + name + '"]');
    var list = root.querySelector('[data-desk-list="' + name + '"]');
    list.textContent = "";
    items.forEach(function (item) { list.appendChild(build(item)); });
    box.hidden = items.length === 0;
  }

  function issueLine(item) {
    var li = document.createElement("li");
    li.dataset.issue = item.id;
    li.textContent = item.tracking_number + " · " + item.title + " · " + item.status_label;
    return li;
  }

  function callerLine(item) {
    var li = issueLine(item);
    if (item.open) {
      var follow = document.getElementById("desk-follow-up").content.cloneNode(true);
      follow.querySelector("form").action = item.follow_up_url;
      li.appendChild(follow);
    }
    return li;
  }

  var lookUpCaller = debounce(function () {
    var digits = phone.value.replace(/\D/g, "");
    if (digits.length < 7) { panel("caller", [], callerLine); return; }
    getJSON(root.dataset.callerUrl + "?phone=" + encodeURIComponent(digits)).then(function (body) {
      panel("caller", body.issues || [], callerLine);
    }).catch(function () {});
  }, 200);

  var lookUpSimilar = debounce(function () {
    if (!title.value.trim() && !description.value.trim()) return;
    var query = "?title=" + encodeURIComponent(title.value.slice(0, 200)) +
      "&description=" + encodeURIComponent(description.value.slice(0, 2000));
    getJSON(root.dataset.similarUrl + query).then(function (body) {
      panel("similar", body.issues || [], issueLine);
      if (body.category && !categoryTouched) {
        category.value = String(body.category.id);
        suggested.textContent = suggested.dataset.label || "";
        suggested.hidden = false;
        suggested.textContent = "✓ " + body.category.name;
      }
    }).catch(function () {});
  }, 300);

  phone.addEventListener("input", lookUpCaller);
  title.addEventListener("input", lookUpSimilar);
  description.addEventListener("input", lookUpSimilar);
  category.addEventListener("change", function () { categoryTouched = true; });

  var knowledge = root.querySelector("[data-knowledge-suggest]");
  knowledge.addEventListener("knowledge:results", function (event) {
    answers = event.detail || [];
    Array.prototype.forEach.call(knowledge.querySelectorAll("li"), function (li, index) {
      var use = document.createElement("button");
      use.type = "button";
      use.textContent = "Alt+" + (index + 1);
      use.addEventListener("click", function () { useAnswer(index); });
      li.insertBefore(use, li.firstChild);
    });
  });

  function useAnswer(index) {
    var item = answers[index];
    if (!item) return;
    answer.value = item.answer;
    article.value = String(item.id);
    answer.dispatchEvent(new Event("input"));
  }

  function send(kind) {
    outcome.value = kind;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  form.querySelectorAll("button[data-outcome]").forEach(function (button) {
    button.addEventListener("click", function () { outcome.value = button.dataset.outcome; });
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey && /^[1-3]$/.test(event.key)) {
      event.preventDefault();
      useAnswer(Number(event.key) - 1);
    } else if (event.key === "Enter" && event.ctrlKey) {
      event.preventDefault();
      send("file");
    } else if (event.key === "Enter" && event.altKey) {
      event.preventDefault();
      send("answer");
    }
  });
})();
