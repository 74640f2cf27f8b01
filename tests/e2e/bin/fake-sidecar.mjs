#!/usr/bin/env node
// A stand-in for an old, broken or stopping sidecar, to test how the plugin treats it.
//   WPS3_FAKE_SIDECAR=MODE node tests/e2e/bin/fake-sidecar.mjs --socket SOCKET --pid-file PID_FILE
// The arguments are the ones the plugin launches the sidecar with, so with the wps3_sidecar_script filter
// pointing at this file the plugin recognises the process as its own. Without WPS3_FAKE_SIDECAR this file
// runs the real sidecar (php-bridge/sidecar/server.mjs): that is what the plugin starts as the replacement.
// MODE:
//   stale         answers /v1/health as sidecar version 0.0.0-old, and every op with { stale: true }
//   hung          accepts connections, never answers, ignores SIGTERM (the plugin must escalate to SIGKILL)
//   two-sigterms  never answers; ignores the first SIGTERM, exits 0 on the second
//   drain         answers health as WPS3_FAKE_VERSION; on SIGTERM removes its socket and exits by itself
//                 after WPS3_FAKE_DRAIN_MS (default 3000)
//   stall         answers health as WPS3_FAKE_VERSION until the first POST, which it never answers; from then
//                 on every other connection is closed at once
//   error         answers health as WPS3_FAKE_VERSION, and every op with { ok: false, error: WPS3_FAKE_ERROR }
//                 (a JSON object, sent as it is)
//   bearer        a sidecar from before the TCP proof (--port instead of --socket): answers everything,
//                 the hello included, 401 UNAUTHORIZED (it wanted the token itself as a bearer header)
// WPS3_FAKE_EVENTS=FILE appends one line per event (sigterm, exit) to FILE.
import fs from 'node:fs';
import http from 'node:http';

const mode = process.env.WPS3_FAKE_SIDECAR || '';
if (!mode) {
  await import(new URL('../../../php-bridge/sidecar/server.mjs', import.meta.url).href);
} else {
  const args = process.argv.slice(2);
  const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const socket = opt('--socket');
  const port = opt('--port');
  const pidFile = opt('--pid-file');
  const events = process.env.WPS3_FAKE_EVENTS;
  const event = (what) => { if (events) fs.appendFileSync(events, `${what}\n`); };
  const version = mode === 'stale' ? '0.0.0-old' : (process.env.WPS3_FAKE_VERSION || '0.0.0-old');
  let stalled = false;
  if (socket) try { fs.unlinkSync(socket); } catch {}
  const server = http.createServer((req, res) => {
    if (mode === 'hung' || mode === 'two-sigterms') return; // never answers
    if (mode === 'bearer') {
      const refusal = JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token', retry: 'never' } });
      res.writeHead(401, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(refusal) });
      res.end(refusal);
      return;
    }
    if (mode === 'stall') {
      if (stalled) { req.socket.destroy(); return; }
      if (req.method === 'POST') { stalled = true; return; }
    }
    const body = req.method === 'POST' && mode === 'stale'
      ? JSON.stringify({ ok: true, result: { stale: true } })
      : req.method === 'POST' && mode === 'error'
      ? `{"ok":false,"error":${process.env.WPS3_FAKE_ERROR || '{}'}}`
      : JSON.stringify({ ok: true, version, sidecarVersion: version, pid: process.pid, uptimeSeconds: 1, inFlight: 0 });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  const ready = () => {
    fs.writeFileSync(pidFile, String(process.pid));
    process.stdout.write('ready\n');
  };
  if (port) server.listen(Number(port), '127.0.0.1', ready);
  else server.listen(socket, ready);
  let sigterms = 0;
  process.on('SIGTERM', () => {
    sigterms += 1;
    event('sigterm');
    if (mode === 'hung') return;
    if (mode === 'two-sigterms' && sigterms < 2) return;
    if (mode === 'drain') {
      if (sigterms > 1) return; // a second SIGTERM is only recorded
      server.close();
      try { fs.unlinkSync(socket); } catch {}
      setTimeout(() => { event('exit'); process.exit(0); }, Number(process.env.WPS3_FAKE_DRAIN_MS || 3000));
      return;
    }
    server.close();
    if (socket) try { fs.unlinkSync(socket); } catch {}
    event('exit');
    process.exit(0);
  });
}
