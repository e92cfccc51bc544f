/* Scan station: one input that keeps focus; F1–F5 / F10 or mode barcodes switch the mode.

   Every code typed (a scanner types it and Enter) becomes an entry of an ordered queue:
   - it gets a client id (a UUID) that is also its Idempotency-Key, and is written to
     IndexedDB before anything is sent, so a reload, a crash or a lost network keeps it;
   - entries are sent strictly in order, one at a time; the request body (open parcel,
     pending findings / outcome, replacement step) is resolved when the entry is sent, from
     the answers to the entries before it, and kept with the entry, so a retry is the very
     same request and the server applies it once;
   - mode, finding and outcome barcodes / keys and Esc are entries of the same queue, so they
     apply between exactly the scans they were typed between;
   - when Depot cannot be reached (no network, 5xx, timeout) the entry stays queued and is
     retried with the same key; an answer 4xx is shown against its code, and listed as a
     failed scan when the clerk had moved on (or it was held back), never dropped silently.

   The big panel shows the last code typed: its answer, or "n pending" while it waits.
   Other scripts may add keys with ``DepotStation.onKey("F9", fn)`` and listen to the
   ``depot:scan-answer`` event on #scan-station (detail: {code, level, answer, entry}). */
(function () {
  "use strict";
  var root = document.getElementById("scan-station");
  if (!root) { return; }
  var ds = root.dataset;
  var input = document.getElementById("scan-input");
  var form = document.getElementById("scan-form");
  var feedback = document.getElementById("feedback");
  var log = document.getElementById("scan-log");
  var queueStatus = document.getElementById("queue-status");
  var failedBox = document.getElementById("failed-scans");
  var failedList = document.getElementById("failed-list");

  var MODE_KEYS = { F1: "receive", F2: "inspect", F3: "to_factory", F4: "from_factory", F5: "ship",
                    F10: "doa_receive" };
  var MODE_CODES = { "MODE-RECEIVE": "receive", "MODE-INSPECT": "inspect", "MODE-TO-FACTORY": "to_factory",
                     "MODE-FROM-FACTORY": "from_factory", "MODE-SHIP": "ship", "MODE-DOA": "doa_receive" };
  var FLAG_KEYS = { F6: "human_damage", F7: "no_stock", F8: "out_of_warranty" };
  var FLAG_CODES = { "FLAG-DAMAGE": "human_damage", "FLAG-NOSTOCK": "no_stock", "FLAG-OOW": "out_of_warranty" };
  var OUTCOME_CODES = { "OUTCOME-REPAIRED": "repaired", "OUTCOME-REPLACED": "replaced",
                        "OUTCOME-UNREPAIRABLE": "unrepairable", "OUTCOME-SCRAP": "scrap" };
  // The answer's level (or, from a server without it, its status) -> the colour class.
  var LEVEL_CLASS = { success: "good", warning: "warn", error: "bad", done: "repeat", input: "input" };
  var LOG_LINES = 200;            // answered lines kept on screen and in IndexedDB
  var SEND_TIMEOUT_MS = 20000;    // an answer slower than this counts as lost: resent with the same key
  var RETRY_MIN_MS = 500, RETRY_MAX_MS = 10000;
  var SERVER_ERROR_TRIES = 3;     // a scan the server fails on (500) this often is listed as failed
  var DB_VERSION = 1;

  /* ---------- small helpers ---------- */

  function text(el, value) { el.textContent = value == null ? "" : String(value); }
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (m, k) { return values[k] == null ? m : values[k]; });
  }
  function clone(o) { return JSON.parse(JSON.stringify(o)); }
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    // Plain-HTTP intranets have no randomUUID (secure contexts only); getRandomValues works everywhere.
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function modeName(mode) {
    var el = document.querySelector('.mode[data-mode="' + mode + '"]');
    return el ? el.textContent.replace(/^\s*F\d+\s*/, "").trim() : mode;
  }

  var audio = null;
  function beep(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      var bad = kind === "bad", warn = kind === "warn";
      osc.type = bad ? "square" : "sine";
      osc.frequency.value = bad ? 220 : (warn ? 660 : 1320);
      gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      var now = audio.currentTime;
      osc.start(now);
      osc.stop(now + (bad ? 0.45 : (warn ? 0.3 : 0.12)));
    } catch (e) { /* no audio device: the colour still tells */ }
  }

  /* ---------- storage: IndexedDB, or memory when the browser has none ---------- */

  var store = (function () {
    var name = "depot-scan-station-" + (ds.user || "anon");
    var dbp = null;
    function open() {
      if (dbp) { return dbp; }
      dbp = new Promise(function (resolve) {
        var req;
        try { req = window.indexedDB.open(name, DB_VERSION); } catch (e) { resolve(null); return; }
        req.onupgradeneeded = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains("entries")) { db.createObjectStore("entries", { keyPath: "id" }); }
          if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { resolve(null); };
        req.onblocked = function () { resolve(null); };
      });
      return dbp;
    }
    function tx(stores, fn) {
      return open().then(function (db) {
        if (!db) { return null; }
        return new Promise(function (resolve, reject) {
          // Strict: "complete" means on disk, so a scan shown as waiting survives a power cut.
          var t = db.transaction(stores, "readwrite", { durability: "strict" });
          var out = fn(t);
          t.oncomplete = function () { resolve(out); };
          t.onerror = t.onabort = function () { reject(t.error); };
        });
      });
    }
    return {
      available: function () { return open().then(function (db) { return !!db; }); },
      load: function () {
        return open().then(function (db) {
          if (!db) { return { entries: [], sent: null }; }
          return new Promise(function (resolve) {
            var t = db.transaction(["entries", "meta"], "readonly");
            var out = { entries: [], sent: null };
            t.objectStore("entries").getAll().onsuccess = function (ev) { out.entries = ev.target.result || []; };
            t.objectStore("meta").get("sent").onsuccess = function (ev) { out.sent = ev.target.result || null; };
            t.oncomplete = function () { resolve(out); };
            t.onerror = function () { resolve(out); };
          });
        });
      },
      put: function (entry) { return tx(["entries"], function (t) { t.objectStore("entries").put(entry); }); },
      // An answered entry and the context it leaves are written together: a reload between the
      // two can never resend a scan from a context it already changed.
      settle: function (entry, sent) {
        return tx(["entries", "meta"], function (t) {
          t.objectStore("entries").put(entry);
          t.objectStore("meta").put(sent, "sent");
        });
      },
      remove: function (ids) {
        return tx(["entries"], function (t) { ids.forEach(function (id) { t.objectStore("entries").delete(id); }); });
      }
    };
  }());

  /* ---------- state: what the next scan sent will carry ---------- */

  function freshState(mode) {
    return { mode: mode || "receive", parcel: null, findings: [], outcome: null, waitingReplacementFor: null,
             confirmReceipt: null };
  }
  var sent = freshState(localStorage.getItem("depot.scan.mode") || "receive");  // replaced by the stored one
  var entries = [];      // every entry on screen, oldest first (queued ones and the last LOG_LINES answered)
  var seq = 0;           // typing order (entry.seq)
  var online = true, signedOut = false, ready = false, blocked = false;

  // A queued mode / finding / outcome / Esc entry changes the state when it is reached.
  function applyOp(s, op) {
    if (op.type === "mode") {
      // An RMA parcel is no DOA application (and back): switching between them drops the context.
      if ((op.mode === "doa_receive") !== (s.mode === "doa_receive")) { s.parcel = null; }
      s.mode = op.mode; s.findings = []; s.outcome = null; s.waitingReplacementFor = null; s.confirmReceipt = null;
    } else if (op.type === "flag") {
      var doaDamage = s.mode === "doa_receive" && op.name === "human_damage";  // DOA: damage only
      if (s.mode !== "inspect" && !doaDamage) {
        applyOp(s, { type: "mode", mode: "inspect" });
        s.findings = op.on ? [op.name] : [];
      } else if (doaDamage) {
        s.findings = op.on ? [op.name] : [];
      } else {
        s.findings = s.findings.filter(function (f) { return f !== op.name; });
        if (op.on) { s.findings.push(op.name); }
      }
    } else if (op.type === "outcome") {
      if (s.mode !== "from_factory") { applyOp(s, { type: "mode", mode: "from_factory" }); }
      s.outcome = op.outcome;
    } else if (op.type === "clear") {
      s.parcel = null; s.findings = []; s.outcome = null; s.waitingReplacementFor = null; s.confirmReceipt = null;
    }
  }

  // The request for a scan, from the state its turn finds.
  function bodyFor(s, code) {
    var body = { mode: s.mode, code: code };
    if (s.parcel) { body.parcel = s.parcel; }
    // The RMA label scanned again right after "units still expected": the clerk confirms the receipt.
    if (s.mode === "receive" && s.confirmReceipt && code.toUpperCase() === s.confirmReceipt.toUpperCase()) {
      body.confirm_missing = true;
    }
    if ((s.mode === "inspect" || s.mode === "doa_receive") && s.findings.length) { body.findings = s.findings.slice(); }
    if (s.mode === "from_factory" && s.outcome) {
      if (s.outcome === "scrap") { body.outcome = "unrepairable"; body.scrap = true; } else { body.outcome = s.outcome; }
      if (s.waitingReplacementFor) { body.code = s.waitingReplacementFor; body.replacement_serial = code; }
    }
    return body;
  }

  // What an answer leaves for the scans after it.
  function applyAnswer(s, entry, ok, d) {
    var mode = entry.body.mode;
    s.confirmReceipt = null;  // a confirmation is the very next scan, or none
    if (!ok) { s.waitingReplacementFor = null; return; }
    if (Object.prototype.hasOwnProperty.call(d, "context")) { s.parcel = d.context; }
    if (d.status === "needs_input" && d.needs === "confirm_missing") {
      s.confirmReceipt = (d.parcel && d.parcel.rma_number) || d.context || entry.code;
      return;
    }
    if (d.status === "needs_input") { s.waitingReplacementFor = entry.code; return; }
    if (mode === "inspect" || mode === "doa_receive") { s.findings = []; }
    if (mode === "from_factory") { s.outcome = null; s.waitingReplacementFor = null; }
  }

  function isPending(e) { return e.status === "queued" || e.status === "sending"; }
  function pendingScans() { return entries.filter(function (e) { return e.kind === "scan" && isPending(e); }); }

  // The state as the clerk will have it once everything typed is sent (shown on screen).
  function projected() {
    var s = clone(sent);
    entries.forEach(function (e) {
      if (!isPending(e)) { return; }
      if (e.kind === "op") { applyOp(s, e.op); return; }
      if (s.mode === "inspect" || s.mode === "doa_receive") { s.findings = []; }
      if (s.mode === "from_factory" && s.outcome !== "replaced") { s.outcome = null; }
    });
    return s;
  }

  /* ---------- screen ---------- */

  function showOptions() {
    var s = projected();
    document.querySelectorAll(".mode").forEach(function (el) {
      el.classList.toggle("active", el.dataset.mode === s.mode);
    });
    var ctx = document.getElementById("ctx-parcel");
    ctx.hidden = !s.parcel; text(ctx.querySelector("b"), s.parcel);
    var f = document.getElementById("opt-findings");
    f.hidden = s.findings.length === 0; text(f.querySelector("b"), s.findings.join(", "));
    var label = document.getElementById("label-link");
    var template = ds.rmaLabelUrl;
    label.hidden = !(s.parcel && template) || s.mode === "doa_receive";  // RMA labels only
    if (!label.hidden) { label.href = template.replace("RMA-PLACEHOLDER", encodeURIComponent(s.parcel)); }
    var o = document.getElementById("opt-outcome");
    o.hidden = !s.outcome; text(o.querySelector("b"), s.outcome);
  }

  function levelOf(entry) {
    if (entry.status === "queued" || entry.status === "sending") { return "waiting"; }
    var d = entry.answer || {};
    if (!entry.ok) { return "bad"; }
    if (LEVEL_CLASS[d.level]) { return LEVEL_CLASS[d.level]; }
    if (d.status === "already_done") { return "repeat"; }
    if (d.status === "needs_input") { return "input"; }
    // A DOA unit without an approved application is recorded (200) but NOT accepted: red.
    if (d.status === "refused" || d.status === "not_approved") { return "bad"; }
    return "good";
  }

  function lineText(entry) {
    if (entry.kind === "op") { return entry.message; }
    if (isPending(entry)) {
      return entry.lost ? fill(ds.msgOffline, { code: entry.code }) : ds.msgWaiting;
    }
    return (entry.answer && entry.answer.message) || fill(ds.msgHttp, { status: entry.http, code: entry.code });
  }

  function renderLine(entry) {
    if (entry.offLog) { return; }
    var li = entry.li;
    if (!li) {
      li = entry.li = document.createElement("li");
      li.dataset.key = entry.id;
      li.dataset.code = entry.code || "";
      var time = document.createElement("time");
      var code = document.createElement("b");
      code.className = "code";
      var msg = document.createElement("span");
      msg.className = "msg";
      li.appendChild(time); li.appendChild(code); li.appendChild(msg);
      text(time, new Date(entry.typedAt).toLocaleTimeString());
      text(code, entry.kind === "scan" ? entry.code : "");
      // Newest first: the line goes above every line typed before it.
      var before = null;
      for (var i = 0; i < log.children.length; i++) {
        if (Number(log.children[i].dataset.seq) < entry.seq) { before = log.children[i]; break; }
      }
      li.dataset.seq = entry.seq;
      log.insertBefore(li, before);
    }
    li.className = entry.kind === "op" ? "idle" : levelOf(entry) + (entry.lost && isPending(entry) ? " offline" : "");
    text(li.querySelector(".msg"), lineText(entry));
  }

  function lastTyped() { return entries.length ? entries[entries.length - 1] : null; }

  function unitLines(box, unit) {
    var parts = [unit.serial, unit.model, unit.rma_number, unit.dealer, unit.state_label];
    var line = document.createElement("div");
    line.className = "fb-line";
    text(line, parts.filter(Boolean).join(" · "));
    box.appendChild(line);
    if (unit.next_due) {
      var due = document.createElement("div");
      due.className = "fb-due" + (unit.overdue ? " overdue" : "");
      text(due, "→ " + unit.next_due);
      box.appendChild(due);
    }
  }

  function extraLines(box, d) {
    var p = d.parcel;
    if (p && p.expected != null && p.scanned != null) {
      var count = document.createElement("div");
      count.className = "fb-line fb-count";
      text(count, (p.rma_number ? p.rma_number + ": " : "") + fill(ds.msgScannedOf, { n: p.scanned, m: p.expected }));
      box.appendChild(count);
      var still = p.expected_serials || [];
      if (still.length) {
        var list = document.createElement("div");
        list.className = "fb-expected";
        text(list, ds.msgStillExpected + " " + still.slice(0, 30).join(", ") + (still.length > 30 ? " …" : ""));
        box.appendChild(list);
      }
    }
    if (d.box && d.box.number) {
      var b = document.createElement("div");
      b.className = "fb-line fb-box";
      text(b, fill(ds.msgBox, { number: d.box.number, destination: d.box.destination || "", count: d.box.count }));
      box.appendChild(b);
    }
    var elsewhere = d.open_elsewhere;
    if (elsewhere) {
      (Array.isArray(elsewhere) ? elsewhere : [elsewhere]).forEach(function (o) {
        if (!o) { return; }
        var line = document.createElement("div");
        line.className = "fb-line fb-elsewhere";
        var label = typeof o === "string" ? o : (o.label || o.rma_number || o.number || o.reference || "");
        var url = typeof o === "object" ? o.url : null;
        text(line, ds.msgOpenElsewhere + " ");
        var target = document.createElement(url && url.charAt(0) === "/" ? "a" : "span");
        if (target.tagName === "A") { target.href = url; target.target = "_blank"; target.rel = "noopener"; }
        text(target, label);
        line.appendChild(target);
        box.appendChild(line);
      });
    }
  }

  // The big panel: the last code typed (or the last mode / option change).
  function renderPanel() {
    var e = lastTyped();
    var box = feedback.querySelector(".fb-unit");
    var codeEl = feedback.querySelector(".fb-code");
    box.innerHTML = "";
    if (!e) { return; }
    if (e.kind === "op") {
      feedback.className = "feedback idle";
      text(codeEl, "");
      text(feedback.querySelector(".fb-message"), e.message);
      return;
    }
    text(codeEl, e.code);
    if (isPending(e)) {
      var held = e.lost || !online;
      feedback.className = "feedback waiting" + (held ? " offline" : "");
      text(feedback.querySelector(".fb-message"),
           held ? fill(ds.msgOffline, { code: e.code }) : fill(ds.msgPending, { n: pendingScans().length }));
      return;
    }
    feedback.className = "feedback " + levelOf(e);
    text(feedback.querySelector(".fb-message"), lineText(e));
    var d = e.answer || {};
    if (d.unit) { unitLines(box, d.unit); }
    extraLines(box, d);
  }

  function renderStatus() {
    var n = pendingScans().length;
    var msg = "", cls = "queue-status";
    if (signedOut) {
      msg = fill(ds.msgSignedOut, { n: n }); cls += " offline";
    } else if (!online) {
      msg = n ? fill(ds.msgOfflineQueue, { n: n }) : ds.msgOfflineEmpty; cls += " offline";
    } else if (n) {
      msg = fill(ds.msgPending, { n: n }); cls += " busy";
    }
    queueStatus.className = cls;
    text(queueStatus.querySelector(".qs-text"), msg);
    queueStatus.querySelector(".qs-login").hidden = !signedOut;
    queueStatus.dataset.pending = n;
    queueStatus.hidden = !msg;
    root.dataset.pending = n;
    root.dataset.online = online && !signedOut ? "1" : "0";
  }

  function renderFailed() {
    var listed = entries.filter(function (e) { return e.status === "failed" && e.listed; });
    failedBox.hidden = listed.length === 0;
    failedList.innerHTML = "";
    listed.forEach(function (e) {
      var li = document.createElement("li");
      li.dataset.key = e.id;
      li.dataset.code = e.code;
      var code = document.createElement("b");
      code.className = "code";
      text(code, e.code);
      var msg = document.createElement("span");
      msg.className = "msg";
      text(msg, lineText(e));
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "dismiss";
      text(btn, ds.msgDismiss);
      btn.addEventListener("click", function () { dismiss([e]); });
      li.appendChild(code); li.appendChild(msg); li.appendChild(btn);
      failedList.appendChild(li);
    });
  }

  function dismiss(list) {
    list.forEach(function (e) { e.listed = false; });
    Promise.all(list.map(function (e) { return store.put(strip(e)); })).then(prune);
    renderFailed();
    input.focus();
  }

  function render(entry) {
    if (entry) { renderLine(entry); }
    renderPanel();
    renderStatus();
    showOptions();
  }

  // Entries as stored (without their DOM line).
  function strip(e) {
    var out = {};
    Object.keys(e).forEach(function (k) { if (k !== "li" && k !== "saved" && k !== "offLog") { out[k] = e[k]; } });
    return out;
  }

  // The log shows the last LOG_LINES answered entries (and every queued one); older ones are
  // forgotten, except a failed scan still listed for the clerk, kept off the log until dismissed.
  function prune() {
    var answered = entries.filter(function (e) { return !isPending(e); });
    var over = answered.length - LOG_LINES;
    if (over <= 0) { return; }
    var ids = {};
    answered.slice(0, over).forEach(function (e) {
      if (e.li && e.li.parentNode) { e.li.parentNode.removeChild(e.li); }
      e.li = null;
      e.offLog = true;
      if (!(e.status === "failed" && e.listed)) { ids[e.id] = true; }
    });
    entries = entries.filter(function (e) { return !ids[e.id]; });
    var drop = Object.keys(ids);
    if (drop.length) { store.remove(drop); }
  }

  /* ---------- typing ---------- */

  // A typed entry is written to IndexedDB before it may be sent (the sender waits for
  // entry.saved); until every write is done, leaving the page asks first.
  var unsaved = 0;
  function save(entry) {
    unsaved += 1;
    entry.saved = store.put(strip(entry)).catch(function () { return null; }).then(function (v) {
      unsaved -= 1;
      root.dataset.unsaved = unsaved;
      return v;
    });
    root.dataset.unsaved = unsaved;
  }
  window.addEventListener("beforeunload", function (ev) {
    if (unsaved > 0) { ev.preventDefault(); ev.returnValue = ""; }
  });

  function enqueue(kind, fields) {
    if (blocked) { return null; }
    var entry = { id: uuid(), seq: ++seq, kind: kind, typedAt: Date.now(), status: "queued", attempts: 0 };
    Object.keys(fields).forEach(function (k) { entry[k] = fields[k]; });
    entries.push(entry);
    // Written to IndexedDB before it may be sent: the sender waits for this.
    save(entry);
    render(entry);
    wake();
    return entry;
  }

  function typeOp(op, message) {
    if (op.type === "mode") { localStorage.setItem("depot.scan.mode", op.mode); }
    enqueue("op", { op: op, message: message });
  }

  function setMode(mode) {
    typeOp({ type: "mode", mode: mode }, ds.msgMode + " " + modeName(mode));
  }

  function toggleFinding(name) {
    var s = projected();
    var inspecting = s.mode === "inspect" || (s.mode === "doa_receive" && name === "human_damage");
    var on = !(inspecting && s.findings.indexOf(name) >= 0);
    typeOp({ type: "flag", name: name, on: on }, ds.msgFlags);
  }

  function handleLocal(code) {
    var upper = code.toUpperCase();
    if (MODE_CODES[upper]) { setMode(MODE_CODES[upper]); return true; }
    if (FLAG_CODES[upper]) { toggleFinding(FLAG_CODES[upper]); return true; }
    if (OUTCOME_CODES[upper]) { typeOp({ type: "outcome", outcome: OUTCOME_CODES[upper] }, ds.msgFlags); return true; }
    return false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = input.value.trim();
    input.value = "";
    if (!code) { return; }
    if (handleLocal(code)) { return; }
    enqueue("scan", { code: code });
  });

  var keyHandlers = {};
  document.addEventListener("keydown", function (ev) {
    if (keyHandlers[ev.key]) {
      ev.preventDefault();
      keyHandlers[ev.key](ev, api);
      input.focus();
      return;
    }
    if (MODE_KEYS[ev.key]) { ev.preventDefault(); setMode(MODE_KEYS[ev.key]); input.focus(); return; }
    if (FLAG_KEYS[ev.key]) { ev.preventDefault(); toggleFinding(FLAG_KEYS[ev.key]); input.focus(); return; }
    if (ev.key === "F9") {
      ev.preventDefault();
      var link = document.getElementById("label-link");
      if (!link.hidden) { window.open(link.href, "_blank", "noopener"); }
      input.focus();
      return;
    }
    if (ev.key === "Escape") {
      typeOp({ type: "clear" }, ds.msgCleared);
      input.focus();
    }
  });

  document.getElementById("failed-dismiss-all").addEventListener("click", function () {
    dismiss(entries.filter(function (e) { return e.status === "failed" && e.listed; }));
  });

  /* ---------- sending, in order ---------- */

  var pumping = false, wakeUp = null, retryMs = RETRY_MIN_MS;

  function wake() {
    if (wakeUp) { var w = wakeUp; wakeUp = null; w(); }
    if (!pumping && ready) { pump(); }
  }

  function pause(ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { wakeUp = null; resolve(); }, ms);
      wakeUp = function () { clearTimeout(timer); resolve(); };
    });
  }

  function freshToken() {
    // A page served from the offline cache may carry an old session's CSRF token.
    return fetch(ds.pageUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok || r.redirected) { return null; }
      return r.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var el = doc.getElementById("scan-station");
        return el ? el.dataset.csrf : null;
      });
    }).catch(function () { return null; });
  }

  // One attempt: {answer: true, ok, http, data} or {retry: "offline" | "signin" | "csrf" | "later", wait}.
  function post(entry) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) { ctrl.abort(); } }, SEND_TIMEOUT_MS);
    return fetch(ds.url, {
      method: "POST", credentials: "same-origin", cache: "no-store", signal: ctrl ? ctrl.signal : undefined,
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": ds.csrf, "Idempotency-Key": entry.id },
      body: JSON.stringify(entry.body)
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) {
        var s = resp.status;
        // A bug on one scan (500 internal_error) must not hold the queue for ever: a few tries, then
        // it is a failed scan; an outage (502-504, 503 database away) is waited out.
        if (s === 500 && data && data.code === "internal_error" && entry.attempts >= SERVER_ERROR_TRIES) {
          return { answer: true, ok: false, http: s, data: data };
        }
        if (s >= 500 || s === 408) { return { retry: "offline" }; }
        if (s === 429) { return { retry: "later", wait: 1000 * (Number(resp.headers.get("Retry-After")) || 2) }; }
        if (s === 401 || (resp.redirected && !data)) { return { retry: "signin" }; }
        if (s === 400 && data && data.code === "csrf_failed") { return { retry: "csrf" }; }
        return { answer: true, ok: resp.ok, http: s, data: data || {} };
      });
    }, function () { return { retry: "offline" }; }).then(function (r) { clearTimeout(timer); return r; });
  }

  function setOnline(value) {
    if (online !== value) { online = value; renderStatus(); renderPanel(); }
  }

  function settle(entry, r) {
    var wasLast = lastTyped() === entry;
    applyAnswer(sent, entry, r.ok, r.data);
    entry.status = r.ok ? "done" : "failed";
    entry.ok = r.ok;
    entry.http = r.http;
    entry.answer = r.data;
    entry.answeredAt = Date.now();
    // The clerk saw it in the big panel only if it was the last code typed and came at once.
    entry.listed = !r.ok && (!wasLast || entry.attempts > 1 || !!entry.lost);
    entry.lost = false;
    var level = levelOf(entry);
    beep(level);
    return store.settle(strip(entry), clone(sent)).catch(function () { return null; }).then(function () {
      render(entry);
      renderFailed();
      prune();
      root.dispatchEvent(new CustomEvent("depot:scan-answer", {
        detail: { code: entry.code, level: level, answer: entry.answer, entry: strip(entry) } }));
    });
  }

  function pump() {
    if (pumping) { return Promise.resolve(); }
    pumping = true;
    function step() {
      var entry = null;
      for (var i = 0; i < entries.length; i++) { if (isPending(entries[i])) { entry = entries[i]; break; } }
      if (!entry) { pumping = false; renderStatus(); return Promise.resolve(); }
      return Promise.resolve(entry.saved).then(function () {
        if (entry.kind === "op") {
          applyOp(sent, entry.op);
          entry.status = "done";
          return store.settle(strip(entry), clone(sent)).catch(function () { return null; }).then(function () {
            render(entry); prune(); return step();
          });
        }
        if (!entry.body) {
          // The context is the one earlier answers left, fixed now and kept for every retry.
          entry.body = bodyFor(sent, entry.code);
          entry.status = "sending";
        }
        entry.attempts += 1;
        // The first try needs no write: the body follows from the stored context, which only an
        // answer changes. A retry records that the scan is being sent again.
        var noted = entry.attempts > 1 ? store.put(strip(entry)).catch(function () { return null; }) : null;
        return Promise.resolve(noted).then(function () {
          return post(entry);
        }).then(function (r) {
          if (r.answer) {
            retryMs = RETRY_MIN_MS;
            signedOut = false;
            setOnline(true);
            return settle(entry, r).then(step);
          }
          if (r.retry === "csrf") {
            // A page from the offline cache, or a new session: take the current token and resend.
            return freshToken().then(function (token) {
              if (token && token !== ds.csrf) { ds.csrf = token; return step(); }
              signedOut = true; render(entry);
              return pause(retryMs).then(step);
            });
          }
          signedOut = r.retry === "signin";
          if (r.retry === "offline") { setOnline(false); entry.lost = true; }
          render(entry);
          var wait = r.wait || retryMs;
          retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
          return pause(wait).then(step);
        });
      });
    }
    return step().catch(function (err) {
      pumping = false;
      if (window.console) { console.warn("scan queue", err); }
      setTimeout(wake, RETRY_MIN_MS);
    });
  }

  window.addEventListener("online", function () { retryMs = RETRY_MIN_MS; wake(); });
  window.addEventListener("offline", function () { setOnline(false); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { wake(); } });

  /* ---------- start: the stored queue first ---------- */

  function start() {
  store.load().then(function (stored) {
    if (stored.sent) { sent = stored.sent; }
    stored.entries.sort(function (a, b) { return a.seq - b.seq; });
    stored.entries.forEach(function (e) { seq = Math.max(seq, e.seq); });
    // Anything typed while the store was opening comes after what was stored.
    var early = entries;
    entries = stored.entries;
    early.forEach(function (e) { e.seq = ++seq; save(e); });
    entries = entries.concat(early);
    log.innerHTML = "";
    entries.forEach(function (e) { e.li = null; renderLine(e); });
    ready = true;
    if (!entries.length) { showOptions(); } else { render(null); }
    renderFailed();
    prune();
    wake();
  });
  }

  // One sender per browser and user: a second station tab would send the same queue from
  // its own idea of the context. It waits, and takes over when the first one closes.
  function otherTab() {
    blocked = true;
    input.disabled = true;
    feedback.className = "feedback bad";
    text(feedback.querySelector(".fb-message"), ds.msgOtherTab);
  }
  if (navigator.locks && navigator.locks.request) {
    var lockName = "depot-scan-station-" + (ds.user || "anon");
    navigator.locks.request(lockName, { ifAvailable: true }, function (lock) {
      if (!lock) {
        otherTab();
        navigator.locks.request(lockName, function () { window.location.reload(); });
        return null;
      }
      start();
      return new Promise(function () { /* held as long as this page lives */ });
    });
  } else {
    start();
  }

  // The station page and its files load without the network once visited.
  if ("serviceWorker" in navigator && ds.swUrl) {
    navigator.serviceWorker.register(ds.swUrl, { scope: ds.swScope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = [ds.pageUrl];
      document.querySelectorAll('link[rel="stylesheet"][href], script[src], link[rel~="icon"][href]')
        .forEach(function (el) { urls.push(el.getAttribute("href") || el.getAttribute("src")); });
      if (reg.active) { reg.active.postMessage({ type: "cache-shell", urls: urls }); }
    }).catch(function () { /* no service worker (plain HTTP): the queue still keeps every scan */ });
  }

  // The input keeps focus whatever is clicked or however the window was left.
  function refocus() {
    var a = document.activeElement;
    // Controls in the side panel (a dismiss button, a form another panel adds) keep their focus.
    if (a !== input && !(a && a.closest && a.closest(".scan-side"))) {
      input.focus();
    }
  }
  input.addEventListener("blur", function () { setTimeout(refocus, 0); });
  window.addEventListener("focus", refocus);
  document.addEventListener("click", refocus);

  var api = {
    /** Bind a key (e.g. "F9") to fn(event, station); it runs instead of the built-in binding. */
    onKey: function (key, fn) { keyHandlers[key] = fn; },
    /** The context the next scan will carry once everything typed is sent: {mode, parcel, ...}. */
    state: function () { return projected(); },
    /** How many scans wait for their answer. */
    pending: function () { return pendingScans().length; },
    /** The station's root element (listen to "depot:scan-answer" there). */
    root: root
  };
  window.DepotStation = api;

  showOptions();
  refocus();
}());
