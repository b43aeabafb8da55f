// Demand, capacity and budget charts (Apache ECharts, vendored). Each chart element names
// its data with data-source (the id of a json_script element) and its kind with data-chart;
// labels come from data-label-* so they follow the page's language. No inline script or
// style anywhere: strict CSP.
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function time(iso) { return Date.parse(iso); }

  // Capacity: the measured series, the least-squares trend line (extended to the forecast
  // crossing) and the warning and critical thresholds as horizontal lines.
  function capacity(el, data) {
    var labels = el.dataset;
    var series = [
      {
        name: labels.labelMeasured,
        type: "line",
        showSymbol: data.series.length < 60,
        data: data.series.map(function (p) { return [time(p[0]), p[1]]; }),
        markLine: {
          symbol: "none",
          silent: true,
          data: [
            { yAxis: data.warning, name: labels.labelWarning, lineStyle: { color: "#ffc107", type: "dashed" },
              label: { position: "insideStartTop", formatter: labels.labelWarning + " " + data.warning } },
            { yAxis: data.critical, name: labels.labelCritical, lineStyle: { color: "#dc3545", type: "dashed" },
              label: { position: "insideStartTop", formatter: labels.labelCritical + " " + data.critical } },
          ],
        },
      },
    ];
    if (data.trend.length) {
      series.push({
        name: labels.labelTrend,
        type: "line",
        showSymbol: false,
        lineStyle: { type: "dotted", width: 2, color: "#6f42c1" },
        itemStyle: { color: "#6f42c1" },
        data: data.trend.map(function (p) { return [time(p[0]), p[1]]; }),
        markPoint: data.crossing ? {
          symbol: "pin",
          symbolSize: 36,
          itemStyle: { color: "#dc3545" },
          label: { show: false },
          data: [{ name: labels.labelCrossing, coord: [time(data.crossing), data.critical] }],
        } : undefined,
      });
    }
    var values = data.series.map(function (p) { return p[1]; })
      .concat(data.trend.map(function (p) { return p[1]; }), [data.warning, data.critical]);
    var low = Math.min.apply(null, values), high = Math.max.apply(null, values);
    var pad = (high - low) * 0.08 || 1;
    return {
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : (+v).toFixed(2) + " " + data.unit; } },
      xAxis: { type: "time" },
      yAxis: { type: "value", min: Math.floor(low - pad), max: Math.ceil(high + pad), name: data.unit },
      series: series,
    };
  }

  // Demand: forecast and actual side by side per customer and service (or per period of one
  // record's series).
  function demand(el, data) {
    return {
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 4 ? 25 : 0, fontSize: 11 } },
      yAxis: { type: "value" },
      series: [
        { name: el.dataset.labelForecast, type: "bar", data: data.forecast, itemStyle: { color: "#adb5bd" } },
        { name: el.dataset.labelActual, type: "bar", data: data.actual, itemStyle: { color: "#0d6efd" } },
      ],
    };
  }

  // Budget: monthly cost bars, the cumulative cost line and the budget as a horizontal line.
  function budget(el, data) {
    return {
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : (+v).toFixed(2) + " " + data.currency; } },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value" },
      series: [
        { name: el.dataset.labelMonthly, type: "bar", data: data.monthly, itemStyle: { color: "#adb5bd" } },
        {
          name: el.dataset.labelCumulative, type: "line", data: data.cumulative, itemStyle: { color: "#0d6efd" },
          markLine: {
            symbol: "none", silent: true,
            lineStyle: { color: "#dc3545", type: "dashed" },
            label: { position: "insideStartTop", formatter: el.dataset.labelBudget + " " + data.budget },
            data: [{ yAxis: data.budget }],
          },
        },
      ],
    };
  }

  function categories(el, data) {
    return {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "70%"], data: data.categories, label: { fontSize: 11 } }],
    };
  }

  var BUILDERS = { capacity: capacity, demand: demand, budget: budget, categories: categories };

  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.dataset.chart];
      var data = readJson(el.dataset.source);
      if (!build || !data) return;
      var chart = window.echarts.init(el);
      chart.setOption(build(el, data));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
