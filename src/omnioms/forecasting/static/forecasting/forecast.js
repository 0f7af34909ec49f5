// History and forecast of one SKU or family (forecasting/series.html), drawn with ECharts.
// The data comes from the page's JSON block, so no script is inline (Content-Security-Policy).
(function () {
  "use strict";
  var node = document.getElementById("forecast-chart");
  var source = document.getElementById("forecast-data");
  if (!node || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var band = data.upper.map(function (p, i) {
    var low = data.lower[i] ? data.lower[i][1] : 0;
    return [p[0], Math.max(0, p[1] - low)];
  });
  var chart = window.echarts.init(node);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [L.history, L.statistical, L.final, L.sales] },
    xAxis: { type: "time" },
    yAxis: { type: "value", min: 0 },
    dataZoom: [{ type: "inside" }, { type: "slider" }],
    series: [
      { name: L.history, type: "bar", data: data.history, itemStyle: { color: "#9aa5b1" } },
      { name: "lower", type: "line", data: data.lower, stack: "band", symbol: "none",
        lineStyle: { opacity: 0 }, tooltip: { show: false } },
      { name: L.interval, type: "line", data: band, stack: "band", symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "#cfe3f7" }, tooltip: { show: false } },
      { name: L.statistical, type: "line", data: data.statistical, symbol: "none",
        lineStyle: { type: "dashed", color: "#1f77b4" } },
      { name: L.final, type: "line", data: data.final, symbol: "circle", lineStyle: { width: 2, color: "#d9480f" } },
      { name: L.sales, type: "scatter", data: data.sales, itemStyle: { color: "#2b8a3e" } },
      { name: "events", type: "line", data: [], markArea: {
          itemStyle: { color: "rgba(255, 200, 0, 0.15)" },
          data: data.events.map(function (e) { return [{ name: e.name, xAxis: e.start }, { xAxis: e.end }]; })
        } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
