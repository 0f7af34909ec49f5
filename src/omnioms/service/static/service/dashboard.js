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
    // Times have two bars per group: the median and the 90th percentile.
    var p90 = data.p90 && data.p90[metric];
    var series = [{ name: p90 ? data.names.median : data.labels[metric], type: "bar",
      data: data.series[metric], itemStyle: { color: "#3b6fd4" } }];
    if (p90) {
      series.push({ name: data.names.p90, type: "bar", data: p90, itemStyle: { color: "#a9c1ef" } });
    }
    chart.setOption({
      title: { text: data.labels[metric], textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: p90 ? { top: 20, right: 16 } : { show: false },
      grid: { left: 48, right: 16, bottom: 48, top: p90 ? 56 : 40 },
      xAxis: { type: "category", data: data.keys, axisLabel: { rotate: data.keys.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: 0 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
