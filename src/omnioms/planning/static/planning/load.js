// Load against capacity per work centre, and per day (planning/plan_detail.html), with ECharts.
// The data comes from the page's JSON block, so no script is inline (Content-Security-Policy).
(function () {
  "use strict";
  var source = document.getElementById("load-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var charts = [];
  var node = document.getElementById("load-chart");
  if (node && data.load.length) {
    var chart = window.echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [L.load, L.capacity] },
      xAxis: { type: "category", data: data.load.map(function (r) { return r.work_center; }) },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: L.capacity, type: "bar", barGap: "-100%", itemStyle: { color: "#e3e8ee" },
          data: data.load.map(function (r) { return r.capacity_hours; }) },
        { name: L.load, type: "bar",
          data: data.load.map(function (r) {
            return { value: r.load_hours, itemStyle: { color: data.bottlenecks.indexOf(r.work_center) >= 0 ? "#d9480f" : "#1f77b4" } };
          }) }
      ]
    });
    charts.push(chart);
  }
  var daily = document.getElementById("daily-chart");
  if (daily && data.daily && data.daily.days) {
    var centres = Object.keys(data.daily.centres);
    var chart2 = window.echarts.init(daily);
    chart2.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", data: centres },
      xAxis: { type: "category", data: data.daily.days },
      yAxis: { type: "value", min: 0, name: "%" },
      dataZoom: [{ type: "inside" }, { type: "slider" }],
      series: centres.map(function (code) {
        var c = data.daily.centres[code];
        return { name: code, type: "line", symbol: "none",
          lineStyle: { width: data.bottlenecks.indexOf(code) >= 0 ? 3 : 1 },
          data: c.load.map(function (h, i) { return c.capacity[i] ? Math.round(1000 * h / c.capacity[i]) / 10 : null; }) };
      })
    });
    charts.push(chart2);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
