// The KPI dashboard's charts (floor/kpi.html), drawn with ECharts from the page's JSON block
// (no inline script: Content-Security-Policy). A bar's click opens the figures behind it.
(function () {
  "use strict";
  var source = document.getElementById("kpi-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels || {};
  document.querySelectorAll("[data-chart]").forEach(function (node) {
    var key = node.dataset.chart;
    var figure = data[key];
    if (!figure) { return; }
    var chart = window.echarts.init(node);
    var series = [{ type: "bar", data: figure.values, name: key }];
    var yAxis = [{ type: "value" }];
    if (node.dataset.pareto) {
      yAxis.push({ type: "value", max: 100, name: L.cumulative });
      series.push({ type: "line", yAxisIndex: 1, data: figure.cumulative, name: L.cumulative });
      series[0].name = L[node.dataset.pareto];
    } else if (figure.target !== null && figure.target !== undefined) {
      series[0].markLine = { symbol: "none", data: [{ yAxis: figure.target, name: L.target }],
        label: { formatter: L.target + " {c}" } };
    }
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 50, bottom: 60 },
      xAxis: { type: "category", data: figure.labels, axisLabel: { rotate: 30 } },
      yAxis: yAxis,
      series: series
    });
    if (node.dataset.drill) {
      chart.on("click", function (params) {
        var url = node.dataset.drill;
        window.location.href = url.endsWith("=") ? url + encodeURIComponent(params.name) : url;
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
