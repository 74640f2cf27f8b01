#!/usr/bin/env node
// A TLS-terminating relay in front of a plain-http server (Garage speaks
// only http), for measuring uploads over https. Runs as its own process so
// its CPU is not counted against either client it serves.
//
//   node bench/tls-proxy.mjs --key KEY.pem --cert CERT.pem --to PORT
//
// Prints {"port": N} on stdout once it listens on 127.0.0.1.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`tls-proxy: ${name} is required`);
  return process.argv[i + 1];
};
const to = Number(arg('--to'));
const server = tls.createServer({ key: fs.readFileSync(arg('--key')), cert: fs.readFileSync(arg('--cert')) }, (clear) => {
  const up = net.connect(to, '127.0.0.1');
  clear.pipe(up).pipe(clear);
  clear.on('error', () => up.destroy());
  up.on('error', () => clear.destroy());
  clear.on('close', () => up.destroy());
  up.on('close', () => clear.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
