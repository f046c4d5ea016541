/* Charts and maps of the hot-issue pages: a trend (complaints per day), the members' map and
   the collaboration graph. Data comes from <script type="application/json"> blocks
   (Django's json_script); no inline script or style (the Content-Security-Policy forbids
   them). Tooltips are drawn by ECharts itself (renderMode "richText"), not as HTML. */
(function () {
  "use strict";

  function dataOf(element) {
    var source = document.getElementById(element.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  var ink = "#1b1f24", muted = "#4a5563", brand = "#b3261e", accent = "#0b57d0";

  function trend(element, data) {
    var chart = echarts.init(element);
    chart.setOption({
      aria: { enabled: true },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: { type: "category", data: data.days, axisLabel: { color: muted } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted } },
      series: [{ type: "bar", name: data.label, data: data.counts, itemStyle: { color: brand } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function graph(element, data) {
    var text = function (name) { return element.getAttribute("data-text-" + name) || name; };
    var palette = ["#4a5563", "#0b57d0", "#146c2e", "#8a4b00", "#b3261e", "#6b3fa0", "#00696b"];
    var biggest = Math.max.apply(null, data.nodes.map(function (n) { return n.value; }).concat([1]));
    var strongest = Math.max.apply(null, data.links.map(function (l) { return l.value; }).concat([1]));
    var chart = echarts.init(element);
    chart.setOption({
      aria: { enabled: true },
      color: palette,
      legend: { data: data.categories.map(function (c) { return c.name; }), bottom: 0, textStyle: { color: ink } },
      tooltip: {
        renderMode: "richText",
        formatter: function (params) {
          if (params.dataType === "edge") {
            var d = params.data, parts = [];
            ["cohandle", "whistle", "transfer", "topic"].forEach(function (kind) {
              if (d.counts[kind]) { parts.push(text(kind) + " " + d.counts[kind]); }
            });
            if (d.median_hours !== null && d.median_hours !== undefined) { parts.push(text("hours") + " " + d.median_hours); }
            if (d.satisfaction !== null && d.satisfaction !== undefined) { parts.push(text("satisfaction") + " " + Math.round(d.satisfaction * 100) + "%"); }
            return parts.join("\n");
          }
          return params.name + ": " + params.value;
        }
      },
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        force: { repulsion: 420, edgeLength: [80, 200] },
        categories: data.categories,
        label: { show: true, position: "right", color: ink, fontSize: 13 },
        lineStyle: { color: accent, opacity: 0.6, curveness: 0.1 },
        emphasis: { focus: "adjacency" },
        data: data.nodes.map(function (n) {
          return Object.assign({}, n, { symbolSize: 12 + 28 * Math.sqrt(n.value / biggest) });
        }),
        links: data.links.map(function (l) {
          return Object.assign({}, l, { lineStyle: { width: 1 + 7 * l.value / strongest } });
        })
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function map(element, data) {
    if (typeof L === "undefined") { return; }
    var view = L.map(element, { scrollWheelZoom: false, attributionControl: !!data.tiles });
    // Layers are made first and added once the view is set: Leaflet draws vectors only on
    // a map that has a centre and a zoom.
    var layers = [], bounds = L.latLngBounds([]);
    (data.areas || []).forEach(function (area) {
      var layer = L.geoJSON(area.geometry, { style: { color: muted, weight: 1, fillColor: "#d5dbe3", fillOpacity: 0.5 } })
        .bindTooltip(area.name);
      layers.push(layer);
      bounds.extend(layer.getBounds());
    });
    (data.points || []).forEach(function (point) {
      layers.push(L.circleMarker(point, { radius: 6, color: "#fff", weight: 1, fillColor: brand, fillOpacity: 0.8 }));
      bounds.extend(L.latLng(point[0], point[1]));
    });
    if (bounds.isValid()) {
      view.fitBounds(bounds.pad(0.2), { maxZoom: 16 });
    } else if (data.centre) {
      view.setView(data.centre, 14);
    } else {
      view.setView([0, 0], 1);
    }
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.attribution || "" }).addTo(view);
    }
    layers.forEach(function (layer) { layer.addTo(view); });
  }

  function start() {
    if (typeof echarts !== "undefined") {
      document.querySelectorAll(".echart[data-chart]").forEach(function (element) {
        var data = dataOf(element);
        if (!data) { return; }
        if (element.getAttribute("data-chart") === "graph") { graph(element, data); } else { trend(element, data); }
      });
    }
    document.querySelectorAll(".hot-map[data-source]").forEach(function (element) {
      var data = dataOf(element);
      if (data) { map(element, data); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
