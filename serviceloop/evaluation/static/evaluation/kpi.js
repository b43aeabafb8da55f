// KPI trend chart (Apache ECharts, vendored): the stored values per period as a line, the
// target as a dashed line. Data comes from a json_script element named by data-source;
// labels from data-label-*. No inline script or style: strict CSP.
(function () {
  "use strict";

  function draw(el) {
    var node = document.getElementById(el.dataset.source);
    if (!node || !window.echarts) { return; }
    var points = JSON.parse(node.textContent);
    var target = el.dataset.target === "" ? null : parseFloat(el.dataset.target);
    var series = [{
      name: el.dataset.labelValue,
      type: "line",
      data: points.map(function (p) { return p.value; }),
      connectNulls: false,
      itemStyle: { color: "#2f6fdf" },
    }];
    if (target !== null) {
      series.push({
        name: el.dataset.labelTarget,
        type: "line",
        symbol: "none",
        data: points.map(function () { return target; }),
        lineStyle: { type: "dashed", color: "#d9534f" },
      });
    }
    el.style.height = "260px";
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 40 },
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
