// Large imports (counts, freight bills, declared lists, price lists): show how much of
// the file is uploaded, then that the server is importing it, instead of a page that
// seems to hang. A form opts in by holding a [data-upload-progress] element (its texts,
// already translated, are in its data attributes). Without XMLHttpRequest upload events,
// or if the request fails, the form is submitted the plain way.
(function () {
  "use strict";

  function supported() {
    return window.FormData && window.XMLHttpRequest && window.DOMParser &&
      ("upload" in new window.XMLHttpRequest());
  }

  function show(status, text, fraction) {
    var label = status.querySelector("[data-upload-text]");
    var bar = status.querySelector("progress");
    status.hidden = false;
    if (label) { label.textContent = text; }
    if (bar) {
      if (fraction === null) { bar.removeAttribute("value"); } else { bar.value = fraction; }
    }
  }

  // The answer (the bill or count page after the redirect, or the form with its errors)
  // replaces this page, as a plain submit would have.
  function replacePage(xhr) {
    var doc = new window.DOMParser().parseFromString(xhr.responseText, "text/html");
    document.replaceChild(document.adoptNode(doc.documentElement), document.documentElement);
    if (xhr.responseURL && xhr.responseURL !== window.location.href && window.history.replaceState) {
      window.history.replaceState(null, "", xhr.responseURL);
    }
    window.scrollTo(0, 0);
    bind(document);
  }

  function send(form, status, submitter) {
    var data = new window.FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var xhr = new window.XMLHttpRequest();
    var buttons = form.querySelectorAll("button, input[type=submit]");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    xhr.open((form.getAttribute("method") || "post").toUpperCase(), form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var pct = Math.floor(100 * event.loaded / event.total);
        show(status, status.getAttribute("data-uploading") + " " + pct + " %", event.loaded / event.total);
      }
    });
    xhr.upload.addEventListener("load", function () {
      show(status, status.getAttribute("data-importing"), null);
    });
    xhr.addEventListener("load", function () { replacePage(xhr); });
    xhr.addEventListener("error", function () {
      // No answer (network, proxy): let the browser send the form itself.
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      status.hidden = true;
      form.submit();
    });
    show(status, status.getAttribute("data-uploading") + " 0 %", 0);
    xhr.send(data);
  }

  function bind(root) {
    if (!supported()) { return; }
    Array.prototype.forEach.call(root.querySelectorAll("[data-upload-progress]"), function (status) {
      var form = status.closest("form");
      if (!form || form.getAttribute("data-upload-bound")) { return; }
      form.setAttribute("data-upload-bound", "1");
      // The browser fires "submit" only once the form's own checks pass.
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form, status, event.submitter);
      });
    });
  }

  bind(document);
}());
