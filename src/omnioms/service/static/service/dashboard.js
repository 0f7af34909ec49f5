// The customer-service dashboard's charts (service/dashboard.html), one bar chart per figure.
// The data comes from the page's JSON block, so no script is inline (Content-Security-Policy).
(function () {
  "use strict";
  var source = document.getElementById("service-chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  document.querySelectorAll(".chart[data-metric]").forEach(function (node) {
    var metric = node.getAttribute("data-metric");
    var chart = window.echarts.init(node);
    chart.setOption({
      title: { text: data.labels[metric], textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, bottom: 48, top: 40 },
      xAxis: { type: "category", data: data.keys, axisLabel: { rotate: data.keys.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: 0 },
      series: [{ type: "bar", data: data.series[metric], itemStyle: { color: "#3b6fd4" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
