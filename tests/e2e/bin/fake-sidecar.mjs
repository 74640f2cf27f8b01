#!/usr/bin/env node
// A stand-in for an old or broken sidecar, to test that the plugin replaces it.
//   node tests/e2e/bin/fake-sidecar.mjs MODE SOCKET PID_FILE server.mjs
// MODE stale: answers /v1/health as a sidecar of another version (sidecarVersion 0.0.0-old).
// MODE hung:  accepts connections and never answers.
// The trailing "server.mjs" argument makes the process look like a sidecar to the plugin's pid check.
// Ignores SIGTERM in hung mode (the plugin must escalate to SIGKILL).
import fs from 'node:fs';
import http from 'node:http';

const [mode, socket, pidFile] = process.argv.slice(2);
try { fs.unlinkSync(socket); } catch {}
const server = http.createServer((req, res) => {
  if (mode === 'hung') return; // never answers
  const body = JSON.stringify({ ok: true, version: '0.0.0-old', sidecarVersion: '0.0.0-old', pid: process.pid, uptimeSeconds: 1, inFlight: 0 });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(socket, () => {
  fs.writeFileSync(pidFile, String(process.pid));
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => {
  if (mode === 'hung') return;
  server.close();
  try { fs.unlinkSync(socket); } catch {}
  process.exit(0);
});
