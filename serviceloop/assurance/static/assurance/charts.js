// Assurance charts (Apache ECharts, vendored): availability per day, and the security risk
// heat map. Each chart element names its data with data-source (the id of a json_script
// element) and its kind with data-chart; labels come from data-label-* so they follow the
// page's language. No inline script or style: strict CSP.
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function daily(el, days) {
    var target = el.dataset.target === "" ? null : parseFloat(el.dataset.target);
    var values = days.map(function (d) { return d.percent; });
    var low = Math.min.apply(null, values.filter(function (v) { return v !== null; }).concat([target === null ? 100 : target]));
    var series = [{
      name: el.dataset.labelAvailability,
      type: "bar",
      data: values,
      itemStyle: { color: "#2f6fdf" },
    }];
    if (target !== null) {
      series.push({
        name: el.dataset.labelTarget,
        type: "line",
        symbol: "none",
        data: days.map(function () { return target; }),
        lineStyle: { type: "dashed", color: "#d9534f" },
      });
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: days.map(function (d) { return d.day.slice(5); }) },
      yAxis: { type: "value", min: Math.max(0, Math.floor(low - 1)), max: 100 },
      series: series,
    };
  }

  function heatmap(el, grid) {
    var cells = [];
    grid.forEach(function (row, r) {
      row.forEach(function (count, c) { cells.push([c, 4 - r, count]); });
    });
    return {
      tooltip: { position: "top" },
      grid: { left: 56, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: [1, 2, 3, 4, 5], name: el.dataset.labelLikelihood, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "category", data: [1, 2, 3, 4, 5], name: el.dataset.labelImpact, nameLocation: "middle", nameGap: 32 },
      visualMap: { min: 0, max: Math.max(1, Math.max.apply(null, cells.map(function (x) { return x[2]; }))), show: false, inRange: { color: ["#f8f9fa", "#f0ad4e", "#d9534f"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true } }],
    };
  }

  var kinds = { "availability-daily": daily, "risk-heatmap": heatmap };

  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = kinds[el.dataset.chart];
      var data = readJson(el.dataset.source);
      if (!build || data === null) return;
      el.style.height = (el.dataset.height || 260) + "px";
      var chart = window.echarts.init(el);
      chart.setOption(build(el, data));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
