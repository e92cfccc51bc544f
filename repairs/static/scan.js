/* Scan station: one input that keeps focus; F1–F5 or mode barcodes switch the mode;
   each scanned code (the scanner types it and Enter) is POSTed to the scan API.
   Big green/red feedback and a beep generated with the Web Audio API (no files). */
(function () {
  "use strict";
  var root = document.getElementById("scan-station");
  if (!root) { return; }
  var input = document.getElementById("scan-input");
  var form = document.getElementById("scan-form");
  var feedback = document.getElementById("feedback");
  var log = document.getElementById("scan-log");
  var MODE_KEYS = { F1: "receive", F2: "inspect", F3: "to_factory", F4: "from_factory", F5: "ship",
                    F10: "doa_receive" };
  var MODE_CODES = { "MODE-RECEIVE": "receive", "MODE-INSPECT": "inspect", "MODE-TO-FACTORY": "to_factory",
                     "MODE-FROM-FACTORY": "from_factory", "MODE-SHIP": "ship", "MODE-DOA": "doa_receive" };
  var FLAG_KEYS = { F6: "human_damage", F7: "no_stock", F8: "out_of_warranty" };
  var FLAG_CODES = { "FLAG-DAMAGE": "human_damage", "FLAG-NOSTOCK": "no_stock", "FLAG-OOW": "out_of_warranty" };
  var OUTCOME_CODES = { "OUTCOME-REPAIRED": "repaired", "OUTCOME-REPLACED": "replaced",
                        "OUTCOME-UNREPAIRABLE": "unrepairable", "OUTCOME-SCRAP": "scrap" };
  var state = { mode: localStorage.getItem("depot.scan.mode") || "receive", parcel: null,
                findings: [], outcome: null, waitingReplacementFor: null, busy: false };
  var audio = null;

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      var now = audio.currentTime;
      osc.start(now);
      osc.stop(now + (ok ? 0.12 : 0.45));
    } catch (e) { /* no audio device: the colour still tells */ }
  }

  function text(el, value) { el.textContent = value == null ? "" : String(value); }

  function showOptions() {
    document.querySelectorAll(".mode").forEach(function (el) {
      el.classList.toggle("active", el.dataset.mode === state.mode);
    });
    var ctx = document.getElementById("ctx-parcel");
    ctx.hidden = !state.parcel; text(ctx.querySelector("b"), state.parcel);
    var f = document.getElementById("opt-findings");
    f.hidden = state.findings.length === 0; text(f.querySelector("b"), state.findings.join(", "));
    var label = document.getElementById("label-link");
    var template = root.dataset.rmaLabelUrl;
    label.hidden = !(state.parcel && template) || state.mode === "doa_receive";  // RMA labels only
    if (!label.hidden) { label.href = template.replace("RMA-PLACEHOLDER", encodeURIComponent(state.parcel)); }
    var o = document.getElementById("opt-outcome");
    o.hidden = !state.outcome; text(o.querySelector("b"), state.outcome);
  }

  function show(kind, message, unit) {
    feedback.className = "feedback " + kind;
    text(feedback.querySelector(".fb-message"), message);
    var box = feedback.querySelector(".fb-unit");
    box.innerHTML = "";
    if (unit) {
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
    var li = document.createElement("li");
    li.className = kind;
    text(li, new Date().toLocaleTimeString() + "  " + message + (unit ? "  [" + unit.serial + "]" : ""));
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 15) { log.removeChild(log.lastChild); }
  }

  function setMode(mode) {
    // An RMA parcel is no DOA application (and back): switching between them drops the context.
    if ((mode === "doa_receive") !== (state.mode === "doa_receive")) { state.parcel = null; }
    state.mode = mode; state.findings = []; state.outcome = null; state.waitingReplacementFor = null;
    localStorage.setItem("depot.scan.mode", mode);
    showOptions();
    show("idle", root.dataset.msgMode + " " + document.querySelector('.mode[data-mode="' + mode + '"]').textContent.trim());
  }

  function toggleFinding(name) {
    var i = state.findings.indexOf(name);
    if (i >= 0) { state.findings.splice(i, 1); } else { state.findings.push(name); }
    var doaDamage = state.mode === "doa_receive" && name === "human_damage";  // DOA: damage only
    if (state.mode !== "inspect" && !doaDamage) { setMode("inspect"); state.findings = [name]; }
    if (doaDamage) { state.findings = i >= 0 ? [] : [name]; }
    showOptions();
    show("idle", root.dataset.msgFlags);
  }

  function handleLocal(code) {
    var upper = code.toUpperCase();
    if (MODE_CODES[upper]) { setMode(MODE_CODES[upper]); return true; }
    if (FLAG_CODES[upper]) { toggleFinding(FLAG_CODES[upper]); return true; }
    if (OUTCOME_CODES[upper]) {
      if (state.mode !== "from_factory") { setMode("from_factory"); }
      state.outcome = OUTCOME_CODES[upper]; showOptions(); show("idle", root.dataset.msgFlags); return true;
    }
    return false;
  }

  function send(code) {
    var body = { mode: state.mode, code: code };
    if (state.parcel) { body.parcel = state.parcel; }
    if ((state.mode === "inspect" || state.mode === "doa_receive") && state.findings.length) {
      body.findings = state.findings.slice();
    }
    if (state.mode === "from_factory" && state.outcome) {
      if (state.outcome === "scrap") { body.outcome = "unrepairable"; body.scrap = true; }
      else { body.outcome = state.outcome; }
      if (state.waitingReplacementFor) { body.code = state.waitingReplacementFor; body.replacement_serial = code; }
    }
    state.busy = true;
    fetch(root.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (r) {
      var d = r.data || {};
      if (r.ok) {
        if (Object.prototype.hasOwnProperty.call(d, "context")) { state.parcel = d.context; }
        if (d.status === "needs_input") {
          state.waitingReplacementFor = code;
          show("pending", d.message, d.unit); beep(true);
        } else {
          if (state.mode === "inspect" || state.mode === "doa_receive") { state.findings = []; }
          if (state.mode === "from_factory") { state.outcome = null; state.waitingReplacementFor = null; }
          // A DOA unit without an approved application is recorded (200) but NOT accepted: show it red.
          var refused = d.status === "refused" || d.status === "not_approved";
          show(d.status === "already_done" ? "repeat" : (refused ? "bad" : "good"), d.message, d.unit); beep(!refused);
        }
      } else {
        state.waitingReplacementFor = null;
        var msg = d.message || ("HTTP " + d.status);
        show("bad", msg, d.unit); beep(false);
      }
      showOptions();
    }).catch(function () {
      show("bad", root.dataset.msgOffline); beep(false);
    }).then(function () { state.busy = false; input.focus(); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = input.value.trim();
    input.value = "";
    if (!code) { return; }
    if (handleLocal(code)) { return; }
    send(code);
  });

  document.addEventListener("keydown", function (ev) {
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
      state.parcel = null; state.findings = []; state.outcome = null; state.waitingReplacementFor = null;
      showOptions(); show("idle", root.dataset.msgCleared); input.focus();
    }
  });

  // The input keeps focus whatever is clicked or however the window was left.
  function refocus() { if (document.activeElement !== input) { input.focus(); } }
  input.addEventListener("blur", function () { setTimeout(refocus, 0); });
  window.addEventListener("focus", refocus);
  document.addEventListener("click", refocus);

  showOptions();
  refocus();
}());
