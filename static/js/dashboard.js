/* The managers' dashboard: every [data-dash-chart] becomes an Apache ECharts chart drawn from
 * the table of the same key in the JSON block #dashboard-tables (the page shows the same table
 * in a <details>, and the exports write it). Clicking a bar opens the filtered issue list when
 * the table has a link for that row. [data-dash-map] becomes a Leaflet map of the city's areas,
 * shaded and labelled by open issues or by resolution rate (the switch above it), with the
 * open issues as markers; the areas are the base layer when no tile server is configured, so
 * it works offline. No inline script or style: the Content-Security-Policy forbids them. */
(function () {
  "use strict";

  var palette = ["#0b57d0", "#146c2e", "#b3261e", "#8a4b00", "#6b3fa0"];
  var muted = "#4a5563";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function chartOf(el, table) {
    var labels = table.rows.map(function (r) { return r[0]; });
    var horizontal = table.chart === "hbar";
    var series = table.columns.slice(1).map(function (name, i) {
      return {
        name: name,
        type: table.chart === "line" && i === 0 ? "line" : "bar",
        data: table.rows.map(function (r) { return r[i + 1]; }),
        yAxisIndex: table.chart === "line" && i > 0 ? 1 : 0,
        connectNulls: false
      };
    });
    if (table.chart === "line") { series = series.slice(0, 1); }
    var category = { type: "category", data: labels, axisLabel: { color: muted }, inverse: horizontal };
    var value = { type: "value", axisLabel: { color: muted }, minInterval: table.percent ? 0 : 1 };
    if (table.percent) { value.max = 100; }
    var chart = echarts.init(el);
    chart.setOption({
      aria: { enabled: true },
      color: palette,
      animation: false,
      grid: { left: horizontal ? 140 : 48, right: 16, top: 32, bottom: 48, containLabel: horizontal },
      legend: { top: 0, textStyle: { color: muted } },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series
    });
    chart.on("click", function (params) {
      var link = table.links && table.links[params.dataIndex];
      if (link) { window.location.href = link; }
    });
    el.dataset.ready = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var shades = ["#f1f3f5", "#d2e3fc", "#a8c7fa", "#7cacf8", "#4c8df6", "#0b57d0"];

  function shade(count, most) {
    if (!count || !most) { return shades[0]; }
    return shades[Math.min(5, 1 + Math.floor((count / most) * 4.999))];
  }

  // By rate (a percentage): the same five shades over 0–100, the palest for no data.
  function shadeRate(rate) {
    if (rate === null || rate === undefined) { return shades[0]; }
    return shades[Math.min(5, 1 + Math.floor((rate / 100) * 4.999))];
  }

  function label(f, by, data) {
    if (by === "rate") {
      var rate = f.properties.rate;
      return f.properties.name + ": " + (rate === null || rate === undefined ? data.no_data : rate + "%");
    }
    return f.properties.name + ": " + f.properties.count;
  }

  function mapOf(el, data) {
    var map = L.map(el, { scrollWheelZoom: false, maxZoom: 19 });
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.attribution || "", maxZoom: 19 }).addTo(map);
    }
    function style(by) {
      return function (f) {
        var fill = by === "rate" ? shadeRate(f.properties.rate) : shade(f.properties.count, data.most);
        return { color: "#4a5563", weight: 1, fillColor: fill, fillOpacity: 0.7 };
      };
    }
    var layer = L.geoJSON(data.areas, {
      style: style("count"),
      onEachFeature: function (f, l) {
        l.bindTooltip(label(f, "count", data), { permanent: true, direction: "center", className: "dash-label" });
      }
    }).addTo(map);
    // Shaded and labelled by the open issues or by the resolution rate: the switch above.
    var figure = el.closest("figure");
    if (figure) {
      figure.querySelectorAll("input[name=dash-shading]").forEach(function (input) {
        input.addEventListener("change", function () {
          if (!input.checked) { return; }
          layer.setStyle(style(input.value));
          layer.eachLayer(function (l) { l.setTooltipContent(label(l.feature, input.value, data)); });
          el.dataset.shading = input.value;
        });
      });
    }
    el.dataset.shading = "count";
    // Clustered when the plugin is there (static/vendor/leaflet.markercluster/).
    var markers = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false }) : L.layerGroup();
    data.markers.forEach(function (m) {
      L.circleMarker([m[1], m[2]], { radius: 4, color: "#b3261e", weight: 1, fillOpacity: 0.8 })
        .bindTooltip(m[0]).addTo(markers);
    });
    // The view first: clusters are computed at the map's zoom.
    if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
    else { map.setView([39.9, 116.4], 11); }
    markers.addTo(map);
    // The same open issues as a heat map (static/vendor/leaflet.heat/), one switch away.
    if (L.heatLayer && data.layers) {
      var heat = L.heatLayer(data.markers.map(function (m) { return [m[1], m[2], 1]; }), { radius: 22, blur: 18 });
      var choices = {};
      choices[data.layers.markers] = markers;
      choices[data.layers.heat] = heat;
      L.control.layers(choices, null, { collapsed: false }).addTo(map);
    }
    el.dataset.ready = "true";
  }

  function start() {
    var tables = json("dashboard-tables") || [];
    var byKey = {};
    tables.forEach(function (t) { byKey[t.key] = t; });
    document.querySelectorAll("[data-dash-chart]").forEach(function (el) {
      var table = byKey[el.getAttribute("data-dash-chart")];
      if (table && window.echarts) { chartOf(el, table); }
    });
    document.querySelectorAll("[data-dash-map]").forEach(function (el) {
      var data = json(el.getAttribute("data-dash-map"));
      if (data && window.L) { mapOf(el, data); }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
