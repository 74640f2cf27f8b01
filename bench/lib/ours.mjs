// Our core's outputs for the fixed workload, as JSON on stdout: what the Python, PHP and Rust
// competitors are checked against before they are timed (bench/run passes it to them).
import { createRequire } from 'node:module';
import * as W from './workload.mjs';

const require = createRequire(import.meta.url);
const wps3 = require('../../pkg/node/wps3.js');
const creds = { ...W.CREDS };
const base = { storage: { ...W.STORAGE }, credentials: creds, now: W.NOW_SECONDS };
const a = wps3.presignUrl({
  ...base, method: 'GET', key: W.KEY, expiresIn: W.GET_EXPIRES, query: [], headers: [], responseContentDisposition: W.CONTENT_DISPOSITION,
});
const b = wps3.signRequest({
  ...base, method: 'PUT', key: W.KEY, query: [], headers: [['Content-Type', W.PUT_CONTENT_TYPE]], payloadHash: W.PAYLOAD_SHA256,
});
const c = wps3.presignPost({
  ...base, key: W.KEY, expiresIn: W.POST_EXPIRES, fields: [['Content-Type', W.POST_CONTENT_TYPE]],
  conditions: [['eq', '$Content-Type', W.POST_CONTENT_TYPE], ['content-length-range', W.POST_MIN, W.POST_MAX]],
});
const fields = Object.fromEntries(c.fields);
process.stdout.write(JSON.stringify({
  workload: W.workload,
  A: { url: a.url, signature: new URL(a.url).searchParams.get('X-Amz-Signature') },
  B: { authorization: b.headers.find(([k]) => k.toLowerCase() === 'authorization')[1], headers: b.headers },
  C: { url: c.url, fields: c.fields, policy: fields.policy, policyJson: c.policy, signature: fields['x-amz-signature'] },
}) + '\n');
