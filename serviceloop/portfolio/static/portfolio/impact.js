// Impact graph of a configuration item (ECharts, vendored). The data come from the page's
// json_script element "impact-graph-data": nodes {id, name, category, depth?}, links
// {source, target, kind} reading "source needs target" (the failure flows target → source),
// categories (labels of: failing item, impacted item, service, customer) and kinds (labels).
(function () {
  function render() {
    const holder = document.getElementById("impact-graph");
    const source = document.getElementById("impact-graph-data");
    if (!holder || !source || !window.echarts) return;
    const graph = JSON.parse(source.textContent);
    const colours = ["#dc3545", "#fd7e14", "#0d6efd", "#198754"];
    const sizes = [22, 14, 20, 18];
    const chart = window.echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") return (graph.kinds[p.data.kind] || p.data.kind);
          return p.data.name;
        },
      },
      legend: [{ data: graph.categories, bottom: 0 }],
      animationDuration: 300,
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        force: { repulsion: 320, edgeLength: [70, 150], gravity: 0.04, layoutAnimation: true },
        categories: graph.categories.map(function (name, i) {
          return { name: name, itemStyle: { color: colours[i] } };
        }),
        // draw each arrow the way the failure travels: from the needed to the needing node
        data: graph.nodes.map(function (n) {
          return { id: n.id, name: n.name, category: n.category, symbolSize: sizes[n.category] };
        }),
        links: graph.links.map(function (l) {
          return { source: l.target, target: l.source, kind: l.kind };
        }),
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 6,
        label: { show: graph.nodes.length <= 40, position: "right", fontSize: 10 },
        lineStyle: { color: "source", opacity: 0.6, curveness: 0.1 },
        emphasis: { focus: "adjacency" },
      }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", render);
})();
