// qpv serve — the negotiation workbench: a map of the perimeters, the decree's criteria
// re-checked by the server after every edit, and the tools to edit them.
// Plain JS on Leaflet (vendor/leaflet); the contract with the server is crates/serve/API.md.
'use strict';

// ===== 1. Formatting (French style: "18 019", "11 800 €", "41.0 %") ==========================

const fmtInt = (x) => (x == null || !isFinite(x)) ? '–'
  : Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
const fmtEur = (x) => (x == null || !isFinite(x)) ? '–' : `${fmtInt(x)} €`;
const fmtPct = (x) => (x == null || !isFinite(x)) ? '–' : `${(x * 100).toFixed(1)} %`;
const plural = (n, word) => `${fmtInt(n)} ${word}${n === 1 ? '' : 's'}`;
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) =>
  ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const $ = (id) => document.getElementById(id);
const basename = (p) => String(p || '').split(/[\\/]/).pop();

// Estimated median classes, as `qpv map` draws them (diverging: dark red = poorest, dark blue = richest).
const MEDIAN_BREAKS = [12000, 15000, 18000, 21000, 25000];
const MEDIAN_COLOURS = ['#b2182b', '#ef8a62', '#fddbc7', '#d1e5f0', '#67a9cf', '#2166ac']; // qpv_map::palette::MEDIAN_CLASSES
const NO_MEDIAN = '#c8c8c8';
const PENDING = { add: '#00a651', remove: '#d7191c', pick: '#e7298a' }; // squares being painted
const DRAW = { pane: 'drawing', interactive: false, color: '#e7298a', weight: 2 };   // shapes being drawn
function medianColour(m) {
  if (m == null) return NO_MEDIAN;
  const i = MEDIAN_BREAKS.findIndex((b) => m < b);
  return MEDIAN_COLOURS[i === -1 ? MEDIAN_COLOURS.length - 1 : i];
}

// The decree's verdict in three states (crates/core/src/verdict.rs), one look each, used
// wherever a verdict is shown: the map's outlines, the legend, the panel and the list.
const UNDECIDED = 'cannot be decided from the public 200 m grid';
const VERDICTS = {
  meets: { mark: '✓', says: 'meets the decree', line: '#111111', dash: null },
  // Magenta, outside the squares' red-to-blue classes: a failing outline is drawn round
  // low-income (red) squares, where a red line would not read.
  fails: { mark: '✗', says: 'fails the decree', line: '#c51b7d', dash: '9 6' },
  // Dotted, not dashed: told apart from a failing outline without its colour.
  undecided: { mark: '?', says: UNDECIDED, line: '#fdae61', dash: '1 6' },
};

const SCHOOL_COLOURS = { inside: '#1a9641', added: '#ffd400', 'too far': '#f46d43', 'taken out': '#d7191c' };
const schoolColour = (status) => SCHOOL_COLOURS[String(status || '').replace(/ by step.*/, '')] || '#9e9e9e';

// ===== 2. Application state ==================================================================

const app = {
  state: null,            // the last state the server sent
  selected: null,         // id of the selected perimeter
  tool: 'pan',            // pan | add | remove | pick | polygon
  gesture: 'brush',       // brush | rect | lasso: how a drag selects squares
  squares: new Map(),     // id -> {d: square JSON, layer, centre: L.LatLng}
  squarePx: 10,           // width of a 200 m square on screen, in pixels
  buckets: new Map(),     // spatial index of square centres for hit tests
  picked: new Set(),      // squares picked for a new perimeter
  flash: new Set(),       // perimeters touched by the last step, highlighted briefly
  busy: 0,
  spaceDown: false,
  squaresSeq: 0,
  squaresOn: true,
  compareOn: false,
  ready: { state: false, squares: false },
};
let resolveSquaresReady;
const squaresLayerReady = new Promise((r) => { resolveSquaresReady = r; });

// ===== 3. Server =============================================================================

// The token comes in the address's fragment (`/#token=…`, which no browser sends to a
// server) and lives in this tab's sessionStorage, sent as `Authorization: Bearer` on every
// call: no cookie, which the browser would give to every other server on 127.0.0.1
// (cookies are scoped by host, not port), while sessionStorage is scoped by origin, port
// included. The fragment leaves the address bar at once, so that a screen shared at the
// meeting or a copied address does not show it.
const TOKEN_KEY = 'qpv_token';
// (An old bookmark's `/?token=` is sent to `/#token=` by the server, API.md.)
function takeToken() {
  const given = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(given[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}
const token = takeToken();
// An address pasted into a tab already on the page changes only its fragment, which loads
// nothing: the new token (the read-only link, say) is taken by loading the page again.
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(location.hash) && takeToken() !== token) location.reload();
});

// This tab's id, sent with every write (`X-Qpv-Window`) so that the server can tell the
// other pages which window made a change. Random, made once per tab.
const WINDOW_KEY = 'qpv_window';
const windowId = sessionStorage.getItem(WINDOW_KEY) || (() => {
  const id = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  sessionStorage.setItem(WINDOW_KEY, id);
  return id;
})();

function setBusy(delta) {
  app.busy += delta;
  if (app.busy > 0) document.body.dataset.busy = '1'; else delete document.body.dataset.busy;
}

// JSON request to the API, without the busy mark (the long poll on /api/events is always
// open); throws an Error carrying `status` and the server's message.
async function request(method, path, body, signal) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-Qpv-Window'] = windowId;
  const res = await fetch(path, {
    method, signal, credentials: 'omit', cache: 'no-store', headers,
    body: body ? JSON.stringify(body) : undefined,
  }).catch((e) => {
    throw e.name === 'AbortError' ? e : new Error('The server did not answer: is qpv serve still running?');
  });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch (_) { /* text body (401, 403) */ }
  if (!res.ok) {
    const msg = (data && data.error) || text || `${res.status} ${res.statusText}`;
    throw Object.assign(new Error(msg), { status: res.status, data });
  }
  return data;
}

// The same, marked busy while it runs (the "working…" line, and the tests' wait).
async function api(method, path, body, signal) {
  setBusy(+1);
  try {
    return await request(method, path, body, signal);
  } finally {
    setBusy(-1);
  }
}

function showError(msg, kind = 'error') {
  $('error-text').textContent = msg;
  $('error').className = kind === 'notice' ? 'notice' : '';
  $('error').hidden = false;
}
function clearError() { $('error').hidden = true; $('error-text').textContent = ''; }

function setStatus(text, stale = false) {
  $('status').textContent = text;
  $('status').classList.toggle('stale', stale);
}

// ===== 4. Map and layers =====================================================================

const map = L.map('map', { preferCanvas: true, boxZoom: false, zoomSnap: 0.5, zoomControl: true });
for (const [name, z] of [['squares', 410], ['compare', 420], ['context', 430], ['perimeters', 440],
  ['schools', 450], ['drawing', 460]]) {
  map.createPane(name).style.zIndex = z;
}
const layers = Object.fromEntries(['squares', 'perimeters', 'nearMisses', 'poches', 'schools', 'places', 'compare', 'drawing']
  .map((k) => [k, L.layerGroup()]));
layers.drawing.addTo(map);
let basemap = null;
const layersControl = L.control.layers(null, {
  'Squares (estimated median)': layers.squares,
  'Perimeters': layers.perimeters,
  'Near misses': layers.nearMisses,
  'Poches de pauvreté': layers.poches,
  'REP/REP+ collèges': layers.schools,
  'Place names': layers.places,
}, { collapsed: false, position: 'topright' }).addTo(map);
for (const k of ['squares', 'perimeters', 'nearMisses', 'poches', 'schools', 'places']) layers[k].addTo(map);
L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);

map.on('overlayadd overlayremove', (e) => {
  if (e.layer === layers.squares) {
    app.squaresOn = e.type === 'overlayadd';
    if (app.squaresOn) loadSquares(); else $('squares-notice').hidden = true;
  }
});

function setBasemap(template, attribution) {
  if (basemap || !template) return;
  basemap = L.tileLayer(template, { attribution: esc(attribution || '© the tile server'), maxZoom: 19 }).addTo(map);
  layersControl.addOverlay(basemap, 'Basemap (network)');
}

const legend = L.control({ position: 'bottomright' });
legend.onAdd = () => {
  const div = L.DomUtil.create('div', 'legend');
  L.DomEvent.disableClickPropagation(div);
  const rows = ['<button type="button" class="legend-toggle" title="Hide or show the legend">Legend ▾</button><div class="legend-body">'];
  const sw = (fill, stroke, label, extra = '') =>
    `<div class="row"><span class="sw" style="background:${fill};${stroke}${extra}"></span>${label}</div>`;
  const line = (css, label, cls = '') => `<div class="row ${cls}"><span class="line" style="${css}"></span>${label}</div>`;
  const dot = (c, label) => `<div class="row"><span class="dot" style="background:${c}"></span>${label}</div>`;
  rows.push('<h4>Estimated median (squares)</h4>');
  MEDIAN_COLOURS.forEach((c, i) => {
    const lo = MEDIAN_BREAKS[i - 1], hi = MEDIAN_BREAKS[i];
    const label = lo == null ? `under ${fmtEur(hi)}` : hi == null ? `${fmtEur(lo)} or more` : `${fmtInt(lo)} – ${fmtEur(hi)}`;
    rows.push(sw(c, 'border:1px solid #bbb;', label));
  });
  rows.push(sw(NO_MEDIAN, 'border:1px solid #bbb;', 'no estimate'));
  rows.push(sw('#fff', 'border:2px solid #111;', 'low-income square (outlined)'));
  rows.push('<h4>Perimeters</h4>');
  rows.push(line(`border-top:3px solid ${VERDICTS.meets.line}`, 'meets the decree'));
  rows.push(line(`border-top:3px dashed ${VERDICTS.fails.line}`, 'fails a criterion'));
  rows.push(line(`border-top:3px dotted ${VERDICTS.undecided.line}`, `undecided: ${UNDECIDED}`, 'wraps'));
  rows.push(line('border-top:5px solid #ff7f00', 'selected'));
  rows.push(line('border-top:2px dashed #333', 'near miss'));
  rows.push(sw('rgba(123,50,148,0.25)', 'border:2px solid #7b3294;', 'poche de pauvreté'));
  rows.push('<h4>REP/REP+ collèges</h4>');
  for (const [k, c] of Object.entries(SCHOOL_COLOURS)) rows.push(dot(c, k));
  rows.push(dot('#9e9e9e', 'not included (yet)'));
  div.innerHTML = `${rows.join('')}</div>`;
  div.querySelector('.legend-toggle').addEventListener('click', () => {
    const folded = div.classList.toggle('folded');
    div.querySelector('.legend-toggle').textContent = folded ? 'Legend ▸' : 'Legend ▾';
  });
  return div;
};
legend.addTo(map);

// ===== 5. Squares: loading, drawing, hit tests ===============================================

const BUCKET = 0.004; // degrees: a 200 m square's centre is within one bucket of any point in it
const bucketKey = (lon, lat) => `${Math.floor(lon / BUCKET)},${Math.floor(lat / BUCKET)}`;

function pointInRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// Polygon or MultiPolygon (GeoJSON coordinates, lon/lat) containing the point?
function geometryContains(geom, lon, lat) {
  if (!geom) return false;
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  return polys.some((p) => pointInRing(lon, lat, p[0]) && !p.slice(1).some((h) => pointInRing(lon, lat, h)));
}

function squareAt(latlng) {
  const bx = Math.floor(latlng.lng / BUCKET), by = Math.floor(latlng.lat / BUCKET);
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (const sq of app.buckets.get(`${bx + dx},${by + dy}`) || []) {
        if (pointInRing(latlng.lng, latlng.lat, sq.d.ring)) return sq;
      }
    }
  }
  return null;
}

function squareStyle(sq, pending) {
  const d = sq.d, mark = pending || (app.picked.has(d.id) ? PENDING.pick : null);
  const px = app.squarePx; // outlines only where squares are big enough on screen to show them
  return {
    pane: 'squares', interactive: false,
    fillColor: medianColour(d.median), fillOpacity: 0.72,
    stroke: Boolean(mark) || (d.flagged ? px >= 4 : px >= 8),
    color: mark || (d.flagged ? '#111111' : '#ffffff'),
    weight: mark ? (px >= 8 ? 3 : 2) : d.flagged ? (px >= 12 ? 1.2 : 0.7) : 0.5,
    opacity: mark || d.flagged ? 1 : 0.6,
  };
}

function restyleSquare(sq, pending) {
  sq.layer.setStyle(squareStyle(sq, pending));
  if (pending || app.picked.has(sq.d.id)) sq.layer.bringToFront();
}

let squaresTimer = null, squaresAbort = null;
const scheduleSquares = () => { clearTimeout(squaresTimer); squaresTimer = setTimeout(loadSquares, 250); };

async function loadSquares() {
  if (!app.squaresOn) { markReady('squares'); return; }
  const b = map.getBounds().pad(0.1);
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(6)).join(',');
  if (squaresAbort) squaresAbort.abort();
  squaresAbort = new AbortController();
  try {
    drawSquares(await api('GET', `api/squares?bbox=${bbox}`, null, squaresAbort.signal));
  } catch (e) {
    if (e.name === 'AbortError') return;
    showError(`Squares: ${e.message}`);
    markReady('squares');
  }
}

function drawSquares(res) {
  const c = map.getCenter(); // metres per pixel at the centre (Web Mercator)
  app.squarePx = 200 / (40075016.686 * Math.cos(c.lat * Math.PI / 180) / 2 ** (map.getZoom() + 8));
  layers.squares.clearLayers();
  app.squares.clear();
  app.buckets.clear();
  const notice = $('squares-notice');
  if (res.too_many) {
    // Blocks of k × k squares: a picture of the view, not editable (API.md).
    for (const b of res.blocks || []) {
      layers.squares.addLayer(L.polygon(b.ring.map(([x, y]) => [y, x]), {
        pane: 'squares', interactive: false, stroke: false, fillColor: medianColour(b.median), fillOpacity: 0.72,
      }));
    }
    const side = res.block_m >= 1000 ? `${res.block_m / 1000} km` : `${res.block_m} m`;
    const blocks = res.block_m ? `, drawn as ${side} blocks (weighted mean of their squares' medians)` : '';
    notice.textContent = `Zoom in to edit squares: ${fmtInt(res.count)} in view${blocks}`;
    notice.hidden = false;
  } else {
    notice.hidden = true;
    for (const d of res.squares) {
      const n = d.ring.length;
      const centre = L.latLng(d.ring.reduce((s, p) => s + p[1], 0) / n, d.ring.reduce((s, p) => s + p[0], 0) / n);
      const sq = { d, centre, layer: null };
      sq.layer = L.polygon(d.ring.map(([x, y]) => [y, x]), squareStyle(sq));
      layers.squares.addLayer(sq.layer);
      app.squares.set(d.id, sq);
      const k = bucketKey(centre.lng, centre.lat);
      if (!app.buckets.has(k)) app.buckets.set(k, []);
      app.buckets.get(k).push(sq);
    }
    for (const id of app.picked) if (app.squares.has(id)) app.squares.get(id).layer.bringToFront();
  }
  app.squaresSeq += 1;
  document.body.dataset.squares = String(app.squares.size);
  markReady('squares');
}

const popupHtml = (title, rows, before = '', after = '') => `<div class="popup"><h4>${esc(title)}</h4>${before}<table>${
  rows.map(([k, v]) => `<tr><th>${k}</th><td>${esc(v)}</td></tr>`).join('')}</table>${after}</div>`;

function squarePopup(sq) {
  const d = sq.d, poche = featureAt(app.state?.poches, sq.centre);
  return popupHtml('Square', [
    ['Inhabitants', fmtInt(d.inhabitants)], ['Households', fmtInt(d.households)],
    ['Poor share', fmtPct(d.poor_share)], ['Estimated median', fmtEur(d.median)],
    ['Low-income square', d.flagged ? 'yes (flagged)' : 'no'], ['Perimeter', d.perimeter ?? 'none'],
    ...(poche ? [['Poche de pauvreté', poche.properties.id ?? 'yes']] : []),
  ], `<div class="sid">${esc(d.id)}</div>`);
}

function featureAt(fc, latlng) {
  return (fc?.features || []).find((f) => geometryContains(f.geometry, latlng.lng, latlng.lat));
}

// ===== 6. Perimeters and the other layers of the state =======================================

const perimeterLayers = new Map(); // id -> L.GeoJSON
const props = (id) => app.state?.perimeters.features.find((f) => f.properties.id === id)?.properties;

function perimeterStyle(p) {
  const sel = p.id === app.selected, flash = app.flash.has(p.id), v = VERDICTS[p.verdict];
  // Outlines thin out when zoomed out (a thick one hides a small perimeter's squares); a
  // touched perimeter flashes by its outline, never by a fill that would change the
  // squares' colours. The selected one keeps its verdict's dashes under the accent colour.
  const close = map.getZoom() >= 13;
  return {
    pane: 'perimeters', interactive: false,
    color: flash ? '#ffd400' : sel ? '#ff7f00' : v.line,
    weight: (sel || flash ? 2 : 0) + (close ? 3 : 2),
    dashArray: flash ? null : v.dash,
    fill: false,
  };
}

/** Zoom below which perimeter ids are hidden (the list in the panel names them). */
const LABEL_ZOOM = 11;

function drawPerimeters() {
  layers.perimeters.clearLayers();
  perimeterLayers.clear();
  for (const f of app.state.perimeters.features) {
    const p = f.properties;
    const layer = L.geoJSON(f, { style: () => perimeterStyle(p), interactive: false, pane: 'perimeters' });
    layers.perimeters.addLayer(layer);
    const b = layer.getBounds();
    if (!b.isValid()) continue;
    // The id just above the perimeter, so that the label never hides a small one.
    layers.perimeters.addLayer(L.tooltip({
      permanent: true, direction: 'top', offset: [0, -2], interactive: false,
      className: `perim-label ${p.verdict}`,
    }).setLatLng([b.getNorth(), b.getCenter().lng]).setContent(esc(p.id)));
    perimeterLayers.set(p.id, layer);
  }
  restylePerimeters();
}

function restylePerimeters() {
  for (const [id, layer] of perimeterLayers) {
    const p = props(id);
    if (p) layer.setStyle(perimeterStyle(p));
  }
  const sel = perimeterLayers.get(app.selected);
  if (sel) sel.bringToFront();
}

function perimeterAt(latlng) {
  const f = featureAt(app.state?.perimeters, latlng);
  return f ? f.properties.id : null;
}

function drawContext() {
  const st = app.state;
  drawPlaces();
  layers.nearMisses.clearLayers();
  layers.nearMisses.addLayer(L.geoJSON(st.near_misses, {
    pane: 'context', interactive: false, style: { color: '#333', weight: 2.5, dashArray: '6 5', fill: false },
  }));
  layers.poches.clearLayers();
  layers.poches.addLayer(L.geoJSON(st.poches, {
    pane: 'context', interactive: false,
    style: { color: '#7b3294', weight: 2, fillColor: '#7b3294', fillOpacity: 0.25 },
  }));
  layers.schools.clearLayers();
  for (const f of st.schools?.features || []) {
    if (f.geometry?.type !== 'Point') continue;
    const [lon, lat] = f.geometry.coordinates, p = f.properties;
    L.circleMarker([lat, lon], {
      pane: 'schools', radius: 6, color: '#222', weight: 1.5, fillColor: schoolColour(p.status), fillOpacity: 1,
      bubblingMouseEvents: false,
    }).bindPopup(popupHtml(p.school, [['Status', p.status], ['Perimeter', p.perimeter ?? 'none'],
      ['Distance', p.distance_m == null ? '–' : `${fmtInt(p.distance_m)} m`]])).addTo(layers.schools);
  }
}

// Place names by importance, as `qpv map` chooses them (README, Maps): urban units of
// 50 000+ from afar, then units of 20 000+ and communes of 10 000+, then communes of
// 1 000+ close up; only those in view, the most populous first, at most PLACE_LIMIT.
const PLACE_LIMIT = 250;

function placeFloor(zoom, kind) {
  if (zoom >= 11.5) return kind === 'commune' ? 1000 : Infinity;
  if (zoom >= 9) return kind === 'commune' ? 10000 : 20000;
  return kind === 'commune' ? Infinity : 50000;
}

function drawPlaces() {
  layers.places.clearLayers();
  const places = app.state?.places || [];
  const zoom = map.getZoom(), view = map.getBounds();
  const candidates = places
    .filter((p) => p.population >= placeFloor(zoom, p.kind) && view.contains([p.lat, p.lon]))
    .sort((a, b) => b.population - a.population);
  // Greedy by population: a name whose box would overlap one already placed (or repeat
  // it: a unit named after its main commune) is left out.
  const placed = [], names = new Set();
  for (const p of candidates) {
    if (placed.length >= PLACE_LIMIT) break;
    const key = p.name.toLowerCase();
    if (names.has(key)) continue;
    const at = map.latLngToContainerPoint([p.lat, p.lon]);
    const w = p.name.length * (p.kind === 'commune' ? 6.5 : 8.5) / 2 + 4, h = 9;
    const box = [at.x - w, at.y - h, at.x + w, at.y + h];
    if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
    placed.push(box);
    names.add(key);
    layers.places.addLayer(L.tooltip({
      permanent: true, direction: 'center', interactive: false,
      className: `place-label ${p.kind === 'commune' ? 'commune' : 'unit'}`,
    }).setLatLng([p.lat, p.lon]).setContent(esc(p.name)));
  }
}
map.on('moveend', drawPlaces);

// Click on the map with the Pan tool: the square's figures, and the perimeter it lies in.
map.on('click', (e) => {
  if (app.tool !== 'pan' || Date.now() - lastStrokeEnd < 300) return;
  const sq = squareAt(e.latlng);
  const pid = sq?.d.perimeter ?? perimeterAt(e.latlng);
  if (pid && props(pid)) selectPerimeter(pid);
  if (sq) { L.popup().setLatLng(sq.centre).setContent(squarePopup(sq)).openOn(map); return; }
  const po = featureAt(app.state?.poches, e.latlng), f = po || featureAt(app.state?.near_misses, e.latlng);
  if (f && !pid) { // a poche or a near miss, where no square is loaded
    const p = f.properties;
    L.popup().setLatLng(e.latlng).setContent(popupHtml(`${po ? 'Poche de pauvreté' : 'Near miss'} ${p.id ?? ''}`, [
      ['Inhabitants', fmtInt(p.inhabitants)], ['Estimated median', fmtEur(p.median)], ['Threshold', fmtEur(p.threshold)],
    ], '', `<div>${esc(p.reason ?? p.shortfalls ?? '')}</div>`)).openOn(map);
  }
});

// ===== 7. Panel ==============================================================================

function selectPerimeter(id, opts = {}) {
  app.selected = props(id) ? id : null;
  restylePerimeters();
  renderSelected();
  renderPerimeterList();
  updateTools();
  const layer = perimeterLayers.get(app.selected);
  if (opts.fit && layer) {
    const b = layer.getBounds();
    if (!map.getBounds().contains(b)) map.fitBounds(b.pad(0.15));
  }
  return app.selected;
}

function setFigure(id, value, text) {
  const el = $(id);
  el.dataset.value = value == null ? '' : String(value);
  el.innerHTML = text;
}

function renderSelected() {
  const p = props(app.selected);
  $('selected').classList.toggle('none', !p);
  if (!p) {
    $('selected-id').textContent = 'no perimeter selected';
    for (const id of ['verdict', 'selected-name', 'selected-place', 'criteria']) $(id).textContent = '';
    for (const id of ['inhabitants', 'households', 'poor-share', 'median', 'threshold', 'margin']) setFigure(id, null, '–');
    return;
  }
  $('selected-id').textContent = p.id;
  const v = p.verdict;
  $('verdict').className = `verdict ${v}`;
  $('verdict').dataset.state = v;
  $('verdict').textContent = `${VERDICTS[v].mark} ${VERDICTS[v].says}`;
  $('selected-name').textContent = p.name || '';
  $('selected-place').textContent = [p.commune_names || p.communes, p.uu_code && `urban unit ${p.uu_code} ${p.uu_name ?? ''}`]
    .filter(Boolean).join(' · ');
  // A drawn line cuts squares: the server sends the range their residents allow, and the
  // point estimate between (API.md); a perimeter of whole squares has low = high.
  const ranged = p.inhabitants_low != null && p.inhabitants_high != null && p.inhabitants_low !== p.inhabitants_high;
  setFigure('inhabitants', p.inhabitants, `${fmtInt(p.inhabitants)}${ranged
    ? ` <small>(between ${fmtInt(p.inhabitants_low)} and ${fmtInt(p.inhabitants_high)})</small>` : ''}`);
  $('inhabitants').dataset.low = ranged ? String(p.inhabitants_low) : '';
  $('inhabitants').dataset.high = ranged ? String(p.inhabitants_high) : '';
  setFigure('households', p.households, fmtInt(p.households));
  setFigure('poor-share', p.poor_share, fmtPct(p.poor_share));
  setFigure('median', p.median, fmtEur(p.median));
  setFigure('threshold', p.threshold, `${fmtEur(p.threshold)}${p.legal_threshold != null && p.legal_threshold !== p.threshold
    ? ` <small>(legal ${fmtEur(p.legal_threshold)})</small>` : ''}`);
  const m = p.margin;
  setFigure('margin', m, m == null ? '–' : `${fmtEur(Math.abs(m))} <small>${m >= 0 ? 'below' : 'above'} the threshold</small>`);
  $('margin').className = m == null ? '' : m >= 0 ? 'ok' : 'bad';
  $('squares-parts').textContent = `${fmtInt(p.squares)} · ${plural(p.parts ?? 0, 'part')}`;
  // Each criterion with its figure and, unless it meets, why in plain words (the reason
  // the server gives); `data-ok` stays for the scripts written before `data-state`.
  $('criteria').innerHTML = (p.criteria || []).map((c) => {
    const st = c.state;
    return `<li data-key="${esc(c.key)}" data-state="${esc(st)}" data-ok="${st === 'meets'}">`
      + `<span class="mark">${VERDICTS[st].mark}</span><span class="label">${esc(c.label)}</span>`
      + `<span class="fig">${esc(c.figure)}</span>`
      + `${st !== 'meets' && c.reason ? `<span class="reason">${esc(c.reason)}</span>` : ''}</li>`;
  }).join('');
}

function renderPerimeterList() {
  const feats = app.state?.perimeters.features || [];
  const count = (v) => feats.filter((f) => f.properties.verdict === v).length;
  const failing = count('fails'), undecided = count('undecided');
  $('perimeter-count').textContent = `${feats.length}${failing ? `, ${failing} failing` : ''}${
    undecided ? `, ${undecided} undecided` : ''}`;
  $('perimeter-list').innerHTML = feats.map(({ properties: p }) => {
    const v = p.verdict;
    return `<li data-id="${esc(p.id)}" data-verdict="${esc(v)}" class="${p.id === app.selected ? 'selected' : ''}${app.flash.has(p.id) ? ' flash' : ''}"`
      + ` title="${esc(v === 'meets' ? VERDICTS.meets.says : p.problems || VERDICTS[v].says)}">`
      + `<span class="verdict-mark ${esc(v)}">${VERDICTS[v].mark}</span><span class="pid">${esc(p.id)}</span>`
      + `<span class="pname">${esc(p.name || p.commune_names || p.communes || '')}</span><span class="pinh">${fmtInt(p.inhabitants)}</span></li>`;
  }).join('');
}
$('perimeter-list').addEventListener('click', (e) => {
  const li = e.target.closest('li[data-id]');
  if (li) selectPerimeter(li.dataset.id, { fit: true });
});

function renderSteps() {
  const st = app.state;
  $('steps').innerHTML = st.steps.map((s) => `<li value="${s.n}" data-n="${s.n}">${esc(s.summary)}${
    s.warnings?.length ? `<ul>${s.warnings.map((w) => `<li class="warn">⚠ ${esc(w)}</li>`).join('')}</ul>` : ''}</li>`).join('');
  $('steps-empty').hidden = st.steps.length > 0;
  $('steps').scrollTop = $('steps').scrollHeight;
  $('undo').disabled = !st.can_undo;
  $('redo').disabled = !st.can_redo;
  $('warnings-box').hidden = !st.warnings?.length;
  $('warnings').innerHTML = (st.warnings || []).map((w) => `<li>⚠ ${esc(w)}</li>`).join('');
}

// ===== 8. State and edits ====================================================================

// Takes a state from the server and redraws everything from it.
function applyState(st, how = {}) {
  const first = !app.state;
  app.state = st;
  window.qpv.state = st;
  const ids = st.perimeters.features.map((f) => f.properties.id);
  const touched = st.perimeters.features.filter((f) => f.properties.touched).map((f) => f.properties.id);
  if (how.select && ids.includes(how.select)) app.selected = how.select;
  else if (!ids.includes(app.selected)) app.selected = touched[0] ?? (first ? ids[0] : null) ?? null;
  app.flash = new Set(how.edited ? touched : []);
  $('title').textContent = st.title || '';
  document.title = `qpv serve — ${st.title || ''}`;
  // The estimate note, short and always in view; the whole text on demand.
  $('note').innerHTML = st.note
    ? `<details><summary>Medians are <b>estimates</b> from a model of each square's income (README, Method).</summary>${esc(st.note)}</details>`
    : '';
  $('version').textContent = `version ${st.version}`;
  $('version').dataset.value = String(st.version);
  // The read-only link (API.md, "Access"): no editing control is shown; the page still
  // follows the session's changes.
  app.readOnly = st.access === 'view';
  document.body.dataset.access = app.readOnly ? 'view' : 'edit';
  $('access').hidden = !app.readOnly;
  if (app.readOnly && app.tool !== 'pan') setTool('pan');
  if (first) {
    const [w, s, e, n] = st.bbox;
    map.fitBounds([[s, w], [n, e]], { padding: [10, 10] });
    setBasemap(st.tiles, st.tiles_attribution);
  }
  drawPerimeters();
  drawContext();
  renderSelected();
  renderPerimeterList();
  renderSteps();
  updateTools();
  if (app.flash.size) {
    clearTimeout(app.flashTimer);
    app.flashTimer = setTimeout(() => { app.flash.clear(); restylePerimeters(); }, 2500);
  }
  if (!first) loadSquares(); // the squares' perimeters changed
  if (app.compareOn) loadCompare();
  markReady('state');
}

function markReady(what) {
  app.ready[what] = true;
  if (app.ready.state && app.ready.squares && !document.body.dataset.ready) {
    document.body.dataset.ready = '1';
    resolveSquaresReady(true);
  }
}

async function reloadState(how = {}) {
  const st = await api('GET', 'api/state');
  applyState(st, how);
  return st;
}

const sessionFile = () => basename(app.state?.session) || 'session.toml';

// What a change was, in the words of the steps list: "step 4 remove 2 squares from
// 59701-01", "undo step 4 (…)" (`last_change` of the state, worded by the server, API.md).
const changeSays = (c) => c.summary || `${c.kind} (version ${c.version})`;

const READ_ONLY = 'This is the read-only link: it shows the session and follows its changes, but cannot change it. To edit, open the first address qpv serve printed (the one with the edit token).';

// Posts one step (or an undo, a redo) and re-renders from the state the server returns:
// the new state, or null when the server refused (its message is shown). While it runs,
// `app.sending` is a promise the long poll waits on, so that the page never reloads a
// state its own answer is about to bring.
async function post(path, body, how = {}) {
  if (!app.state) return null;
  if (app.readOnly) { showError(READ_ONLY, 'notice'); return null; }
  if (app.sending) { showError('Wait: the previous edit is still being checked.', 'notice'); return null; }
  let done;
  app.sending = new Promise((r) => { done = r; });
  clearError();
  try {
    const st = await api('POST', path, body);
    applyState(st, { edited: true, ...how });
    setStatus(`saved: ${sessionFile()} (version ${st.version})`);
    return st;
  } catch (e) {
    if (e.status !== 409) { showError(e.message); return null; }
    // Another window (or a script) changed the session since this page last heard: the
    // step was made against a map that is no longer the session's, so it is not applied.
    const what = { 'api/undo': 'undo', 'api/redo': 'redo' }[path] ?? 'step';
    try {
      const st = await reloadState({ edited: true });
      const c = st.last_change;
      const which = c && c.version === st.version ? ` (${changeSays(c)})` : '';
      const again = what === 'step' ? 'do your step again if it is still needed'
        : `${what} again if you still want to: it acts on the last step, which is now another's`;
      showError(`Another window changed the session to version ${st.version}${which}: your ${what} was not applied. `
        + `The map is now up to date; ${again}.`, 'notice');
      setStatus(`reloaded: ${sessionFile()} (version ${st.version})`, true);
    } catch (e2) {
      showError(`Another window changed the session, and reloading failed: ${e2.message}`);
    }
    return null;
  } finally {
    app.sending = null;
    done();
  }
}
const edit = (step, how) => post('api/edit', { version: app.state?.version, step }, how);
const undoRedo = (which) => post(`api/${which}`, { version: app.state?.version });

$('undo').addEventListener('click', () => undoRedo('undo'));
$('redo').addEventListener('click', () => undoRedo('redo'));
$('error-close').addEventListener('click', clearError);

// Following the other windows: one long poll on /api/events always open (API.md); the
// server answers when the version differs from `since`, or after 25 s with nothing new.
// On a change made elsewhere the page reloads the state and its squares, redraws, and
// says in the status line who changed what. A failed poll is retried after a delay that
// grows to 10 s, never in a tight loop.
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });
const events = { held: false, abort: null, release: null, failures: 0, asked: 0 };

async function follow() {
  for (;;) {
    if (events.held) { await new Promise((r) => { events.release = r; }); continue; }
    // Its own write's answer brings the new state: the poll waits for it, then asks with
    // the version the write left.
    if (app.sending) { await app.sending; continue; }
    const since = app.state.version, asked = Date.now();
    events.abort = new AbortController();
    events.asked += 1;
    let ev;
    try {
      ev = await request('GET', `api/events?since=${since}`, null, events.abort.signal);
    } catch (e) {
      if (e.name === 'AbortError') continue;
      if (e.status === 401 || e.status === 403) {
        showError(`No longer following the session: ${e.message}`);
        setStatus('not following the session', true);
        return;
      }
      events.failures += 1;
      if (events.failures >= 2) setStatus(`the server does not answer; retrying (version ${app.state.version} shown)`, true);
      await sleep(Math.min(500 * 2 ** events.failures, 10000));
      continue;
    } finally {
      events.abort = null;
    }
    if (events.failures) { events.failures = 0; setStatus(`session: ${sessionFile()} (version ${app.state.version})`); }
    if (events.held || app.sending) continue;
    if (ev?.version !== app.state.version) {
      try { await changedElsewhere(); } catch (e) { showError(`Reloading the session: ${e.message}`); await sleep(2000); }
    } else if (Date.now() - asked < 1000) {
      await sleep(1000); // "nothing new" should take 25 s: a server answering at once is not polled in a loop
    }
  }
}

async function changedElsewhere() {
  while (stroke) await sleep(100); // a paint stroke under way ends on the squares it started on
  const st = await api('GET', 'api/state');
  if (app.sending || events.held) return; // this page's own write, or a test's hold: asked again after
  applyState(st, { edited: true });
  const c = st.last_change;
  if (c && c.version === st.version && c.window !== windowId) setStatus(`${changeSays(c)}, from another window`);
  else setStatus(`reloaded: ${sessionFile()} (version ${st.version})`);
}

// Test hook: a page that has not heard of the last changes yet (its poll answered late),
// so that the tests can make the 409 of a stale page happen on purpose.
function holdEvents(held) {
  events.held = held;
  if (held && events.abort) events.abort.abort();
  if (!held && events.release) { events.release(); events.release = null; }
}

// Sections 9 to 13 (tools, dialogs, compare and export, start-up) are in tools.js, loaded
// after this file.
