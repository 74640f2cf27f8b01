#!/usr/bin/env node
// An "S3" that answers every request with one error, e.g. 503 SlowDown or 500 InternalError.
//   node tests/e2e/bin/fake-s3.mjs PORT STATUS CODE
// Prints "ready" once listening.
import http from 'node:http';

const [port, status, code] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>fake ${code}</Message><RequestId>FAKE</RequestId></Error>`;
    res.writeHead(Number(status), { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), 'x-amz-request-id': 'FAKE' });
    res.end(body);
  });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
