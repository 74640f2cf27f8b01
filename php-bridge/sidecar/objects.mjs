// Object and bucket operations: the generic `s3` op (any action the core
// knows) and the older head-object, delete-object and test-connection.
// The core builds every request and reads every answer; this moves bytes.

import path from 'node:path';
import { SidecarError, bad } from './errors.mjs';
import { callCore, resolveCredentials, sha256Hex } from './core.mjs';
import { s3Action } from './s3client.mjs';
import { openWithin, rootsArg } from './files.mjs';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function target(args, needKey) {
  if (!isObject(args.storage)) throw bad('storage must be an object');
  if (needKey && (typeof args.key !== 'string' || args.key === '')) throw bad('key must be a non-empty string');
  return { storage: args.storage, credentials: resolveCredentials(args.credentials) };
}

// Each op takes { signal } (client gone, sidecar exiting) as its second argument.
export async function headObject(args, { signal } = {}) {
  const t = target(args, true);
  const { result } = await s3Action({ ...t, action: 'head_object', args: { key: args.key }, signal });
  return result;
}

export async function deleteObject(args, { signal } = {}) {
  const t = target(args, true);
  const { result } = await s3Action({ ...t, action: 'delete_object', args: { key: args.key }, signal });
  return result;
}

// ListObjectsV2 with max-keys=1: proves endpoint, bucket, credentials,
// region and clock in one cheap round trip (a read-only probe).
export async function testConnection(args, { signal } = {}) {
  const t = target(args, false);
  const started = process.hrtime.bigint();
  await s3Action({ ...t, action: 'list_objects_v2', args: { maxKeys: 1 }, signal });
  const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { ok: true, latencyMs: Math.round(latencyMs * 10) / 10 };
}

// Bodies the `s3` op sends inline (utf-8 `body` or `bodyBase64`), and the
// largest object body it returns inline (get_object, as base64).
export const INLINE_BODY_LIMIT = 512 * 1024;
export const INLINE_GET_LIMIT = 8 * 1024 * 1024;
const WITH_BODY = new Set(['put_object', 'upload_part']);
// Held in memory while sent; upload-file streams anything larger.
const MAX_FILE_BODY = 64 * 1024 * 1024;

// The generic op: { storage, credentials, action, args, body?, bodyBase64?,
// path?, allowedRoots?, offset?, length? } -> the action's result from the core. Body bytes
// for put_object/upload_part come from `path` (a byte range of a file) or
// a small inline body; get_object answers with `bodyBase64`.
export async function s3Op(args, { signal } = {}) {
  const t = target(args, false);
  if (typeof args.action !== 'string') throw bad('action must be a string');
  if (args.args !== undefined && args.args !== null && !isObject(args.args)) throw bad('args must be an object');
  const opts = { ...t, action: args.action, args: args.args ?? {}, signal };
  let fh = null;
  try {
    if (WITH_BODY.has(args.action)) {
      Object.assign(opts, await bodyOf(args, (h) => { fh = h; }));
      // Plain http signs the body's hash; the core says when.
      if (opts.args.payloadHash === undefined && callCore('payloadSigning', t.storage) === 'sha256') {
        opts.args = { ...opts.args, payloadHash: sha256Hex(opts.body) };
      }
    }
    else if (args.body !== undefined || args.bodyBase64 !== undefined || args.path !== undefined) {
      throw bad(`${args.action} sends no body`);
    }
    if (args.action === 'get_object') opts.responseLimit = INLINE_GET_LIMIT + 1;
    const { result, res } = await s3Action(opts);
    if (args.action !== 'get_object') return result;
    if (res.body.length > INLINE_GET_LIMIT) {
      throw new SidecarError('PAYLOAD_TOO_LARGE', `get_object returns at most ${INLINE_GET_LIMIT} bytes inline; ask for a range`);
    }
    return { ...result, bodyBase64: res.body.toString('base64') };
  } finally {
    await fh?.close().catch(() => {});
  }
}

async function bodyOf(args, keep) {
  if (args.path !== undefined) {
    if (typeof args.path !== 'string' || !path.isAbsolute(args.path)) throw bad('path must be an absolute file path');
    const fh = await openWithin(args.path, rootsArg(args.allowedRoots));
    keep(fh);
    const size = (await fh.stat()).size;
    const offset = args.offset ?? 0;
    const length = args.length ?? size - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw bad('offset and length must lie within the file');
    }
    if (length > MAX_FILE_BODY) throw bad(`one s3 op sends at most ${MAX_FILE_BODY} bytes of a file; use upload-file`);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) throw new SidecarError('FILE_CHANGED', `${args.path} shrank while it was being read`);
      got += bytesRead;
    }
    return { body: buf, contentLength: length };
  }
  let buf;
  if (typeof args.body === 'string') buf = Buffer.from(args.body, 'utf8');
  else if (typeof args.bodyBase64 === 'string') buf = Buffer.from(args.bodyBase64, 'base64');
  else buf = Buffer.alloc(0);
  if (buf.length > INLINE_BODY_LIMIT) throw bad(`inline bodies are at most ${INLINE_BODY_LIMIT} bytes; pass a file path`);
  return { body: buf, contentLength: buf.length };
}
