/* Maps of the resident's and the staff's pages (Leaflet, vendored: static/vendor/leaflet/).
 *
 * Every element with data-map becomes a map. The city's areas (GeoJSON from data-areas) are
 * drawn on it; they are the base layer when no tile server is configured (MAP_TILE_URL), so
 * the map works offline. data-map="show" marks data-lat/data-lon; data-map="pick" (the report
 * form) lets the resident click, drag the pin or use the browser's location, fills the
 * latitude and longitude fields and, when it is empty, the address from the areas' names. A
 * place outside the city is refused with data-outside's message (the server refuses it too).
 */
(function () {
  "use strict";

  var STYLES = {
    district: { color: "#b3261e", weight: 3, fillOpacity: 0.02 },
    street: { color: "#4a5563", weight: 2, fillOpacity: 0.04, dashArray: "4 4" },
    community: { color: "#0b57d0", weight: 1, fillOpacity: 0.08 }
  };

  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inGeometry(geometry, x, y) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some(function (rings) {
      return inRing(rings[0], x, y) && !rings.slice(1).some(function (hole) { return inRing(hole, x, y); });
    });
  }

  function areasAt(collection, lon, lat) {
    return collection.features.filter(function (f) { return inGeometry(f.geometry, lon, lat); });
  }

  function byId(id) { return id ? document.getElementById(id) : null; }

  function setup(el) {
    var d = el.dataset;
    var map = L.map(el, { scrollWheelZoom: false });
    if (d.tiles) {
      L.tileLayer(d.tiles, { attribution: d.attribution || "", maxZoom: 19 }).addTo(map);
    }
    var lat = parseFloat(d.lat), lon = parseFloat(d.lon);
    var marker = null;
    if (!isNaN(lat) && !isNaN(lon)) {
      marker = L.marker([lat, lon], { title: d.label || "", alt: d.label || "", keyboard: false }).addTo(map);
      map.setView([lat, lon], 14);
    }
    var done = function (collection) {
      var layer = L.geoJSON(collection, {
        style: function (f) { return STYLES[f.properties.level] || STYLES.street; },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
      }).addTo(map);
      if (!marker) {
        if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
        else map.setView([39.9, 116.4], 11);
      }
      el.dataset.ready = "true";
      if (d.map === "pick") pick(el, map, collection, marker);
    };
    fetch(d.areas, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { type: "FeatureCollection", features: [] }; })
      .catch(function () { return { type: "FeatureCollection", features: [] }; })
      .then(done);
  }

  function pick(el, map, collection, marker) {
    var d = el.dataset;
    var latInput = byId(d.latInput), lonInput = byId(d.lonInput), address = byId(d.addressInput);
    var status = byId(d.status);
    var say = function (text, problem) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("problem", !!problem);
    };
    var place = function (lat, lon) {
      var found = areasAt(collection, lon, lat);
      if (collection.features.length && !found.length) {
        say(d.outside, true);
        if (marker && latInput.value && lonInput.value) {
          marker.setLatLng([parseFloat(latInput.value), parseFloat(lonInput.value)]);
        }
        return false;
      }
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, title: d.pinLabel || "", alt: d.pinLabel || "", keyboard: false }).addTo(map);
        marker.on("dragend", function () {
          var at = marker.getLatLng();
          place(at.lat, at.lng);
        });
      } else {
        marker.setLatLng([lat, lon]);
      }
      var names = found.map(function (f) { return f.properties.name; }).join(" ");
      if (address && names && (!address.value || address.value === address.dataset.filled)) {
        address.value = names;
        address.dataset.filled = names;
      }
      say((d.chosen || "%s").replace("%s", names || lat.toFixed(5) + ", " + lon.toFixed(5)), false);
      return true;
    };
    if (marker) {
      marker.dragging && marker.dragging.enable();
    }
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
    var typed = function () {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (!isNaN(lat) && !isNaN(lon) && place(lat, lon)) map.setView([lat, lon], Math.max(map.getZoom(), 14));
    };
    latInput.addEventListener("change", typed);
    lonInput.addEventListener("change", typed);
    if (latInput.value && lonInput.value) typed();
    var locate = byId(d.locate);
    if (locate) {
      if (!("geolocation" in navigator)) {
        locate.hidden = true;
      } else {
        locate.hidden = false;
        locate.addEventListener("click", function () {
          say(d.locating || "", false);
          navigator.geolocation.getCurrentPosition(
            function (position) {
              var lat = position.coords.latitude, lon = position.coords.longitude;
              if (place(lat, lon)) map.setView([lat, lon], 16);
            },
            function () { say(d.geoError || "", true); },
            { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
          );
        });
      }
    }
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-map]").forEach(setup);
  }
  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
