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

// Estimated median classes, as `qpv map` draws them (sequential: darkest = poorest).
const MEDIAN_BREAKS = [12000, 15000, 18000, 21000, 25000];
const MEDIAN_COLOURS = ['#253494', '#2c7fb8', '#41b6c4', '#7fcdbb', '#c7e9b4', '#ffffcc'];
const NO_MEDIAN = '#c8c8c8';
const PENDING = { add: '#00a651', remove: '#d7191c', pick: '#e7298a' }; // squares being painted
const DRAW = { pane: 'drawing', interactive: false, color: '#e7298a', weight: 2 };   // shapes being drawn
function medianColour(m) {
  if (m == null) return NO_MEDIAN;
  const i = MEDIAN_BREAKS.findIndex((b) => m < b);
  return MEDIAN_COLOURS[i === -1 ? MEDIAN_COLOURS.length - 1 : i];
}

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

function setBusy(delta) {
  app.busy += delta;
  if (app.busy > 0) document.body.dataset.busy = '1'; else delete document.body.dataset.busy;
}

// JSON request to the API; throws an Error carrying `status` and the server's message.
async function api(method, path, body, signal) {
  setBusy(+1);
  try {
    const res = await fetch(path, {
      method, signal, credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
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

function setBasemap(template) {
  if (basemap || !template) return;
  basemap = L.tileLayer(template, { attribution: '© contributors', maxZoom: 19 }).addTo(map);
  layersControl.addOverlay(basemap, 'Basemap (network)');
}

const legend = L.control({ position: 'bottomright' });
legend.onAdd = () => {
  const div = L.DomUtil.create('div', 'legend');
  L.DomEvent.disableClickPropagation(div);
  const rows = ['<button type="button" class="legend-toggle" title="Hide or show the legend">Legend ▾</button><div class="legend-body">'];
  const sw = (fill, stroke, label, extra = '') =>
    `<div class="row"><span class="sw" style="background:${fill};${stroke}${extra}"></span>${label}</div>`;
  const line = (css, label) => `<div class="row"><span class="line" style="${css}"></span>${label}</div>`;
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
  rows.push(line('border-top:3px solid #111', 'meets the decree'));
  rows.push(line('border-top:3px dashed #d7191c', 'fails a criterion'));
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
  const sel = p.id === app.selected, flash = app.flash.has(p.id), ok = p.meets_rule !== false;
  // Outlines thin out when zoomed out (a thick one hides a small perimeter's squares); a
  // touched perimeter flashes by its outline, never by a fill that would change the
  // squares' colours.
  const close = map.getZoom() >= 13;
  return {
    pane: 'perimeters', interactive: false,
    color: flash ? '#ffd400' : sel ? '#ff7f00' : ok ? '#111111' : '#d7191c',
    weight: (sel || flash ? 2 : 0) + (close ? 3 : 2),
    dashArray: ok || flash ? null : '9 6',
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
      className: `perim-label${p.meets_rule === false ? ' failing' : ''}`,
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
    for (const id of ['verdict', 'selected-name', 'selected-place', 'problems', 'criteria']) $(id).textContent = '';
    for (const id of ['inhabitants', 'households', 'poor-share', 'median', 'threshold', 'margin']) setFigure(id, null, '–');
    return;
  }
  $('selected-id').textContent = p.id;
  $('verdict').className = `verdict ${p.meets_rule === false ? 'bad' : 'ok'}`;
  $('verdict').textContent = p.meets_rule === false ? '✗ fails the decree' : '✓ meets the decree';
  $('selected-name').textContent = p.name || '';
  $('selected-place').textContent = [p.commune_names || p.communes, p.uu_code && `urban unit ${p.uu_code} ${p.uu_name ?? ''}`]
    .filter(Boolean).join(' · ');
  setFigure('inhabitants', p.inhabitants, fmtInt(p.inhabitants));
  setFigure('households', p.households, fmtInt(p.households));
  setFigure('poor-share', p.poor_share, fmtPct(p.poor_share));
  setFigure('median', p.median, fmtEur(p.median));
  setFigure('threshold', p.threshold, `${fmtEur(p.threshold)}${p.legal_threshold != null && p.legal_threshold !== p.threshold
    ? ` <small>(legal ${fmtEur(p.legal_threshold)})</small>` : ''}`);
  const m = p.margin;
  setFigure('margin', m, m == null ? '–' : `${fmtEur(Math.abs(m))} <small>${m >= 0 ? 'below' : 'above'} the threshold</small>`);
  $('margin').className = m == null ? '' : m >= 0 ? 'ok' : 'bad';
  $('squares-parts').textContent = `${fmtInt(p.squares)} · ${plural(p.parts ?? 0, 'part')}`;
  $('criteria').innerHTML = (p.criteria || []).map((c) =>
    `<li data-key="${esc(c.key)}" data-ok="${c.ok ? 'true' : 'false'}"><span class="mark">${c.ok ? '✓' : '✗'}</span>`
    + `<span class="label">${esc(c.label)}</span><span class="fig">${esc(c.figure)}</span></li>`).join('');
  $('problems').textContent = p.problems || '';
}

function renderPerimeterList() {
  const feats = app.state?.perimeters.features || [];
  const failing = feats.filter((f) => f.properties.meets_rule === false).length;
  $('perimeter-count').textContent = `${feats.length}${failing ? `, ${failing} failing` : ''}`;
  $('perimeter-list').innerHTML = feats.map(({ properties: p }) => {
    const ok = p.meets_rule !== false;
    return `<li data-id="${esc(p.id)}" class="${p.id === app.selected ? 'selected' : ''}${app.flash.has(p.id) ? ' flash' : ''}"`
      + ` title="${esc(ok ? 'meets the decree' : p.problems || 'fails the decree')}">`
      + `<span class="${ok ? 'ok' : 'bad'}">${ok ? '✓' : '✗'}</span><span class="pid">${esc(p.id)}</span>`
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
  if (first) {
    const [w, s, e, n] = st.bbox;
    map.fitBounds([[s, w], [n, e]], { padding: [10, 10] });
    setBasemap(st.tiles);
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

async function reloadState() {
  const st = await api('GET', 'api/state');
  applyState(st);
  return st;
}

const sessionFile = () => basename(app.state?.session) || 'session.toml';

// Posts one step (or an undo, a redo) and re-renders from the state the server returns:
// the new state, or null when the server refused (its message is shown).
async function post(path, body, how = {}) {
  if (!app.state) return null;
  if (app.sending) { showError('Wait: the previous edit is still being checked.', 'notice'); return null; }
  app.sending = true;
  clearError();
  try {
    const st = await api('POST', path, body);
    applyState(st, { edited: true, ...how });
    setStatus(`saved: ${sessionFile()} (version ${st.version})`);
    return st;
  } catch (e) {
    if (e.status !== 409) { showError(e.message); return null; }
    try {
      const st = await reloadState();
      showError(`The session changed elsewhere, reloaded (now version ${st.version}): your edit was not applied; check the map and do it again if needed.`, 'notice');
      setStatus(`reloaded: ${sessionFile()} (version ${st.version})`, true);
    } catch (e2) {
      showError(`The session changed elsewhere, and reloading failed: ${e2.message}`);
    }
    return null;
  } finally {
    app.sending = false;
  }
}
const edit = (step, how) => post('api/edit', { version: app.state?.version, step }, how);
const undoRedo = (which) => post(`api/${which}`, { version: app.state?.version });

$('undo').addEventListener('click', () => undoRedo('undo'));
$('redo').addEventListener('click', () => undoRedo('redo'));
$('error-close').addEventListener('click', clearError);

// ===== 9. Tools: choosing, hints, paint strokes (brush, rectangle, lasso) ====================

function setTool(tool) {
  if (app.tool === 'polygon' && tool !== 'polygon') cancelPolygon();
  app.tool = tool;
  map.doubleClickZoom[tool === 'polygon' ? 'disable' : 'enable']();
  map.closePopup();
  updateTools();
}

function updateTools() {
  const st = app.state, sel = app.selected;
  for (const b of document.querySelectorAll('#toolbar .tool')) b.classList.toggle('active', b.dataset.tool === app.tool);
  for (const b of document.querySelectorAll('#toolbar .gesture')) b.classList.toggle('active', b.dataset.gesture === app.gesture);
  const mc = $('map').classList;
  for (const t of ['pan', 'add', 'remove', 'pick', 'polygon']) mc.toggle(`tool-${t}`, t === app.tool);
  mc.toggle('space-pan', app.spaceDown);
  $('picked-count').textContent = `(${fmtInt(app.picked.size)} picked)`;
  $('tool-create').disabled = !st || app.picked.size === 0;
  $('tool-clear-pick').disabled = app.picked.size === 0;
  $('tool-merge').disabled = !st || st.perimeters.features.length < 2;
  $('tool-rename').disabled = !st || !sel;
  $('tool-poches').disabled = !st;
  $('tool-schools').disabled = !st || !st.schools_file;
  $('tool-schools').title = st?.schools_file ? 'Bring REP/REP+ collèges within a distance inside the nearest perimeter'
    : 'Start qpv serve with --schools FILE to include REP schools';
  const who = sel ? `<b>${esc(sel)}</b>` : null;
  const shape = { brush: 'Click or drag across squares', rect: 'Drag a rectangle (squares whose centre is inside)',
    lasso: 'Draw a freehand shape (squares whose centre is inside)' }[app.gesture];
  const move = ' Space-drag or the Pan tool moves the map.';
  const hints = {
    pan: 'Drag to move the map; click a square for its figures and to select its perimeter; shift-drag picks squares.',
    add: who ? `${shape} to add them to ${who} (one step per drag).${move}` : null,
    remove: who ? `${shape} to remove them from ${who} (one step per drag).${move}` : null,
    pick: `${shape} to pick them for a new perimeter; click a picked square to drop it; then “New perimeter”.${move}`,
    polygon: 'Click the vertices; double-click or click the first vertex to finish; Esc cancels.',
  };
  const h = hints[app.tool];
  $('hint').innerHTML = h ?? 'Select a perimeter first: click inside one on the map (Pan tool) or in the list.';
  $('hint').className = h ? '' : 'warn';
}

for (const b of document.querySelectorAll('#toolbar .tool')) b.addEventListener('click', () => setTool(b.dataset.tool));
for (const b of document.querySelectorAll('#toolbar .gesture')) b.addEventListener('click', () => { app.gesture = b.dataset.gesture; updateTools(); });

let stroke = null, lastStrokeEnd = 0;

// Capture phase: runs before Leaflet's own drag handler, so that map dragging can be
// switched off for the time of a stroke.
map.getContainer().addEventListener('mousedown', (ev) => {
  if (ev.button !== 0 || app.spaceDown || stroke || app.tool === 'polygon') return;
  if (ev.target.closest('.leaflet-control, .leaflet-popup')) return;
  const action = app.tool === 'pan' ? (ev.shiftKey ? 'pick' : null) : app.tool;
  if (!action) return;
  const shape = ev.shiftKey ? 'rect' : app.gesture;
  map.dragging.disable();
  map.closePopup();
  const pt = map.mouseEventToContainerPoint(ev);
  stroke = { action, shape, start: pt, last: pt, points: [pt], ids: new Set(), preview: null };
  if (shape === 'brush') brushTo(pt);
  ev.preventDefault();
}, true);

document.addEventListener('mousemove', (ev) => {
  if (!stroke) return;
  const pt = map.mouseEventToContainerPoint(ev);
  if (stroke.shape === 'brush') brushTo(pt);
  else if (stroke.shape === 'rect') {
    const b = L.latLngBounds(map.containerPointToLatLng(stroke.start), map.containerPointToLatLng(pt));
    if (!stroke.preview) stroke.preview = L.rectangle(b, previewStyle()).addTo(layers.drawing);
    else stroke.preview.setBounds(b);
  } else if (pt.distanceTo(stroke.last) > 3) {
    stroke.points.push(pt);
    stroke.last = pt;
    const lls = stroke.points.map((p) => map.containerPointToLatLng(p));
    if (!stroke.preview) stroke.preview = L.polygon(lls, previewStyle()).addTo(layers.drawing);
    else stroke.preview.setLatLngs(lls);
  }
});

document.addEventListener('mouseup', (ev) => {
  if (!stroke) return;
  const s = stroke;
  stroke = null;
  lastStrokeEnd = Date.now();
  map.dragging.enable();
  if (s.preview) layers.drawing.removeLayer(s.preview);
  let ids;
  if (s.shape === 'brush') ids = [...s.ids];
  else if (s.shape === 'rect') {
    const b = L.latLngBounds(map.containerPointToLatLng(s.start), map.containerPointToLatLng(map.mouseEventToContainerPoint(ev)));
    ids = [...app.squares.values()].filter((sq) => b.contains(sq.centre)).map((sq) => sq.d.id);
  } else {
    const ring = s.points.map((p) => { const ll = map.containerPointToLatLng(p); return [ll.lng, ll.lat]; });
    ids = ring.length < 3 ? [] : [...app.squares.values()]
      .filter((sq) => pointInRing(sq.centre.lng, sq.centre.lat, ring)).map((sq) => sq.d.id);
  }
  for (const id of s.ids) if (app.squares.has(id)) restyleSquare(app.squares.get(id));
  finishSelection(s.action, ids, s.shape === 'brush' && s.points.length === 1);
});

const previewStyle = () => ({ ...DRAW, dashArray: '6 4', fillOpacity: 0.08 });

// Brush: the squares under the pointer, sampled every few pixels along its path.
function brushTo(pt) {
  const s = stroke, from = s.last, n = Math.max(1, Math.ceil(from.distanceTo(pt) / 4));
  for (let i = 0; i <= n; i++) {
    const sq = squareAt(map.containerPointToLatLng(from.add(pt.subtract(from).multiplyBy(i / n))));
    if (sq && !s.ids.has(sq.d.id)) { s.ids.add(sq.d.id); restyleSquare(sq, PENDING[s.action]); }
  }
  if (!pt.equals(from)) s.points.push(pt);
  s.last = pt;
}

// What a stroke selected: picked for a new perimeter, or one add/remove step.
function finishSelection(action, ids, isClick) {
  if (!ids.length) return;
  if (action === 'pick') {
    if (isClick && ids.length === 1 && app.picked.has(ids[0])) app.picked.delete(ids[0]);
    else ids.forEach((id) => app.picked.add(id));
    for (const id of ids) if (app.squares.has(id)) restyleSquare(app.squares.get(id));
    updateTools();
    return;
  }
  const sel = app.selected;
  if (!sel) { showError('Select a perimeter first: choose the Pan tool and click inside one, or click it in the list.'); return; }
  const inSel = (id) => app.squares.get(id)?.d.perimeter === sel;
  const chosen = ids.filter((id) => action === 'add' ? !inSel(id) : inSel(id));
  if (!chosen.length) {
    showError(action === 'add' ? `These squares are already in ${sel}.` : `None of these squares is in ${sel}.`, 'notice');
    return;
  }
  edit({ op: action, candidate: sel, squares: chosen }).then((st) => {
    // until the squares are reloaded, a second stroke sees where these went
    if (st) for (const id of chosen) if (app.squares.has(id)) app.squares.get(id).d.perimeter = action === 'add' ? sel : null;
  });
}

// ===== 10. Tools: drawn polygon ==============================================================

const poly = { pts: [], line: null, rubber: null };

map.on('click', (e) => {
  if (app.tool !== 'polygon') return;
  const p = map.latLngToContainerPoint(e.latlng);
  const pts = poly.pts;
  if (pts.length >= 3 && map.latLngToContainerPoint(pts[0]).distanceTo(p) < 10) { finishPolygon(); return; }
  if (pts.length && map.latLngToContainerPoint(pts[pts.length - 1]).distanceTo(p) < 4) return; // double click
  pts.push(e.latlng);
  if (!poly.line) poly.line = L.polyline(pts, { ...DRAW, weight: 3 }).addTo(layers.drawing);
  else poly.line.setLatLngs(pts);
  const first = pts.length === 1; // the first vertex is larger: click it to close
  L.circleMarker(e.latlng, { ...DRAW, radius: first ? 7 : 3, fillColor: first ? '#fff' : '#e7298a', fillOpacity: 1 }).addTo(layers.drawing);
});
map.on('mousemove', (e) => {
  if (app.tool !== 'polygon' || !poly.pts.length) return;
  const last = poly.pts[poly.pts.length - 1];
  const lls = poly.pts.length > 1 ? [last, e.latlng, poly.pts[0]] : [last, e.latlng];
  if (!poly.rubber) poly.rubber = L.polyline(lls, { ...DRAW, dashArray: '4 4' }).addTo(layers.drawing);
  else poly.rubber.setLatLngs(lls);
});
map.on('dblclick', () => { if (app.tool === 'polygon' && poly.pts.length >= 3) finishPolygon(); });

function cancelPolygon() {
  layers.drawing.clearLayers();
  Object.assign(poly, { pts: [], line: null, rubber: null });
}

async function finishPolygon() {
  const pts = poly.pts.slice();
  if (poly.rubber) { layers.drawing.removeLayer(poly.rubber); poly.rubber = null; }
  L.polygon(pts, { ...DRAW, weight: 3, fillOpacity: 0.15 }).addTo(layers.drawing);
  const ring = pts.map((ll) => [+ll.lng.toFixed(7), +ll.lat.toFixed(7)]);
  ring.push(ring[0]);
  const geometry = { type: 'Polygon', coordinates: [ring] };
  const sel = app.selected, n = [...app.squares.values()].filter((sq) => pointInRing(sq.centre.lng, sq.centre.lat, ring)).length;
  const r = await dialog({
    title: 'What to do with this polygon?',
    text: `${plural(n, 'loaded square')} with their centre inside.${sel ? '' : ' Select a perimeter for add, remove and split.'}`,
    column: true,
    buttons: [
      { value: 'add', label: `Add to ${sel ?? 'the selected perimeter'}`, disabled: !sel, primary: true },
      { value: 'remove', label: `Remove from ${sel ?? 'the selected perimeter'}`, disabled: !sel },
      { value: 'split', label: `Split ${sel ?? 'the selected perimeter'}: the part inside becomes a new perimeter…`, disabled: !sel },
      { value: 'keep_whole', label: 'Keep whole: the perimeter it touches takes every square it touches' },
      { value: 'create', label: 'New perimeter from the squares inside…' },
      { value: null, label: 'Cancel' },
    ],
  });
  cancelPolygon();
  if (!r || !r.button) return;
  if (r.button === 'add' || r.button === 'remove') await edit({ op: r.button, candidate: sel, polygon: geometry });
  else if (r.button === 'keep_whole') await edit({ op: 'keep_whole', areas: geometry });
  else if (r.button === 'split') {
    const a = await dialog({ title: `Split ${sel}`, fields: [{ name: 'new_id', label: 'Id of the new perimeter', value: suggestId(), required: true }] });
    if (a) await edit({ op: 'split', candidate: sel, polygon: geometry, new_id: a.values.new_id }, { select: a.values.new_id });
  } else if (r.button === 'create') {
    const a = await askNewPerimeter(`New perimeter from ${plural(n, 'square')}`);
    if (a) await edit({ op: 'create', ...a, polygon: geometry }, { select: a.id });
  }
}

// ===== 11. Tools: dialogs (new perimeter, merge, rename, poches, schools) ====================

// A small modal form. Resolves {button, values} or null (cancelled).
function dialog({ title, text = '', fields = [], buttons, column = false, validate }) {
  buttons = buttons || [{ value: 'ok', label: 'OK', primary: true }, { value: null, label: 'Cancel' }];
  $('dialog-title').textContent = title;
  $('dialog-text').textContent = text;
  $('dialog-error').textContent = '';
  $('dialog-buttons').className = column ? 'column' : '';
  $('dialog-fields').innerHTML = fields.map((f) => {
    const id = `dialog-${f.name}`;
    if (f.type === 'checks') {
      return `<div class="field"><label>${esc(f.label)}</label><div class="checks" id="${id}">${f.options.map((o) =>
        `<label><input type="checkbox" value="${esc(o.value)}"${o.checked ? ' checked' : ''}> ${esc(o.label)}</label>`).join('')}</div></div>`;
    }
    if (f.type === 'select') {
      return `<div class="field"><label for="${id}">${esc(f.label)}</label><select id="${id}">${f.options.map((o) =>
        `<option value="${esc(o.value)}"${o.value === f.value ? ' selected' : ''}>${esc(o.label)}</option>`).join('')}</select></div>`;
    }
    return `<div class="field"><label for="${id}">${esc(f.label)}</label><input id="${id}" type="${f.type || 'text'}"`
      + ` value="${esc(f.value ?? '')}"${f.min != null ? ` min="${f.min}"` : ''}${f.placeholder ? ` placeholder="${esc(f.placeholder)}"` : ''}></div>`;
  }).join('');
  $('dialog-buttons').innerHTML = buttons.map((b, i) =>
    `<button type="${b.primary ? 'submit' : 'button'}" data-i="${i}" id="dialog-${b.value ?? 'cancel'}"`
    + `${b.primary ? ' class="primary"' : ''}${b.disabled ? ' disabled' : ''}>${esc(b.label)}</button>`).join('');
  $('dialog-backdrop').hidden = false;
  const firstInput = $('dialog-fields').querySelector('input:not([type=checkbox]), select');
  (firstInput || $('dialog-buttons').querySelector('button:not(:disabled)'))?.focus();
  firstInput?.select?.();
  const values = () => Object.fromEntries(fields.map((f) => {
    const el = $(`dialog-${f.name}`);
    if (f.type === 'checks') return [f.name, [...el.querySelectorAll('input:checked')].map((c) => c.value)];
    if (f.type === 'number') return [f.name, el.value === '' ? null : Number(el.value)];
    return [f.name, el.value.trim()];
  }));
  return new Promise((resolve) => {
    const close = (r) => {
      $('dialog-backdrop').hidden = true;
      $('dialog').onsubmit = null; $('dialog-buttons').onclick = null; app.dialogClose = null;
      resolve(r);
    };
    const choose = (b) => {
      if (b.value == null) return close(null);
      const v = values();
      const missing = fields.find((f) => f.required && (v[f.name] == null || v[f.name] === ''));
      const err = missing ? `${missing.label}: required` : validate?.(v);
      if (err) { $('dialog-error').textContent = err; return; }
      close({ button: b.value, values: v });
    };
    app.dialogClose = () => close(null);
    $('dialog').onsubmit = (e) => {
      e.preventDefault();
      const primary = buttons.find((b) => b.primary && !b.disabled);
      if (primary) choose(primary);
    };
    $('dialog-buttons').onclick = (e) => { // the primary (submit) button goes through onsubmit
      const el = e.target.closest('button');
      if (el && el.type !== 'submit') choose(buttons[+el.dataset.i]);
    };
  });
}

// The next free id in the selected perimeter's urban unit ("59701-10").
function suggestId() {
  const feats = app.state.perimeters.features.map((f) => f.properties);
  const uu = props(app.selected)?.uu_code || feats[0]?.uu_code || 'new';
  const taken = new Set(feats.map((p) => p.id));
  for (let k = 1; k < 1000; k++) {
    const id = `${uu}-${String(k).padStart(2, '0')}`;
    if (!taken.has(id)) return id;
  }
  return `${uu}-new`;
}

// Asks the id and name of a new perimeter: {id, name?} or null.
async function askNewPerimeter(title) {
  const r = await dialog({
    title,
    fields: [{ name: 'id', label: 'Id', value: suggestId(), required: true },
      { name: 'name', label: 'Name (optional)', placeholder: 'e.g. Cité Lutas' }],
    validate: (v) => props(v.id) ? `A perimeter ${v.id} exists already` : null,
  });
  if (!r) return null;
  return r.values.name ? { id: r.values.id, name: r.values.name } : { id: r.values.id };
}

$('tool-create').addEventListener('click', async () => {
  const ids = [...app.picked];
  if (!ids.length) return;
  const a = await askNewPerimeter(`New perimeter from ${plural(ids.length, 'picked square')}`);
  if (!a) return;
  if (await edit({ op: 'create', ...a, squares: ids }, { select: a.id })) { app.picked.clear(); updateTools(); }
});

$('tool-clear-pick').addEventListener('click', () => {
  const ids = [...app.picked];
  app.picked.clear();
  for (const id of ids) if (app.squares.has(id)) restyleSquare(app.squares.get(id));
  updateTools();
});

$('tool-merge').addEventListener('click', async () => {
  const feats = app.state.perimeters.features.map((f) => f.properties);
  const options = feats.map((p) => ({ value: p.id, label: `${p.id}${p.name ? ` ${p.name}` : ''} (${fmtInt(p.inhabitants)} inhabitants)`, checked: p.id === app.selected }));
  const r = await dialog({
    title: 'Merge perimeters',
    text: 'Tick the perimeters to merge; the merged one keeps the id chosen below.',
    fields: [{ name: 'candidates', label: 'Perimeters', type: 'checks', options },
      { name: 'into', label: 'Keep the id of', type: 'select', value: app.selected ?? feats[0]?.id, options: feats.map((p) => ({ value: p.id, label: p.id })) }],
    validate: (v) => v.candidates.length < 2 ? 'Tick two perimeters or more'
      : !v.candidates.includes(v.into) ? `The kept id (${v.into}) must be one of the ticked perimeters` : null,
  });
  if (!r) return;
  const { candidates, into } = r.values;
  await edit({ op: 'merge', candidates: [into, ...candidates.filter((c) => c !== into)], into }, { select: into });
});

$('tool-rename').addEventListener('click', async () => {
  const p = props(app.selected);
  if (!p) return;
  const r = await dialog({
    title: `Rename ${p.id}`,
    fields: [{ name: 'to', label: 'New id (leave as is to keep it)', value: p.id, required: true },
      { name: 'name', label: 'Name', value: p.name || '' }],
    validate: (v) => v.to !== p.id && props(v.to) ? `A perimeter ${v.to} exists already`
      : v.to === p.id && v.name === (p.name || '') ? 'Nothing changed' : null,
  });
  if (!r) return;
  const step = { op: 'rename', candidate: p.id };
  if (r.values.to !== p.id) step.to = r.values.to;
  if (r.values.name !== (p.name || '')) step.name = r.values.name;
  await edit(step, { select: r.values.to });
});

$('tool-poches').addEventListener('click', async () => {
  const r = await dialog({
    title: 'Poches de pauvreté',
    text: 'Low-income clusters that are not quartiers (under the floor of inhabitants, or outside an eligible urban unit), found after the last step.',
    fields: [{ name: 'floor', label: 'Floor (inhabitants)', type: 'number', value: 500, min: 0, required: true }],
    validate: (v) => !(v.floor >= 0) ? 'The floor is a number of inhabitants' : null,
  });
  if (!r) return;
  if (await edit({ op: 'poches', floor: r.values.floor }) && !map.hasLayer(layers.poches)) layers.poches.addTo(map);
});

$('tool-schools').addEventListener('click', async () => {
  const r = await dialog({
    title: 'Include REP/REP+ schools',
    text: 'Each collège of the --schools file within this distance of a perimeter comes inside it (its square and a staircase of squares to the perimeter).',
    fields: [{ name: 'distance_m', label: 'Distance (metres)', type: 'number', value: 300, min: 0, required: true }],
    validate: (v) => !(v.distance_m >= 0) ? 'The distance is a number of metres' : null,
  });
  if (!r) return;
  if (await edit({ op: 'include_schools', distance_m: r.values.distance_m }) && !map.hasLayer(layers.schools)) layers.schools.addTo(map);
});

// ===== 12. Compare and export ================================================================

async function loadCompare() {
  let c;
  try { c = await api('GET', 'api/compare'); } catch (e) { showError(`Compare: ${e.message}`); return; }
  if (!app.compareOn) return;
  layers.compare.clearLayers();
  const piece = (fc, fill, line) => L.geoJSON(fc, { pane: 'compare', interactive: false,
    style: { color: line, weight: 2, fillColor: fill, fillOpacity: 0.8 } });
  layers.compare.addLayer(piece(c.added, '#00a651', '#00441b')).addLayer(piece(c.removed, '#e41a1c', '#67000d'));
  const n = (x) => `<td class="n">${fmtInt(x)}</td>`;
  const who = (r) => r.candidate && r.perimeter && r.candidate !== r.perimeter ? `${r.candidate} → ${r.perimeter}`
    : r.perimeter ?? `${r.candidate} (gone)`;
  $('compare').innerHTML = `<p class="compare-key">Inhabitants kept, <span class="swatch" style="background:#00a651"></span>added
    (green on the map) and <span class="swatch" style="background:#e41a1c"></span>removed (red) against the statistical candidates.</p>
    <table><thead><tr><th title="candidate → perimeter when the id changed">Perimeter</th><th>Status</th><th class="n">Kept</th><th class="n">Added</th><th class="n">Removed</th></tr></thead><tbody>${
  (c.rows || []).map((r) => `<tr data-id="${esc(r.perimeter ?? '')}"><td class="who">${esc(who(r))}</td>`
    + `<td class="st-${esc(r.status)}">${esc(r.status)}</td>${n(r.kept)}${n(r.added)}${n(r.removed)}</tr>`).join('')}</tbody>
    <tfoot><tr><td colspan="2">Total</td>${n(c.totals?.kept)}${n(c.totals?.added)}${n(c.totals?.removed)}</tr></tfoot></table>`;
}

$('compare').addEventListener('click', (e) => {
  const tr = e.target.closest('tr[data-id]');
  if (tr && tr.dataset.id) selectPerimeter(tr.dataset.id, { fit: true });
});

$('compare-toggle').addEventListener('change', (e) => {
  app.compareOn = e.target.checked;
  if (app.compareOn) { layers.compare.addTo(map); loadCompare(); }
  else { map.removeLayer(layers.compare); layers.compare.clearLayers(); $('compare').innerHTML = ''; }
});

$('export').addEventListener('click', async () => {
  const formats = ['geojson', ...['shapefile', 'gpkg'].filter((f) => $(`export-${f}`).checked)];
  clearError();
  $('export').disabled = true;
  $('export-result').textContent = 'writing…';
  try {
    const r = await api('POST', 'api/export', { formats });
    $('export-result').innerHTML = `Written to <code>${esc(r.dir)}</code>:<ul>${
      (r.files || []).map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`;
  } catch (e) {
    $('export-result').textContent = '';
    showError(`Export: ${e.message}`);
  } finally {
    $('export').disabled = false;
  }
});

// ===== 13. Keyboard, start-up and test hooks =================================================

document.addEventListener('keydown', (e) => {
  const typing = e.target.closest('input, select, textarea');
  if (e.key === 'Escape') {
    if (app.dialogClose) app.dialogClose();
    else if (app.tool === 'polygon' && poly.pts.length) cancelPolygon();
    else if (app.tool !== 'pan') setTool('pan');
    else map.closePopup();
    return;
  }
  if (typing || app.dialogClose) return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'z' && !e.shiftKey) { e.preventDefault(); if (app.state?.can_undo) undoRedo('undo'); }
  else if (mod && (e.key.toLowerCase() === 'y' || (e.key.toLowerCase() === 'z' && e.shiftKey))) {
    e.preventDefault(); if (app.state?.can_redo) undoRedo('redo');
  } else if (e.key === ' ' && !app.spaceDown) { e.preventDefault(); app.spaceDown = true; updateTools(); }
});
document.addEventListener('keyup', (e) => {
  if (e.key !== ' ' || e.target.closest('input, select, textarea')) return;
  e.preventDefault(); // no button click from the space bar: it moves the map
  app.spaceDown = false;
  updateTools();
});
window.addEventListener('blur', () => { if (app.spaceDown) { app.spaceDown = false; updateTools(); } });

map.on('moveend', scheduleSquares);
// Ids only from the scale of a few communes: a département's 78 labels pile up.
const labelsByZoom = () => map.getContainer().classList.toggle('no-labels', map.getZoom() < LABEL_ZOOM);
map.on('zoomend', () => { labelsByZoom(); restylePerimeters(); });
labelsByZoom();

window.qpv = {
  state: null,
  map,
  selectPerimeter: (id) => selectPerimeter(id),
  squaresLayerReady,
  get squaresLoaded() { return app.squaresSeq; },
  squareScreenPoint(id) {
    const sq = app.squares.get(id);
    if (!sq) return null;
    const p = map.latLngToContainerPoint(sq.centre);
    return { x: p.x, y: p.y };
  },
  edit,
  setTool,
  get selected() { return app.selected; },
  get picked() { return [...app.picked]; },
};

(async function start() {
  setTool('pan');
  try {
    await reloadState();
    setStatus(`session: ${sessionFile()} (version ${app.state.version})`);
    await loadSquares();
  } catch (e) {
    showError(e.status === 401 ? `${e.message}` : `Could not load the session: ${e.message}`);
    setStatus('not loaded', true);
  }
}());
