// The qpv serve page in a real headless Chromium, timed as a person meets it: from
// navigation to `body[data-ready="1"]` (first state and squares drawn), N times in one
// browser with a fresh page each time; prints the median and the squares drawn.
// Usage: node --experimental-websocket benches/serve_page.mjs URL [N=5] [SHOT.png]
// (benches/serve.sh starts the server and calls it; Node 20's WebSocket speaks CDP).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';

const [url, runs = '5', shot] = process.argv.slice(2);
const dir = mkdtempSync('/tmp/qpv-bench-chromium-');
const chromium = spawn('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  `--user-data-dir=${dir}`, '--window-size=1400,900', '--remote-debugging-port=0', 'about:blank'],
{ stdio: ['ignore', 'ignore', 'pipe'] });
const endpoint = await new Promise((resolve, reject) => {
  let text = '';
  chromium.stderr.on('data', (d) => {
    text += d;
    const m = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  setTimeout(() => reject(new Error('chromium did not start')), 20000);
});
const ws = new WebSocket(endpoint);
await new Promise((r) => ws.addEventListener('open', r));
let next = 0;
const pending = new Map();
ws.addEventListener('message', (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
  }
});
const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
  const id = ++next;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params, sessionId }));
});

const times = [];
let squares = '';
for (let k = 0; k < Number(runs); k++) {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (m, p) => send(m, p, sessionId);
  await page('Emulation.setDeviceMetricsOverride', { width: 1400, height: 900, deviceScaleFactor: 1, mobile: false });
  const ask = async (expression) => (await page('Runtime.evaluate', { expression, returnByValue: true })).result.value;
  const t0 = performance.now();
  await page('Page.navigate', { url });
  for (;;) {
    if (await ask('document.body && document.body.dataset.ready === "1"')) break;
    if (performance.now() - t0 > 60000) throw new Error('the page was not ready in 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  times.push((performance.now() - t0) / 1000);
  squares = await ask('document.body.dataset.squares');
  if (shot && k === 0) {
    const { data } = await page('Page.captureScreenshot', { format: 'png' });
    writeFileSync(shot, Buffer.from(data, 'base64'));
  }
  await send('Target.closeTarget', { targetId });
}
times.sort((a, b) => a - b);
const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
console.log(`${median.toFixed(2)} ${squares}`);
ws.close();
chromium.kill();
