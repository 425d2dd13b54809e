/* Draws a report's charts (Chart.js, served locally) from the JSON the page carries.
   The same numbers are in the page's tables, so nothing is lost without JavaScript.
   Each canvas gets data-drawn="1" once drawn. */
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colors = ["#1f5fbf", "#1b7f4b", "#a86400", "#b3261e", "#6b4fbb"];
  function draw(key, config) {
    var canvas = document.querySelector("canvas[data-chart='" + key + "']");
    if (!canvas || !data[key]) { return; }
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false,
                                     plugins: { legend: { display: config.type === "line" } } }, config.options || {});
    new Chart(canvas, config);
    canvas.setAttribute("data-drawn", "1");
  }
  draw("money", { type: "bar", data: { labels: data.money && data.money.labels,
    datasets: [{ data: data.money && data.money.values, backgroundColor: [colors[0], colors[1], colors[2], colors[3]] }] } });
  draw("payouts", { type: "bar", data: { labels: data.payouts && data.payouts.labels,
    datasets: [{ data: data.payouts && data.payouts.values, backgroundColor: [colors[1], colors[3], colors[0], colors[2]] }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  draw("hours", { type: "bar", data: { labels: data.hours && data.hours.labels,
    datasets: [{ data: data.hours && data.hours.values, backgroundColor: colors[2] }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  if (data.trend) {
    draw("trend", { type: "line", data: { labels: data.trend.labels, datasets: [
      { label: data.trend.bookingsLabel, data: data.trend.bookings, borderColor: colors[0], yAxisID: "y" },
      { label: data.trend.netLabel, data: data.trend.net, borderColor: colors[1], yAxisID: "y1" }] },
      options: { scales: { y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
                           y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } } });
  }
})();
