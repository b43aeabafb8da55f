// The risk heat map (Apache ECharts, vendored): open risks and opportunities counted per
// likelihood × impact cell, each cell coloured by its level on the organisation's matrix.
// Data from the json_script named by data-source; labels from data-label-*; a click on a
// cell opens the register filtered to it. No inline script or style: strict CSP.
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function heatmap(el, data) {
    var pieces = data.levels.map(function (label, index) {
      return { value: index, label: label, color: data.colours[index] };
    });
    return {
      tooltip: {
        formatter: function (p) {
          var esc = window.echarts.format.encodeHTML;
          return esc(el.dataset.labelLikelihood) + ": " + (p.value[1] + 1) + " · " +
            esc(data.likelihood[p.value[1]]) + "<br>" +
            esc(el.dataset.labelImpact) + ": " + (p.value[0] + 1) + " · " +
            esc(data.impact[p.value[0]]) + "<br>" +
            esc(data.levels[p.value[3]]) + " (" + (p.value[0] + 1) * (p.value[1] + 1) + ")<br>" +
            esc(el.dataset.labelCount) + ": " + p.value[2];
        },
      },
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      xAxis: {
        type: "category",
        name: el.dataset.labelImpact,
        nameLocation: "middle",
        nameGap: 28,
        data: data.impact.map(function (label, i) { return (i + 1) + " " + label; }),
        splitArea: { show: true },
      },
      yAxis: {
        type: "category",
        name: el.dataset.labelLikelihood,
        data: data.likelihood.map(function (label, i) { return (i + 1) + " " + label; }),
        splitArea: { show: true },
      },
      visualMap: {
        type: "piecewise",
        dimension: 3,
        pieces: pieces,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        selectedMode: false,
      },
      series: [{
        type: "heatmap",
        data: data.cells,
        label: {
          show: true,
          formatter: function (p) { return p.value[2] ? String(p.value[2]) : ""; },
        },
        emphasis: { itemStyle: { borderColor: "#212529", borderWidth: 2 } },
        itemStyle: { borderColor: "#fff", borderWidth: 2 },
      }],
    };
  }

  function init() {
    if (!window.echarts) { return; }
    var el = document.getElementById("risk-heatmap");
    if (!el) { return; }
    var data = readJson(el.dataset.source);
    if (!data) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(heatmap(el, data));
    chart.on("click", function (p) {
      if (!p.value || !p.value[2]) { return; }
      var query = "?status=open&likelihood=" + (p.value[1] + 1) + "&impact=" + (p.value[0] + 1);
      if (el.dataset.kind) { query += "&kind=" + encodeURIComponent(el.dataset.kind); }
      window.location.href = el.dataset.listUrl + query;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
