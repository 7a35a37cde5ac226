// qpv serve — the page's tools, dialogs, compare and export, and its start-up (sections 9
// to 13; sections 1 to 8, the state, map, layers and panel, are in app.js, loaded first).
'use strict';

// ===== 9. Tools: choosing, hints, paint strokes (brush, rectangle, lasso) ====================

function setTool(tool) {
  if (app.readOnly && tool !== 'pan') return; // the read-only link has the Pan tool only
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
  const h = app.readOnly
    ? 'Read-only link: drag to move the map, click a square for its figures; the page follows the changes made in the other windows.'
    : hints[app.tool];
  $('hint').innerHTML = h ?? 'Select a perimeter first: click inside one on the map (Pan tool) or in the list.';
  $('hint').className = h ? '' : 'warn';
  $('hint').title = $('hint').textContent; // the whole hint when the line is cut
}

for (const b of document.querySelectorAll('#toolbar .tool')) b.addEventListener('click', () => setTool(b.dataset.tool));
for (const b of document.querySelectorAll('#toolbar .gesture')) b.addEventListener('click', () => { app.gesture = b.dataset.gesture; updateTools(); });

let stroke = null, lastStrokeEnd = 0;

// Capture phase: runs before Leaflet's own drag handler, so that map dragging can be
// switched off for the time of a stroke.
map.getContainer().addEventListener('mousedown', (ev) => {
  if (ev.button !== 0 || app.readOnly || app.spaceDown || stroke || app.tool === 'polygon') return;
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
    fields: [{ name: 'floor', label: 'Floor (inhabitants)', type: 'number', value: app.state.defaults.poche_floor, min: 0, required: true }],
    validate: (v) => !(v.floor >= 0) ? 'The floor is a number of inhabitants' : null,
  });
  if (!r) return;
  if (await edit({ op: 'poches', floor: r.values.floor }) && !map.hasLayer(layers.poches)) layers.poches.addTo(map);
});

$('tool-schools').addEventListener('click', async () => {
  const r = await dialog({
    title: 'Include REP/REP+ schools',
    text: 'Each collège of the --schools file within this distance of a perimeter comes inside it (its square and a staircase of squares to the perimeter).',
    fields: [{ name: 'distance_m', label: 'Distance (metres)', type: 'number', value: app.state.defaults.school_distance_m, min: 0, required: true }],
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
  layers.compare.addLayer(piece(c.added, '#31a354', '#00441b')).addLayer(piece(c.removed, '#de2d26', '#67000d'));
  const n = (x) => `<td class="n">${fmtInt(x)}</td>`;
  const who = (r) => r.candidate && r.perimeter && r.candidate !== r.perimeter ? `${r.candidate} → ${r.perimeter}`
    : r.perimeter ?? `${r.candidate} (gone)`;
  $('compare').innerHTML = `<p class="compare-key">Inhabitants kept, <span class="swatch" style="background:#31a354"></span>added
    (green on the map) and <span class="swatch" style="background:#de2d26"></span>removed (red) against the statistical candidates.</p>
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

// The session as an adjustments file: fetched with the token (a plain link cannot carry
// the Authorization header), then saved from a Blob.
$('download-session').addEventListener('click', async (e) => {
  e.preventDefault();
  clearError();
  try {
    const res = await fetch('api/edits.toml', {
      credentials: 'omit', cache: 'no-store', headers: { Authorization: `Bearer ${token}` },
    }).catch(() => { throw new Error('The server did not answer: is qpv serve still running?'); });
    if (!res.ok) throw new Error((await res.text()) || `${res.status} ${res.statusText}`);
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = Object.assign(document.createElement('a'), { href: url, download: $('download-session').getAttribute('download') });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    $('download-session').dataset.bytes = String(blob.size); // what was saved, for the tests
  } catch (err) {
    showError(`Download: ${err.message}`);
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
  // The outline the map draws for a perimeter: on a canvas, there is no element to read.
  perimeterOutline(id) {
    const path = perimeterLayers.get(id)?.getLayers()[0];
    return path ? { color: path.options.color, dashArray: path.options.dashArray ?? null } : null;
  },
  edit,
  setTool,
  holdEvents,
  get polls() { return events.asked; }, // requests to /api/events so far
  square: (id) => app.squares.get(id)?.d ?? null,
  get access() { return app.state?.access ?? null; },
  get selected() { return app.selected; },
  get picked() { return [...app.picked]; },
};

(async function start() {
  setTool('pan');
  if (!token) {
    showError('No token: open the address qpv serve printed (it ends with #token=…).');
    setStatus('not loaded', true);
    return;
  }
  try {
    await reloadState();
    setStatus(`session: ${sessionFile()} (version ${app.state.version})`);
    await loadSquares();
  } catch (e) {
    showError(e.status === 401 ? `${e.message}` : `Could not load the session: ${e.message}`);
    setStatus('not loaded', true);
    return;
  }
  follow();
}());
