// The TCP fallback's proof of the token (docs/CONTRACTS.md, "TCP fallback";
// issue 10, hole 6). The token never crosses the wire: another local user
// may hold the port PHP connects to, so PHP first sends a nonce and the
// sidecar proves it holds the token for exactly this connection; then each
// request carries PHP's proof, checked here before its body is read. Both
// HMACs are the core's (tcpHelloProof, tcpRequestValid); this file keeps
// the per-connection state and turns failures into UNAUTHORIZED, whose
// `reason` tells PHP whether a new hello can help: `no_session` (this
// connection has no proof, e.g. a sidecar restarted behind it; PHP proves a
// new connection once) or `bad_proof` (PHP's proof did not verify).

import crypto from 'node:crypto';
import { SidecarError } from './errors.mjs';
import { callCore, sha256Hex } from './core.mjs';

const refuse = (reason, message) => new SidecarError('UNAUTHORIZED', message, { reason });

// Node names an end by address and port; so does PHP's stream_socket_get_name().
const end = (address, port) => `${address}:${port}`;

export function createTcpAuth(token) {
  // socket -> { clientNonce, serverNonce, seq (of the last accepted request) }
  const sessions = new WeakMap();
  return {
    isHello: (req) => req.method === 'GET' && req.url === '/v1/hello',

    // GET /v1/hello with X-WPS3-Nonce: the answer's `result`. A malformed
    // nonce is the core's INVALID_ARGUMENT (400).
    hello(req) {
      const s = req.socket;
      const clientNonce = String(req.headers['x-wps3-nonce'] ?? '');
      // Random bytes are the one thing node:crypto is used for.
      const serverNonce = crypto.randomBytes(32).toString('hex');
      const proof = callCore('tcpHelloProof', {
        token, clientNonce, serverNonce, client: end(s.remoteAddress, s.remotePort), server: end(s.localAddress, s.localPort),
      });
      sessions.set(s, { clientNonce, serverNonce, seq: 0 });
      return { nonce: serverNonce, proof };
    },

    // Checks PHP's proof of the request line and headers; returns the body
    // hash it covers (checkBody compares it once the body is in). A refusal
    // ends the connection's session.
    authorize(req) {
      const session = sessions.get(req.socket);
      if (!session) throw refuse('no_session', 'no proof of the token on this connection (GET /v1/hello first)');
      const seq = session.seq + 1;
      const bodySha256 = String(req.headers['x-wps3-body-sha256'] ?? '');
      const valid = callCore('tcpRequestValid', {
        token,
        clientNonce: session.clientNonce,
        serverNonce: session.serverNonce,
        seq,
        method: req.method,
        path: req.url,
        bodySha256,
        proof: String(req.headers['x-wps3-proof'] ?? ''),
      });
      if (!valid) {
        sessions.delete(req.socket);
        throw refuse('bad_proof', 'missing or wrong proof of the token');
      }
      session.seq = seq;
      return bodySha256;
    },

    checkBody(req, declared, body) {
      if (sha256Hex(body) === declared) return;
      sessions.delete(req.socket);
      throw refuse('bad_proof', 'the request body does not match the hash its proof covers');
    },
  };
}
