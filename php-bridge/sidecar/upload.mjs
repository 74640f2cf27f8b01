// upload-file: streams a file from disk to S3. PHP only passes the path.
//
// Below multipartThreshold: one PutObject. Above: multipart, `concurrency`
// parts in flight, each streamed from the file through two small reused
// buffers, so memory is bounded by concurrency x 2 x SEND_CHUNK whatever the
// file and part sizes.
//
// Payload hashes come from the core: UNSIGNED-PAYLOAD over https (TLS
// already protects integrity), a real SHA-256 over plain http, where the
// signature is all that protects the body. Those hashes are computed by the
// core's wasm in worker threads (hash-pool.mjs), a few parts ahead of the
// senders, so hashing and sending overlap; each part is read twice (once to
// hash, once to send), the second time mostly from the page cache.

import path from 'node:path';
import { SidecarError, bad, cancelled, localError } from './errors.mjs';
import { callCore, sha256Hex, resolveCredentials } from './core.mjs';
import { fileHasher } from './hash-pool.mjs';
import { s3Action } from './s3client.mjs';
import { log } from './log.mjs';
import { fileError, openWithin, rootsArg } from './files.mjs';

const MiB = 1024 * 1024;
export const DEFAULTS = { multipartThreshold: 16 * MiB, partSize: 8 * MiB, concurrency: 4 };
// Input bounds of upload-file. S3's own limits (5 MiB parts, 10,000 parts)
// are the core's; 512 MiB bounds how much one retry resends.
const MIN_PART = 5 * MiB;
const MAX_PART = 512 * MiB;
const MAX_SINGLE_PUT = 5 * 1024 * MiB;
// Each body streams through two buffers of this size: one being read while
// the other is written to the socket.
const SEND_CHUNK = 512 * 1024;
const PART_ATTEMPTS = 3;

function intArg(args, name, def, min, max) {
  const v = args[name];
  if (v === undefined || v === null) return def;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw bad(`${name} must be an integer in ${min}..${max}`);
  return v;
}

function metadataArg(metadata) {
  if (metadata === undefined || metadata === null) return {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw bad('metadata must be an object of strings');
  for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw bad(`metadata.${k} must be a string`);
  return metadata;
}

export { fileError } from './files.mjs';

// allowedRoots (from PHP): the file must really lie inside one of them.
async function openFile(p, roots) {
  const fh = await openWithin(p, roots);
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw localError({ kind: 'file', errno: null, message: `${p} is not a regular file` });
  }
  return { fh, size: st.size };
}

const changed = (p) => new SidecarError('FILE_CHANGED', `${p} shrank while it was being uploaded`);

async function readAt(fh, buf, off, len, pos, p) {
  try {
    return await fh.read(buf, off, len, pos);
  } catch (e) {
    throw fileError(e, p);
  }
}

// Two send buffers, reused for every body one sender streams (fresh ones
// per part would pile up as garbage faster than the GC returns them).
// `busy` while a pump runs: a retry whose previous pump has not finished
// yet gets fresh buffers rather than sharing these.
const sendBuffers = (len) => {
  const n = Math.max(1, Math.min(SEND_CHUNK, len));
  return { busy: false, bufs: [Buffer.allocUnsafeSlow(n), Buffer.allocUnsafeSlow(n)] };
};

// A request body streaming [start, start+len) of the file (see exchange's
// `pump`): two buffers alternate, the next chunk is read while the last one
// is written. Errors if the file ends early, since a short body would not
// match the signed Content-Length. Replayable, for a retry.
function fileBody(fh, start, len, p, signal, pool = null) {
  return {
    async pump(write) {
      const own = pool && !pool.busy ? pool : sendBuffers(len);
      own.busy = true;
      try {
        const end = start + len;
        const fill = async (buf, pos) => {
          if (signal?.aborted) throw cancelled();
          const { bytesRead } = await readAt(fh, buf, 0, Math.min(buf.length, end - pos), pos, p);
          if (bytesRead === 0) throw changed(p);
          return buf.subarray(0, bytesRead);
        };
        let pos = start;
        let chunk = await fill(own.bufs[0], pos);
        for (let k = 1; ; k ^= 1) {
          pos += chunk.length;
          const sent = write(chunk);
          if (pos >= end) return await sent;
          const [, next] = await Promise.all([sent, fill(own.bufs[k], pos)]);
          chunk = next;
        }
      } finally {
        own.busy = false;
      }
    },
  };
}

export function parseUploadArgs(args) {
  if (!args.storage || typeof args.storage !== 'object') throw bad('storage must be an object');
  if (typeof args.key !== 'string' || args.key === '') throw bad('key must be a non-empty string');
  // The core's strict check for keys we create (no control characters, no
  // '.'/'..' segments): INVALID_KEY before any file or storage is touched.
  callCore('validateKey', args.key);
  if (typeof args.path !== 'string' || !path.isAbsolute(args.path)) throw bad('path must be an absolute file path');
  if (args.contentType !== undefined && args.contentType !== null && typeof args.contentType !== 'string') throw bad('contentType must be a string');
  const o = {
    storage: args.storage,
    key: args.key,
    path: args.path,
    contentType: args.contentType || 'application/octet-stream',
    metadata: metadataArg(args.metadata),
    threshold: intArg(args, 'multipartThreshold', DEFAULTS.multipartThreshold, 1, MAX_SINGLE_PUT),
    partSize: intArg(args, 'partSize', DEFAULTS.partSize, MIN_PART, MAX_PART),
    concurrency: intArg(args, 'concurrency', DEFAULTS.concurrency, 1, 16),
    allowedRoots: rootsArg(args.allowedRoots),
  };
  o.credentials = resolveCredentials(args.credentials);
  return o;
}

// Uploads at once across all clients: each holds send buffers and shares
// the hashing threads, so this caps the sidecar's total, not one upload's.
const MAX_UPLOADS = Math.max(1, Number(process.env.WPS3_MAX_UPLOADS) || 2);
let running = 0;
const waiting = [];
// A waiter whose client left is taken out of the queue: it must not start
// an upload nobody will see the result of (a PHP retry may already be
// uploading the same document).
async function uploadSlot(signal) {
  if (signal?.aborted) throw cancelled();
  if (running < MAX_UPLOADS) {
    running++;
    return;
  }
  await new Promise((resolve, reject) => {
    const onAbort = () => {
      waiting.splice(waiting.indexOf(grant), 1);
      reject(cancelled());
    };
    const grant = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    waiting.push(grant);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
function releaseSlot() {
  const next = waiting.shift();
  if (next) next(); // hand the slot over directly
  else running--;
}

// opts.signal: aborted when the client disconnects or the sidecar exits;
// the upload then stops and a multipart upload is aborted on storage.
export async function uploadFile(args, { signal } = {}) {
  const o = parseUploadArgs(args);
  o.signal = signal;
  const { fh, size } = await openFile(o.path, o.allowedRoots);
  try {
    await uploadSlot(signal);
    try {
      // The core says whether this endpoint needs streamed bodies hashed (plain http).
      const hashed = callCore('payloadSigning', o.storage) === 'sha256';
      if (size < o.threshold) return await putSingle(o, fh, size, hashed);
      return await putMultipart(o, fh, size, hashed);
    } finally {
      releaseSlot();
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

async function putSingle(o, fh, size, hashed) {
  // Over http the hash must be in the signature before the first body byte:
  // one streaming pass to hash (off the event loop), a second to send.
  let payloadHash;
  if (hashed) {
    const hasher = fileHasher(fh, o.path, { signal: o.signal });
    try {
      payloadHash = await hasher.hash(0, size, 1);
    } finally {
      await hasher.close();
    }
  }
  const { result } = await s3Action({
    storage: o.storage, credentials: o.credentials, action: 'put_object',
    args: { key: o.key, contentType: o.contentType, metadata: o.metadata, payloadHash },
    body: size === 0 ? Buffer.alloc(0) : fileBody(fh, 0, size, o.path, o.signal),
    contentLength: size,
    signal: o.signal,
  });
  return { bucket: o.storage.bucket, key: o.key, size, etag: result.etag, multipart: false, parts: 1 };
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
  // The core lays out the parts (raised from partSize when 10,000 would not hold the file).
  const { partSize, partCount: count } = callCore('transferPartLayout', { size, partSize: o.partSize });
  const concurrency = Math.max(1, Math.min(o.concurrency, count));
  const common = { storage: o.storage, credentials: o.credentials };

  const { result: created } = await s3Action({
    ...common, action: 'create_multipart_upload',
    args: { key: o.key, contentType: o.contentType, metadata: o.metadata }, signal: o.signal,
  });
  const { uploadId } = created;

  const active = { ...common, key: o.key, uploadId };
  activeUploads.add(active);
  const hasher = hashed ? fileHasher(fh, o.path, { signal: o.signal }) : null;
  try {
    const etags = new Array(count);
    const fault = faultyPart();
    const span = (i) => [i * partSize, Math.min(partSize, size - i * partSize)];
    // Hashes run ahead of the senders by a bounded window: enough to keep
    // every hashing thread busy while `concurrency` parts are on the wire,
    // not so many that a failed upload leaves much work to drop. Only
    // 64-character hex strings are kept, never part bytes.
    const hashes = new Array(count);
    const ahead = concurrency + 2 * Math.max(1, hasher?.threads ?? 0);
    let hashedUpTo = 0;
    const hashFor = (i) => {
      for (; hasher && hashedUpTo < Math.min(count, i + ahead); hashedUpTo++) {
        hashes[hashedUpTo] = hasher.hash(...span(hashedUpTo), hashedUpTo + 1);
      }
      return hashes[i];
    };
    let next = 0;
    let failure = null;
    const sender = async () => {
      const buffers = sendBuffers(partSize);
      while (!failure && next < count) {
        if (o.signal?.aborted) {
          failure ??= cancelled();
          break;
        }
        const i = next++;
        const [start, len] = span(i);
        try {
          const payloadHash = hasher ? await hashFor(i) : undefined;
          if (failure) break;
          const id = fault === i + 1 ? uploadId + 'x' : uploadId;
          const body = fileBody(fh, start, len, o.path, o.signal, buffers);
          etags[i] = await putPart(common, { key: o.key, uploadId: id, partNumber: i + 1, payloadHash }, body, len, o.signal);
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, sender));
    if (failure) throw failure;

    // The core writes the part list and reads the answer (an error inside a 200 included).
    const { result: done } = await s3Action({
      ...common, action: 'complete_multipart_upload',
      args: { key: o.key, uploadId, parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) },
      responseLimit: 256 * 1024, signal: o.signal,
    });
    return { bucket: o.storage.bucket, key: o.key, size, etag: done.etag ?? null, multipart: true, parts: count };
  } catch (e) {
    await hasher?.close();
    await abortUpload(active);
    throw e;
  } finally {
    await hasher?.close();
    activeUploads.delete(active);
  }
}

async function putPart(common, args, body, contentLength, signal) {
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw cancelled();
    try {
      const { result } = await s3Action({ ...common, action: 'upload_part', args, body, contentLength, signal });
      return result.etag;
    } catch (e) {
      // The core's verdict; a clock fix was already tried inside s3Action.
      if (!(e instanceof SidecarError) || e.retry !== 'backoff' || attempt >= PART_ATTEMPTS) throw e;
      log('warn', 'part failed, retrying', { part: args.partNumber, attempt, code: e.code, s3Code: e.problem?.s3Code });
      await sleep(retryDelayMs(e, attempt));
    }
  }
}

// How long to wait before sending a part again: the core's retry-delay
// (back-off with jitter, Retry-After honoured), in sub-second steps here
// because a part retry happens inside one upload.
function retryDelayMs(e, attempt) {
  const { delaySeconds } = callCore('retryDelay', {
    retry: e.retry, attempt, jitter: Math.random(), retryAfterSeconds: e.problem?.retryAfterSeconds ?? null,
    baseSeconds: 1, capSeconds: 8,
  });
  return (delaySeconds ?? 0) * 1000;
}

// Object keys carry document titles: logs name them by length and a short
// hash (the core's SHA-256), enough to match lines, not to read the title.
export function keyRef(key) {
  return { keyBytes: Buffer.byteLength(key), keyHash: sha256Hex(Buffer.from(key, 'utf8')).slice(0, 12) };
}

// Multipart uploads in progress, so an exiting sidecar can abort them:
// { storage, credentials, key, uploadId }.
const activeUploads = new Set();

// Best effort: a leftover multipart upload costs the user storage until a
// lifecycle rule removes it, so always try; the original error still wins.
// Never given the request's signal: it runs precisely when that is aborted.
// Memoised, because the upload's own cleanup and an exiting sidecar may
// both ask for it.
function abortUpload(active, timeoutMs) {
  active.aborting ??= (async () => {
    try {
      await s3Action({
        storage: active.storage, credentials: active.credentials, action: 'abort_multipart_upload',
        args: { key: active.key, uploadId: active.uploadId }, timeoutMs,
      });
      log('info', 'multipart upload aborted', keyRef(active.key));
    } catch (e) {
      log('warn', 'abort of multipart upload failed', { ...keyRef(active.key), code: e.code, s3Code: e.extra?.s3Code });
    }
  })();
  return active.aborting;
}

// For an exiting sidecar: aborts every multipart upload still open, each
// request bounded by timeoutMs. Resolves when all have been tried.
export async function abortAllUploads(timeoutMs = 5_000) {
  const all = [...activeUploads];
  if (all.length) log('info', 'aborting open multipart uploads', { count: all.length });
  await Promise.all(all.map((a) => abortUpload(a, timeoutMs)));
}
