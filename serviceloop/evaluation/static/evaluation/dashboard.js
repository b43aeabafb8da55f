// Dashboard KPI trends (Apache ECharts, vendored): a small line of the stored values per
// period, the current period last, with the target as a dashed line. Data comes from the
// json_script element named by data-source; labels from data-label-*. No inline script or
// style attribute: strict CSP (sizes are set through the DOM).
(function () {
  "use strict";

  var COLOURS = { ok: "#198754", warning: "#ffc107", breach: "#dc3545", no_data: "#6c757d" };

  function draw(el) {
    var node = document.getElementById(el.dataset.source);
    if (!node || !window.echarts || el.dataset.drawn) { return; }
    el.dataset.drawn = "1";
    var points = JSON.parse(node.textContent);
    var target = el.dataset.target === "" ? null : parseFloat(el.dataset.target);
    var colour = COLOURS[el.dataset.status] || COLOURS.no_data;
    var series = [{
      name: el.dataset.labelValue,
      type: "line",
      smooth: true,
      symbolSize: 4,
      data: points.map(function (p) { return p.value; }),
      connectNulls: false,
      itemStyle: { color: colour },
      areaStyle: { opacity: 0.08 },
    }];
    if (target !== null) {
      series.push({
        name: el.dataset.labelTarget,
        type: "line",
        symbol: "none",
        data: points.map(function () { return target; }),
        lineStyle: { type: "dashed", width: 1, color: "#6c757d" },
      });
    }
    el.style.height = "70px";
    el.style.marginTop = ".5rem";
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", confine: true },
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      xAxis: { type: "category", show: false, data: points.map(function (p) { return p.period; }) },
      yAxis: { type: "value", show: false, scale: true },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll(root) {
    (root || document).querySelectorAll('[data-chart="dashboard-trend"]').forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  // Widgets swapped in by htmx get their charts too.
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
