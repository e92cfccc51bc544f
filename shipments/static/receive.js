// Receive station: keep the scan box focused (a scanner types into whatever has
// focus) and beep on a bad scan so the clerk notices without looking.
(function () {
  "use strict";
  var input = document.getElementById("code");
  if (!input) { return; }
  input.focus();
  document.addEventListener("click", function (event) {
    var tag = event.target.tagName;
    if (tag !== "INPUT" && tag !== "BUTTON" && tag !== "A" && tag !== "TEXTAREA" && tag !== "SELECT") {
      input.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    // Escape clears what was typed so far; the scanner never sends it.
    if (event.key === "Escape") { input.value = ""; input.focus(); }
  });
  var feedback = document.querySelector(".feedback[data-tone='bad']");
  if (feedback && window.AudioContext) {
    try {
      var ctx = new window.AudioContext();
      var osc = ctx.createOscillator();
      osc.frequency.value = 220;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no sound available: the red banner is enough */ }
  }
}());
