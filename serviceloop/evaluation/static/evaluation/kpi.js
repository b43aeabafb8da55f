// KPI trend chart (Apache ECharts, vendored): the stored values of the last periods as a
// line, the target and the warning threshold as dashed lines. Data comes from a json_script
// element named by data-source ([{period, value, target, warning}]); labels from
// data-label-*. No inline script or style: strict CSP.
(function () {
  "use strict";

  function level(points, key) {
    var values = points.map(function (p) { return p[key]; });
    return values.some(function (v) { return v !== null && v !== undefined; }) ? values : null;
  }

  function draw(el) {
    var node = document.getElementById(el.dataset.source);
    if (!node || !window.echarts) { return; }
    var points = JSON.parse(node.textContent);
    var series = [{
      name: el.dataset.labelValue,
      type: "line",
      data: points.map(function (p) { return p.value; }),
      connectNulls: false,
      itemStyle: { color: "#2f6fdf" },
    }];
    var target = level(points, "target");
    if (target) {
      series.push({
        name: el.dataset.labelTarget, type: "line", symbol: "none", data: target,
        lineStyle: { type: "dashed", color: "#198754" }, itemStyle: { color: "#198754" },
      });
    }
    var warning = level(points, "warning");
    if (warning) {
      series.push({
        name: el.dataset.labelWarning, type: "line", symbol: "none", data: warning,
        lineStyle: { type: "dotted", color: "#d9534f" }, itemStyle: { color: "#d9534f" },
      });
    }
    el.style.height = "260px";
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 40 },
      xAxis: { type: "category", data: points.map(function (p) { return p.period; }) },
      yAxis: { type: "value", scale: true },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('[data-chart="kpi-trend"]').forEach(draw);
  });
})();
