// Standard answers offered while the question is typed on the hotline log page.
// Asks GET /api/v1/hotline/answers?q=...&brand_id=...&category=... (session cookie) and lists the
// best few; "Use this answer" copies it into the answer field and remembers which one it was.
(function () {
  "use strict";
  var question = document.getElementById("hl-question");
  var box = document.getElementById("hotline-suggestions");
  if (!question || !box) { return; }
  var answer = document.getElementById("hl-answer");
  var used = document.getElementById("hotline-standard-answer-id");
  var brand = document.getElementById("hl-brand");
  var category = document.getElementById("hl-category");
  var timer = null;
  var asked = 0;

  function clear() { while (box.firstChild) { box.removeChild(box.firstChild); } }

  function show(items) {
    clear();
    if (!items.length) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = box.dataset.empty;
      box.appendChild(none);
      return;
    }
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var q = document.createElement("strong");
      q.textContent = item.question;
      var a = document.createElement("div");
      a.className = "pre";
      a.textContent = item.answer;
      var use = document.createElement("button");
      use.type = "button";
      use.textContent = box.dataset.use;
      use.addEventListener("click", function () {
        if (answer) { answer.value = item.answer; }
        if (used) { used.value = String(item.id); }
      });
      li.appendChild(q);
      li.appendChild(a);
      li.appendChild(use);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function search() {
    var text = question.value.trim().slice(0, 100);
    if (text.length < 2) { clear(); return; }
    var params = new URLSearchParams({ q: text, limit: "5" });
    if (brand && brand.value) { params.set("brand_id", brand.value); }
    var mine = ++asked;
    fetch(question.dataset.searchUrl + "?" + params.toString(), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (resp) {
      return resp.ok ? resp.json() : { items: [] };
    }).then(function (body) {
      if (mine === asked) { show(body.items || []); }
    }).catch(function () { /* offline or refused: no suggestions, the form still works */ });
  }

  question.addEventListener("input", function () {
    if (used) { used.value = ""; }
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
  if (brand) { brand.addEventListener("change", search); }
  if (category) { category.addEventListener("change", search); }
}());
