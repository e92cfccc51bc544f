/* Scan station: F9 prints the label of the unit last scanned on the clerk's default printer.

   Added to the station page by the labels package (template global ``station_print_script``),
   through the station's hooks: ``DepotStation.onKey("F9", fn)`` and the ``depot:scan-answer``
   event. Each press is one print job, sent with its own Idempotency-Key (a retried request
   prints once). Without a unit scanned yet, F9 opens the current parcel's label as before. */
(function () {
  "use strict";
  var me = document.currentScript;
  var station = window.DepotStation;
  if (!station || !me) { return; }
  var ds = me.dataset;
  var current = null;   // the serial of the unit of the last answer that named one

  var status = document.createElement("span");
  status.id = "station-print";
  status.className = "ctx";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.textContent = ds.msgHint;
  var options = station.root.querySelector(".options") || station.root;
  options.appendChild(status);

  function say(text, level) {
    status.textContent = text;
    status.className = "ctx print-" + (level || "info");
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] === undefined ? "" : values[k]; });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return "f9-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  station.root.addEventListener("depot:scan-answer", function (ev) {
    var answer = ev.detail && ev.detail.answer;
    if (answer && answer.unit && answer.unit.serial) {
      current = answer.unit.serial;
      say(fill(ds.msgReady, { serial: current }), "info");
    }
  });

  function printCurrent() {
    var serial = current;
    say(fill(ds.msgSending, { serial: serial }), "info");
    fetch(ds.printUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": station.root.dataset.csrf,
                 "Idempotency-Key": newKey() },
      body: JSON.stringify({ kind: "unit", codes: [serial] })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (d) { return { ok: resp.ok, d: d }; });
    }).then(function (r) {
      if (r.ok && r.d.status === "sent") {
        say(fill(ds.msgSent, { serial: serial, printer: r.d.printer.name }), "good");
      } else if (r.ok) {
        say(fill(ds.msgFailed, { serial: serial, reason: r.d.error || "" }), "bad");
      } else {
        say(fill(ds.msgRefused, { serial: serial, reason: r.d.message || "" }), "bad");
      }
    }).catch(function () {
      say(fill(ds.msgOffline, { serial: serial }), "bad");
    });
  }

  station.onKey("F9", function () {
    if (current) { printCurrent(); return; }
    var link = document.getElementById("label-link");
    if (link && !link.hidden) { window.open(link.href, "_blank", "noopener"); return; }
    say(ds.msgNothing, "bad");
  });
}());
