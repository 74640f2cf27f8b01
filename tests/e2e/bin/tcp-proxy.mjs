#!/usr/bin/env node
// A TCP forwarder used to take a storage server "down" and bring it back on the same port.
//   node tests/e2e/bin/tcp-proxy.mjs LISTEN_PORT TARGET_HOST TARGET_PORT [BYTES_PER_SECOND]
// With BYTES_PER_SECOND, data toward the target is throttled (a slow uplink: long uploads).
// Prints "ready" once listening; exits (dropping every connection) on SIGTERM/SIGKILL.
import net from 'node:net';

const [listenPort, targetHost, targetPort, rateArg] = process.argv.slice(2);
const rate = Number(rateArg) || 0;
const sockets = new Set();
const server = net.createServer((client) => {
  const upstream = net.connect(Number(targetPort), targetHost);
  sockets.add(client).add(upstream);
  const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  if (rate > 0) {
    client.on('data', (chunk) => {
      upstream.write(chunk);
      client.pause();
      setTimeout(() => client.resume(), Math.ceil((chunk.length / rate) * 1000));
    });
  } else {
    client.pipe(upstream);
  }
  upstream.pipe(client);
});
server.listen(Number(listenPort), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => { for (const s of sockets) s.destroy(); server.close(); process.exit(0); });
