// upload-file: streams a file from disk to S3. PHP only passes the path.
//
// Below multipartThreshold: one PutObject. Above: multipart, with each of
// `concurrency` workers owning one reusable part buffer, so memory is
// bounded by concurrency x partSize whatever the file size.
//
// Payload hashes come from the core: UNSIGNED-PAYLOAD over https (TLS
// already protects integrity), a real SHA-256 over plain http, where the
// signature is all that protects the body.

import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SidecarError, bad } from './errors.mjs';
import { newHasher, sha256Hex, emptyPayloadHash, resolveCredentials } from './core.mjs';
import { s3Request, endpointIsHttps, s3ErrorFrom, xmlText, xmlEscape, unquoteEtag } from './s3client.mjs';
import { log } from './log.mjs';

const MiB = 1024 * 1024;
export const DEFAULTS = { multipartThreshold: 16 * MiB, partSize: 8 * MiB, concurrency: 4 };
const MIN_PART = 5 * MiB; // S3's minimum for every part but the last
const MAX_PART = 512 * MiB;
const MAX_PARTS = 10_000;
const MAX_SINGLE_PUT = 5 * 1024 * MiB;
// Ceiling on part buffers held at once (concurrency is lowered to fit).
const MAX_BUFFERED = 256 * MiB;
const READ_CHUNK = MiB;
const PART_ATTEMPTS = 3;

function intArg(args, name, def, min, max) {
  const v = args[name];
  if (v === undefined || v === null) return def;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw bad(`${name} must be an integer in ${min}..${max}`);
  return v;
}

function metadataHeaders(metadata) {
  if (metadata === undefined || metadata === null) return [];
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw bad('metadata must be an object of strings');
  const out = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) throw bad(`metadata name ${JSON.stringify(k)} is not a valid header token`);
    if (typeof v !== 'string') throw bad(`metadata.${k} must be a string`);
    out.push([`x-amz-meta-${k.toLowerCase()}`, v]);
  }
  return out;
}

async function openFile(p) {
  let fh;
  try {
    fh = await fsp.open(p, 'r');
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new SidecarError('FILE_NOT_FOUND', `no file at ${p}`);
    throw new SidecarError('FILE_UNREADABLE', `cannot open ${p}: ${e.code || e.message}`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new SidecarError('FILE_UNREADABLE', `${p} is not a regular file`);
  }
  return { fh, size: st.size };
}

const changed = (p) => new SidecarError('FILE_CHANGED', `${p} shrank while it was being uploaded`);

// Reads [start, start+len) in fresh 1 MiB chunks; errors if the file ends
// early, since a short body would not match the signed Content-Length.
async function* readRange(fh, start, len, p) {
  let pos = start;
  const end = start + len;
  while (pos < end) {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) throw changed(p);
    pos += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

async function hashRange(fh, start, len, p) {
  const h = newHasher();
  try {
    for await (const chunk of readRange(fh, start, len, p)) h.update(chunk);
    return h.finish();
  } finally {
    h.dispose();
  }
}

// Fills buf[0..len) from the file at `start`.
async function readInto(fh, buf, start, len, p) {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, start + got);
    if (bytesRead === 0) throw changed(p);
    got += bytesRead;
  }
  return buf.subarray(0, len);
}

function etagOf(res, what) {
  const etag = res.headers.etag;
  if (!etag) {
    throw new SidecarError('S3_ERROR', `storage accepted the ${what} but sent no ETag`, {
      s3Code: 'MissingETag', httpStatus: res.status, cause: 'the server did not return an ETag header',
      fix: 'Check that the endpoint is an S3-compatible API (not a proxy that strips headers).',
      permanent: true, retryable: false, requestId: res.headers['x-amz-request-id'] ?? null,
    });
  }
  return etag;
}

export function parseUploadArgs(args) {
  if (!args.storage || typeof args.storage !== 'object') throw bad('storage must be an object');
  if (typeof args.key !== 'string' || args.key === '') throw bad('key must be a non-empty string');
  if (typeof args.path !== 'string' || !path.isAbsolute(args.path)) throw bad('path must be an absolute file path');
  if (args.contentType !== undefined && args.contentType !== null && typeof args.contentType !== 'string') throw bad('contentType must be a string');
  const o = {
    storage: args.storage,
    key: args.key,
    path: args.path,
    contentType: args.contentType || 'application/octet-stream',
    meta: metadataHeaders(args.metadata),
    threshold: intArg(args, 'multipartThreshold', DEFAULTS.multipartThreshold, 1, MAX_SINGLE_PUT),
    partSize: intArg(args, 'partSize', DEFAULTS.partSize, MIN_PART, MAX_PART),
    concurrency: intArg(args, 'concurrency', DEFAULTS.concurrency, 1, 16),
  };
  o.credentials = resolveCredentials(args.credentials);
  return o;
}

// Uploads at once across all clients: each may hold up to MAX_BUFFERED of
// part buffers, so this caps the sidecar's total, not just one upload's.
const MAX_UPLOADS = Math.max(1, Number(process.env.WPS3_MAX_UPLOADS) || 2);
let running = 0;
const waiting = [];
async function uploadSlot() {
  if (running < MAX_UPLOADS) {
    running++;
    return;
  }
  await new Promise((resolve) => waiting.push(resolve));
}
function releaseSlot() {
  const next = waiting.shift();
  if (next) next(); // hand the slot over directly
  else running--;
}

export async function uploadFile(args) {
  const o = parseUploadArgs(args);
  const { fh, size } = await openFile(o.path);
  await uploadSlot();
  try {
    const hashed = !endpointIsHttps(o.storage);
    if (size < o.threshold) return await putSingle(o, fh, size, hashed);
    return await putMultipart(o, fh, size, hashed);
  } finally {
    releaseSlot();
    await fh.close().catch(() => {});
  }
}

async function putSingle(o, fh, size, hashed) {
  // Over http the hash must be in the signature before the first body byte:
  // one streaming pass to hash, a second to send.
  const payloadHash = hashed ? await hashRange(fh, 0, size, o.path) : 'UNSIGNED-PAYLOAD';
  const res = await s3Request({
    storage: o.storage, credentials: o.credentials, method: 'PUT', key: o.key,
    headers: [['Content-Type', o.contentType], ...o.meta],
    payloadHash,
    body: size === 0 ? Buffer.alloc(0) : () => Readable.from(readRange(fh, 0, size, o.path), { objectMode: false }),
    contentLength: size,
  });
  return { bucket: o.storage.bucket, key: o.key, size, etag: unquoteEtag(etagOf(res, 'upload')), multipart: false, parts: 1 };
}

// Test hook: WPS3_TEST_FAULT=bad-upload-id:N sends part N with a wrong
// upload id so the server itself rejects it (NoSuchUpload) and the abort
// path runs against a real server.
function faultyPart() {
  const m = /^bad-upload-id:(\d+)$/.exec(process.env.WPS3_TEST_FAULT || '');
  return m ? Number(m[1]) : 0;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function putMultipart(o, fh, size, hashed) {
  let partSize = o.partSize;
  while (Math.ceil(size / partSize) > MAX_PARTS) partSize *= 2;
  if (partSize > 5 * 1024 * MiB) throw bad('file is too large for S3 multipart (over 10,000 parts of 5 GiB)');
  const count = Math.max(1, Math.ceil(size / partSize));
  const concurrency = Math.max(1, Math.min(o.concurrency, count, Math.floor(MAX_BUFFERED / partSize)));
  const common = { storage: o.storage, credentials: o.credentials, key: o.key };

  const created = await s3Request({
    ...common, method: 'POST', query: [['uploads', '']],
    headers: [['Content-Type', o.contentType], ...o.meta],
    payloadHash: emptyPayloadHash(),
  });
  const uploadId = xmlText(created.body.toString('utf8'), 'UploadId');
  if (!uploadId) {
    throw new SidecarError('S3_ERROR', 'CreateMultipartUpload answered without an UploadId', {
      s3Code: 'InvalidResponse', httpStatus: created.status, cause: 'unexpected response body',
      fix: 'Check that the endpoint is an S3-compatible API.', permanent: true, retryable: false, requestId: null,
    });
  }

  try {
    const etags = new Array(count);
    const fault = faultyPart();
    let next = 0;
    let failure = null;
    const worker = async () => {
      // One buffer per worker, reused for every part it sends.
      const buf = Buffer.allocUnsafeSlow(Math.min(partSize, size));
      while (!failure && next < count) {
        const i = next++;
        const start = i * partSize;
        const len = Math.min(partSize, size - start);
        try {
          const body = await readInto(fh, buf, start, len, o.path);
          const payloadHash = hashed ? sha256Hex(body) : 'UNSIGNED-PAYLOAD';
          const id = fault === i + 1 ? uploadId + 'x' : uploadId;
          etags[i] = await putPart(common, id, i + 1, body, payloadHash);
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failure) throw failure;

    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(e)}</ETag></Part>`).join('')
      + '</CompleteMultipartUpload>';
    const xmlBytes = Buffer.from(xml, 'utf8');
    const done = await s3Request({
      ...common, method: 'POST', query: [['uploadId', uploadId]],
      headers: [['Content-Type', 'application/xml']],
      payloadHash: sha256Hex(xmlBytes), body: xmlBytes, contentLength: xmlBytes.length,
      responseLimit: 256 * 1024,
    });
    // CompleteMultipartUpload can fail *inside* a 200 answer.
    const text = done.body.toString('utf8');
    if (/<Error>/.test(text)) throw s3ErrorFrom({ ...done, status: 500 }, Math.floor(Date.now() / 1000));
    const etag = xmlText(text, 'ETag') ?? done.headers.etag ?? null;
    return { bucket: o.storage.bucket, key: o.key, size, etag: unquoteEtag(etag), multipart: true, parts: count };
  } catch (e) {
    await abort(common, uploadId);
    throw e;
  }
}

async function putPart(common, uploadId, n, body, payloadHash) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await s3Request({
        ...common, method: 'PUT', query: [['partNumber', String(n)], ['uploadId', uploadId]],
        payloadHash, body, contentLength: body.length,
      });
      return etagOf(res, `part ${n}`);
    } catch (e) {
      const retryable = e instanceof SidecarError && e.extra?.retryable === true;
      if (!retryable || attempt >= PART_ATTEMPTS) throw e;
      log('warn', 'part failed, retrying', { part: n, attempt, code: e.code, s3Code: e.extra?.s3Code });
      await sleep(250 * 2 ** attempt);
    }
  }
}

// Best effort: a leftover multipart upload costs the user storage until a
// lifecycle rule removes it, so always try; the original error still wins.
async function abort(common, uploadId) {
  try {
    await s3Request({ ...common, method: 'DELETE', query: [['uploadId', uploadId]], payloadHash: emptyPayloadHash() });
    log('info', 'multipart upload aborted', { key: common.key });
  } catch (e) {
    log('warn', 'abort of multipart upload failed', { code: e.code, s3Code: e.extra?.s3Code });
  }
}
