/* Small page helpers for the repairs pages (no inline scripts under the CSP). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.addEventListener("click", function () { window.print(); });
  });
}());
