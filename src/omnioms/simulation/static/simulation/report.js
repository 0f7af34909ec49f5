// The simulation report's charts: the months of each policy, the targets dashed.
const data = JSON.parse(document.getElementById("report-data").textContent);
const labels = data.__labels__;
delete data.__labels__;
const targets = {otd: 0.95, oee: 0.80};
for (const key of ["otd","oee","inventory_days","forecast_accuracy","stockout_days","overtime_hours"]) {
  const el = document.getElementById(key);
  if (!window.echarts || !el) continue;
  const names = Object.keys(data);
  const months = names.length ? data[names[0]].months : [];
  const bars = key === "stockout_days" || key === "overtime_hours";
  const series = names.map(n => ({name: n, type: bars ? "bar" : "line", data: data[n][key] || []}));
  const dashed = (name, value) => ({
    name, type: "line", data: months.map(() => value), lineStyle: {type: "dashed"},
    symbol: "none", color: "#888",
  });
  if (targets[key]) series.push(dashed("target", targets[key]));
  if (key === "inventory_days" && names.length) {
    const [lo, hi] = data[names[0]].benchmark;
    series.push(dashed("band low", lo), dashed("band high", hi));
  }
  echarts.init(el).setOption({title: {text: labels[key], textStyle: {fontSize: 14}}, tooltip: {trigger: "axis"},
    legend: {top: 24}, grid: {top: 60, left: 50, right: 20, bottom: 30},
    xAxis: {type: "category", data: months}, yAxis: {type: "value", scale: true}, series});
}
