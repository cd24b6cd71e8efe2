// The service's maps, drawn with Leaflet from the app's own files. There are no external
// tiles: the ward polygons are the base layer. Premises are circle markers (no images).
// Each map is a <div data-app-map="..."> whose data attributes say what to load.
import * as L from "/vendor/leaflet/leaflet-src.esm.js";

const WARD_STYLE = { color: "#505a5f", weight: 1.5, fillColor: "#ffffff", fillOpacity: 1 };
const FOCUS_STYLE = { color: "#0b0c0c", weight: 3 };
const POINT_STYLE = { radius: 6, color: "#0b0c0c", weight: 1, fillOpacity: 0.9 };
const SHADES = { 1: "#d2e2f1", 2: "#a5c6e3", 3: "#6a9fd0", 4: "#1d70b8", 5: "#003078" };
// Above this many points the canvas renderer keeps panning smooth; below it each point is an
// SVG element of its own, which browsers and assistive tools can address.
const CANVAS_ABOVE = 3000;
const ATTRIBUTION = "Boundaries © Crown copyright (ONS, OS)";

// Once the borough is in view, the map is not zoomed out further than this: there is nothing
// but the wards to see.
const BOROUGH_MIN_ZOOM = 9;
// Where a map starts, before anything is drawn on it (Leaflet draws on a map only once it has a
// view): Great Britain, which is also what stays in view while there are no wards or premises
// to show (a new install, before its wards are imported).
const GREAT_BRITAIN = [
  [49.9, -8.2],
  [60.9, 1.8],
];

function makeMap(element) {
  // No fading: a popup read (or checked) mid-fade has too little contrast.
  const map = L.map(element, { zoomSnap: 0.25, minZoom: 4, maxZoom: 19, fadeAnimation: false });
  map.fitBounds(GREAT_BRITAIN);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(ATTRIBUTION);
  // The map's box changes when a list's filters fold in or out beside it.
  new ResizeObserver(() => map.invalidateSize()).observe(element);
  return map;
}

// Show some bounds (wards, or premises) and keep the map from zooming out far beyond them.
function showBounds(map, bounds, options = {}) {
  map.fitBounds(bounds, { padding: [10, 10], ...options });
  map.setMinZoom(Math.min(BOROUGH_MIN_ZOOM, map.getZoom()));
}

async function fetchJSON(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/geo+json, application/json" },
  });
  if (!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return response.json();
}

// Leaflet reads a string given to a tooltip as HTML: names come from people and files, so each
// goes in as a text node (a premises called "<b>Nails</b>" is shown as typed, never as markup).
function asText(value) {
  const span = document.createElement("span");
  span.textContent = value ?? "";
  return span;
}

function codes(text) {
  return new Set((text || "").split(",").filter(Boolean));
}

async function addWards(map, element) {
  const data = await fetchJSON(element.dataset.wardsUrl);
  const focus = codes(element.dataset.focusWards);
  const layer = L.geoJSON(data, {
    style: (feature) =>
      focus.has(feature.properties.code) ? { ...WARD_STYLE, ...FOCUS_STYLE } : WARD_STYLE,
    onEachFeature: (feature, ward) => ward.bindTooltip(asText(feature.properties.name), { sticky: true }),
  }).addTo(map);
  return { layer, focus };
}

// The bounds of some wards (all of them when none is named, or none matches), or null.
function wardBounds(wards, wanted) {
  let bounds = null;
  const pick = (only) => {
    wards.layer.eachLayer((ward) => {
      if (only && !wanted.has(ward.feature.properties.code)) {
        return;
      }
      const b = ward.getBounds();
      bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    });
  };
  pick(wanted.size > 0);
  if (!bounds) {
    pick(false);
  }
  return bounds;
}

// Fit the view to some wards (all of them when none is named, or none matches).
function fitToWards(map, wards, wanted) {
  const bounds = wardBounds(wards, wanted);
  if (bounds) {
    showBounds(map, bounds);
  }
  return bounds !== null;
}

function premisesHref(template, id) {
  return template.replace(/\/0$/, `/${encodeURIComponent(id)}`);
}

// Built with DOM calls, never HTML strings: names come from people and must stay text.
function popupFor(id, name, lines, template) {
  const box = document.createElement("div");
  const heading = document.createElement("p");
  heading.className = "govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-1";
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = premisesHref(template, id);
  link.textContent = name;
  heading.append(link);
  box.append(heading);
  for (const text of lines) {
    if (text) {
      const line = document.createElement("p");
      line.className = "govuk-body-s govuk-!-margin-bottom-0";
      line.textContent = text;
      box.append(line);
    }
  }
  return box;
}

function say(text) {
  const status = document.querySelector("[data-map-status]");
  if (status) {
    status.textContent = text;
  }
}

function plural(count, one, many) {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`;
}

async function premisesMap(element) {
  const map = makeMap(element);
  const wards = await addWards(map, element);
  // The whole borough (or the ward filtered on) is in view, the wards the person covers drawn
  // bold (docs/wards-and-maps.md).
  const wanted = codes(element.dataset.fitWards);
  const haveWards = fitToWards(map, wards, wanted);
  const data = await fetchJSON(element.dataset.premisesUrl);
  const categories = Object.fromEntries(data.legend.categories.map((c) => [c.key, c]));
  const renderer = data.features.length > CANVAS_ABOVE ? L.canvas({ padding: 0.5 }) : L.svg();
  const template = element.dataset.premisesLink;
  const points = L.geoJSON(data, {
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, {
        ...POINT_STYLE,
        renderer,
        className: `app-map-point app-map-point--${feature.properties.category}`,
        fillColor: categories[feature.properties.category]?.colour ?? "#b1b4b6",
      }),
    onEachFeature: (feature, point) => {
      const p = feature.properties;
      const lines = [
        data.labels.types[p.type] ?? p.type,
        p.ward === null ? data.labels.outside : data.labels.wards[p.ward],
        categories[p.category]?.label,
      ];
      point.bindPopup(() => popupFor(feature.id, p.name, lines, template));
      point.bindTooltip(asText(p.name));
    },
  }).addTo(map);
  const inView = () => {
    const view = map.getBounds();
    let count = 0;
    points.eachLayer((point) => {
      count += view.contains(point.getLatLng()) ? 1 : 0;
    });
    return count;
  };
  // No point in the borough's view (a search that found premises outside it): show the points.
  if (data.features.length && (!haveWards || inView() === 0)) {
    showBounds(map, points.getBounds(), { maxZoom: 17 });
  }
  for (const category of data.legend.categories) {
    const counter = document.querySelector(`[data-legend-count="${category.key}"]`);
    if (counter) {
      counter.textContent = `(${category.count.toLocaleString("en-GB")})`;
    }
  }
  // The count is of the points in view; the others are counted apart: those beyond the view
  // (located outside the borough), and those without a location, which are not on the map.
  // It follows the view as it is zoomed, moved or resized.
  const report = () => {
    const visible = inView();
    if (element.dataset.inView === String(visible)) {
      return; // the status region speaks only when the count changes
    }
    let text = `${plural(visible, "premises", "premises")} on the map`;
    if (data.shown > visible) {
      text += `, ${(data.shown - visible).toLocaleString("en-GB")} more outside this view (zoom out to see them)`;
    }
    if (data.unlocated) {
      text += `, ${data.unlocated.toLocaleString("en-GB")} without a location`;
    }
    say(`${text}.`);
    element.dataset.inView = String(visible);
  };
  report();
  map.on("moveend zoomend resize", report);
  element.dataset.loaded = String(data.shown);
}

async function pickerMap(element) {
  const field = (name) => document.getElementById(element.dataset[name]);
  const [latitude, longitude, easting, northing] = ["latitude", "longitude", "easting", "northing"].map(field);
  const map = makeMap(element);
  const wards = await addWards(map, element);
  fitToWards(map, wards, wards.focus);
  let marker = null;
  const place = (latlng) => {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, { ...POINT_STYLE, radius: 8, weight: 2, fillColor: "#d4351c", fillOpacity: 1 }).addTo(map);
    }
  };
  const lat = Number.parseFloat(latitude.value);
  const lon = Number.parseFloat(longitude.value);
  if (Number.isFinite(lat) && Number.isFinite(lon)) {
    place(L.latLng(lat, lon));
    map.setView([lat, lon], 16);
  }
  map.on("click", (event) => {
    latitude.value = event.latlng.lat.toFixed(6);
    longitude.value = event.latlng.lng.toFixed(6);
    // The clicked point replaces any grid reference typed before.
    easting.value = "";
    northing.value = "";
    place(event.latlng);
    say(`Location set to latitude ${latitude.value}, longitude ${longitude.value}. Save the premises to keep it.`);
  });
  element.dataset.loaded = "true";
}

async function nearbyMap(element) {
  const origin = JSON.parse(element.dataset.origin);
  const radius = Number(element.dataset.radius);
  const points = JSON.parse(element.dataset.points);
  const template = element.dataset.premisesLink;
  const map = makeMap(element);
  showBounds(map, L.latLng(origin).toBounds(radius * 2));
  await addWards(map, element);
  L.circle(origin, { radius, color: "#1d70b8", weight: 2, fill: false, interactive: false }).addTo(map);
  L.circleMarker(origin, { ...POINT_STYLE, radius: 8, weight: 3, fillColor: "#ffffff", fillOpacity: 1 })
    .bindTooltip("Searched from here")
    .addTo(map);
  for (const p of points) {
    L.circleMarker([p.lat, p.lon], { ...POINT_STYLE, fillColor: "#1d70b8", className: "app-map-point" })
      .bindPopup(() => popupFor(p.id, p.name, [`${Math.round(p.distance)} metres away`], template))
      .bindTooltip(asText(p.name))
      .addTo(map);
  }
  element.dataset.loaded = String(points.length);
}

async function hotspotMap(element) {
  const map = makeMap(element);
  const wards = await addWards(map, element);
  fitToWards(map, wards, wards.focus);
  const data = await fetchJSON(element.dataset.cellsUrl);
  L.geoJSON(data, {
    style: (feature) => ({
      color: "#0b0c0c",
      weight: 0.5,
      fillColor: SHADES[feature.properties.shade] ?? SHADES[1],
      fillOpacity: 0.8,
    }),
    onEachFeature: (feature, cell) =>
      cell.bindTooltip(asText(`${plural(feature.properties.count, "record", "records")} in ${feature.properties.cell}`)),
  }).addTo(map);
  element.dataset.loaded = String(data.features.length);
}

const KINDS = { premises: premisesMap, picker: pickerMap, nearby: nearbyMap, hotspots: hotspotMap };

for (const element of document.querySelectorAll("[data-app-map]")) {
  const draw = KINDS[element.dataset.appMap];
  if (draw) {
    draw(element).catch((error) => {
      element.dataset.failed = "true";
      say("The map could not be loaded. Reload the page to try again, or use the list instead.");
      console.error(error);
    });
  }
}
