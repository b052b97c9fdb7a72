// shopscope pages: draw the Plotly charts and refresh the live "today" tile. No inline scripts
// (the Content-Security-Policy forbids them), no external requests.
"use strict";

function drawCharts() {
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach((node) => {
    const target = document.getElementById(node.dataset.chart);
    if (!target || typeof Plotly === "undefined") return;
    const fig = JSON.parse(node.textContent);
    Plotly.newPlot(target, fig.data, fig.layout, { responsive: true, displaylogo: false })
      .then(() => target.setAttribute("data-rendered", "true"));
  });
}

function formatter(unit, currency) {
  const locale = document.documentElement.lang || "en";
  if (unit === "currency") {
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "USD" });
  }
  if (unit === "ratio") {
    return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
}

function refreshLive() {
  const box = document.getElementById("live");
  if (!box || !box.dataset.src) return;
  const every = parseInt(box.dataset.interval || "15000", 10);
  const currency = box.dataset.currency;
  const tick = () => {
    fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((live) => {
        if (!live) return;
        for (const fig of live.figures) {
          const cell = box.querySelector(`[data-live-key="${fig.key}"]`);
          if (cell && fig.today !== null) {
            cell.textContent = formatter(cell.dataset.unit, currency).format(fig.today);
          }
          const delta = box.querySelector(`[data-live-delta="${fig.key}"]`);
          if (delta) {
            delta.textContent = fig.delta_rel === null ? "–"
              : (fig.delta_rel >= 0 ? "+" : "") + (fig.delta_rel * 100).toFixed(1) + "%";
          }
        }
        box.dataset.refreshed = String(Date.now());
      })
      .catch(() => {});
  };
  window.setInterval(tick, every);
}

document.addEventListener("DOMContentLoaded", () => {
  drawCharts();
  refreshLive();
});
