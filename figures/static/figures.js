/* Dashboard charts: each <canvas data-src> fetches its numbers as JSON and draws them with Chart.js.
   No inline script (CSP script-src 'self'); the numbers are also one click away as a table. */
(function () {
  "use strict";
  var palette = ["#2f6fb0", "#e07b39", "#3a9d5d", "#b03a48", "#7a5fb0", "#8c8c8c"];

  function status(canvas, text) {
    var el = document.querySelector('.figures-chart-status[data-for="' + canvas.id + '"]');
    if (el) { el.textContent = text; }
  }

  function draw(canvas, data) {
    var percent = data.series.some(function (s) { return s.unit === "%"; });
    var datasets = data.series.filter(function (s) { return !s.hidden; }).map(function (s, i) {
      return {
        label: s.label,
        data: s.data,
        backgroundColor: palette[i % palette.length],
        borderColor: palette[i % palette.length],
        stack: s.stack,
        spanGaps: true,
        tension: 0.2
      };
    });
    var stacked = data.series.some(function (s) { return !!s.stack; });
    var counts = data.series.every(function (s) { return s.unit === "units"; });
    /* global Chart */
    new Chart(canvas, {
      type: data.kind === "line" ? "line" : "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, max: percent ? 100 : undefined,
               ticks: { precision: counts ? 0 : undefined } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    status(canvas, data.note || "");
  }

  function load(canvas) {
    fetch(canvas.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (data) { draw(canvas, data); })
      .catch(function () { status(canvas, canvas.closest("section").querySelector("h2").textContent + ": ⚠"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-src]").forEach(load);
  });
})();
