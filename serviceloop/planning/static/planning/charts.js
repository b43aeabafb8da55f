// Planning charts (Apache ECharts, vendored): the gap-analysis radar and bars, and the
// implementation-plan timeline. Each chart element names its data with data-source (the id of
// a json_script element) and its kind with data-chart; labels come from data-label-* so they
// follow the page's language. No inline script or style: strict CSP.
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var esc = function (text) {
    return window.echarts.format.encodeHTML(String(text === null || text === undefined ? "" : text));
  };

  function groupName(group) {
    return group.number + " " + group.title;
  }

  function radar(el, data) {
    var groups = data.groups;
    return {
      tooltip: { trigger: "item" },
      legend: { bottom: 0, data: [el.dataset.labelAverage, el.dataset.labelTarget] },
      radar: {
        indicator: groups.map(function (g) { return { name: g.number, max: data.max }; }),
        radius: "65%",
        splitNumber: data.max,
      },
      series: [{
        type: "radar",
        data: [
          {
            name: el.dataset.labelAverage,
            value: groups.map(function (g) { return g.average === null ? 0 : g.average; }),
            areaStyle: { opacity: 0.25 },
          },
          {
            name: el.dataset.labelTarget,
            value: groups.map(function () { return data.target; }),
            lineStyle: { type: "dashed" },
            symbol: "none",
          },
        ],
      }],
    };
  }

  function bars(el, data) {
    var groups = data.groups;
    return {
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var g = groups[params[0].dataIndex];
          return esc(groupName(g)) + "<br>" + esc(el.dataset.labelAverage) + ": " +
            (g.average === null ? "—" : g.average.toFixed(2));
        },
      },
      xAxis: { type: "value", min: 0, max: data.max, interval: 1 },
      yAxis: { type: "category", inverse: true, data: groups.map(function (g) { return g.number; }) },
      series: [{
        type: "bar",
        name: el.dataset.labelAverage,
        data: groups.map(function (g) {
          var value = g.average === null ? 0 : g.average;
          var color = value < data.target ? "#dc3545" : value < data.target + 1 ? "#ffc107" : "#198754";
          return { value: value, itemStyle: { color: color } };
        }),
        label: { show: true, position: "right", formatter: function (p) { return p.value ? p.value.toFixed(2) : "—"; } },
        markLine: {
          symbol: "none",
          lineStyle: { type: "dashed", color: "#0d6efd" },
          label: { formatter: el.dataset.labelTarget + " " + data.target },
          data: [{ xAxis: data.target }],
        },
      }],
    };
  }

  var STATUS_COLOURS = { not_started: "#adb5bd", in_progress: "#0d6efd", blocked: "#6c757d", done: "#198754" };
  var DAY = 86400000;

  function gantt(el, data) {
    var items = data.items;
    var milestoneRow = items.length; // milestones sit on a row of their own, below the items
    var labels = items.map(function (it) { return it.reference; });
    labels.push(el.dataset.labelMilestones || "");
    el.style.height = Math.max(240, 90 + labels.length * 30) + "px";
    var rows = items.map(function (item, index) {
      return {
        value: [index, Date.parse(item.start), Date.parse(item.due) + DAY, item.percent],
        item: item,
      };
    });
    // The axis spans every item, every milestone and today, with a few days' margin.
    var times = [Date.parse(data.today)];
    rows.forEach(function (r) { times.push(r.value[1], r.value[2]); });
    data.milestones.forEach(function (m) { times.push(Date.parse(m.date)); });
    var min = Math.min.apply(null, times) - 3 * DAY;
    var max = Math.max.apply(null, times) + 7 * DAY;
    var MILESTONE_COLOURS = { achieved: "#198754", overdue: "#dc3545", upcoming: "#6f42c1" };
    var lines = data.milestones.map(function (m) {
      return { xAxis: Date.parse(m.date), lineStyle: { color: MILESTONE_COLOURS[m.state], type: "dashed" }, label: { show: false } };
    });
    lines.push({
      xAxis: Date.parse(data.today),
      lineStyle: { color: "#dc3545", type: "solid" },
      label: { show: true, formatter: el.dataset.labelToday, position: "start" },
    });
    return {
      grid: { left: 8, right: 40, top: 36, bottom: 16, containLabel: true },
      tooltip: {
        formatter: function (p) {
          if (p.data && p.data.item) {
            var it = p.data.item;
            return "<strong>" + esc(it.reference) + "</strong> " + esc(it.title) + "<br>" +
              esc(it.owner) + " · " + esc(it.status_label) + " · " + it.percent + "%<br>" +
              esc(it.start) + " → " + esc(it.due);
          }
          if (p.data && p.data.milestone) {
            var m = p.data.milestone;
            return "◆ " + esc(m.title) + "<br>" + esc(m.kind) + " · " + esc(m.date);
          }
          return "";
        },
      },
      xAxis: { type: "time", position: "top", min: min, max: max, splitLine: { show: true } },
      yAxis: { type: "category", inverse: true, data: labels, axisTick: { show: false } },
      series: [
        {
          type: "custom",
          encode: { x: [1, 2], y: 0 },
          data: rows,
          renderItem: function (params, api) {
            var index = api.value(0);
            var start = api.coord([api.value(1), index]);
            var end = api.coord([api.value(2), index]);
            var height = api.size([0, 1])[1] * 0.55;
            var item = rows[params.dataIndex].item;
            var width = Math.max(end[0] - start[0], 2);
            var shape = { x: start[0], y: start[1] - height / 2, width: width, height: height };
            var clipped = window.echarts.graphic.clipRectByRect(shape, {
              x: params.coordSys.x, y: params.coordSys.y,
              width: params.coordSys.width, height: params.coordSys.height,
            });
            if (!clipped) return null;
            var done = { x: shape.x, y: shape.y, width: width * api.value(3) / 100, height: height };
            return {
              type: "group",
              children: [
                {
                  type: "rect", shape: clipped,
                  style: { fill: "#e9ecef", stroke: item.overdue ? "#dc3545" : "#ced4da", lineWidth: item.overdue ? 2 : 1 },
                },
                { type: "rect", shape: done, style: { fill: STATUS_COLOURS[item.status] || "#0d6efd" } },
              ],
            };
          },
          markLine: { symbol: "none", silent: true, data: lines },
        },
        {
          type: "scatter",
          symbol: "diamond",
          symbolSize: 14,
          data: data.milestones.map(function (m, i) {
            return {
              value: [Date.parse(m.date), milestoneRow],
              milestone: m,
              itemStyle: { color: MILESTONE_COLOURS[m.state] },
              // alternate the labels above and below, so close milestones stay readable
              label: { position: i % 2 ? "top" : "bottom" },
            };
          }),
          label: {
            show: true,
            fontSize: 11,
            formatter: function (p) {
              var t = p.data.milestone.title;
              return t.length > 14 ? t.slice(0, 13) + "…" : t;
            },
          },
        },
      ],
    };
  }

  var BUILDERS = { radar: radar, bars: bars, gantt: gantt };

  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.dataset.chart];
      var data = readJson(el.dataset.source);
      if (!build || !data) return;
      if (el.dataset.chart === "gantt" && !data.items.length) return;
      var chart = window.echarts.init(el);
      chart.setOption(build(el, data));
      if (el.dataset.chart === "gantt") {
        chart.on("click", function (p) {
          if (p.data && p.data.item && p.data.item.url) window.location.href = p.data.item.url;
        });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
