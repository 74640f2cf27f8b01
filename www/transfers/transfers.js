// Direct browser uploads and downloads against the wps3/v1 REST routes.
// The bytes go straight between the browser and the bucket; WordPress only
// hands out signatures and records what arrived.
//
//   import { upload, download, listFiles, deleteFile } from './transfers.js';
//   const { fileId } = await upload(file, { onProgress: (sent, total) => …, signal });
//
// Settings come from window.wps3Transfers ({ root, nonce, wasm }), printed by
// the [wps3_files] shortcode, or from configure(). Every failure is a
// TransferError whose message is a sentence a user can act on. Whether a
// failed answer is worth another try is the core's verdict (statusVerdict of
// the web wasm build, `wasm`), never a status rule here.

const PARALLEL_PARTS = 4;
const PART_ATTEMPTS = 4;
// Parts signed per request: few requests (the site rate-limits them), URLs used well within their life.
const SIGN_BATCH = 32;
// Part URLs live 20 minutes; re-sign well before that.
const SIGNED_PART_TTL_MS = 15 * 60 * 1000;
const RESUME_PREFIX = 'wps3-upload:';

let settings = null;

/** Overrides window.wps3Transfers: { root: '…/wp-json/wps3/v1/', nonce, wasm: '…/pkg/web/wps3.js' }. */
export function configure(next) {
  settings = { ...next };
}

function config() {
  const s = settings ?? globalThis.wps3Transfers;
  if (!s || typeof s.root !== 'string' || typeof s.nonce !== 'string') {
    throw new TransferError('This page is missing its upload settings; reload it.', 'config');
  }
  return s;
}

/** A failure described for people; `code` is stable for scripts. */
export class TransferError extends Error {
  constructor(message, code, { status = 0, retry = false } = {}) {
    super(message);
    this.name = 'TransferError';
    this.code = code;
    this.status = status;
    this.retry = retry;
  }
}

const cancelledError = () => new TransferError('The upload was cancelled.', 'cancelled');

// The web wasm core, loaded once (before the first upload, or at the first failed answer).
let corePromise = null;
function core() {
  corePromise ??= import(config().wasm).then(async (m) => {
    await m.default();
    return m;
  });
  return corePromise.catch(() => {
    corePromise = null;
    throw new TransferError('This page could not load its WebAssembly core; reload it.', 'config');
  });
}

// The core's verdict on a failed answer ({ code, retryable }); status 0 is no answer at all.
const verdict = async (status) => (await core()).statusVerdict(status);

// ---- the site's REST routes ----

async function api(path, options = {}) {
  for (let waited = 0; ; ) {
    try {
      return await apiOnce(path, options);
    } catch (e) {
      // Rate-limited: wait as long as the site asks (bounded), then try again.
      if (!e.throttled || waited >= 120) throw e;
      const seconds = Math.min(60, Math.max(1, e.retryAfter || 5));
      waited += seconds;
      await sleep(seconds * 1000, options.signal);
    }
  }
}

async function apiOnce(path, { method = 'GET', body, signal } = {}) {
  const { root, nonce } = config();
  let res;
  try {
    res = await fetch(root + path, {
      method,
      signal,
      credentials: 'same-origin',
      headers: { 'X-WP-Nonce': nonce, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    if (signal?.aborted) throw cancelledError();
    throw new TransferError('The site did not answer. Check your connection and try again.', 'site-unreachable', { retry: (await verdict(0)).retryable });
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // An HTML error page from a proxy or a PHP fatal: described below by status.
  }
  if (res.ok) return data;
  const message = typeof data?.message === 'string' && data.message !== ''
    ? data.message
    : res.status === 401 || res.status === 403
      ? 'Your session has expired. Reload the page and log in again.'
      : `The site answered with an error (HTTP ${res.status}). Try again later.`;
  const judged = await verdict(res.status);
  const error = new TransferError(message, data?.code ?? `http-${res.status}`, { status: res.status, retry: judged.retryable });
  error.throttled = judged.code === 'TooManyRequests';
  error.retryAfter = Number(res.headers.get('Retry-After')) || 0;
  throw error;
}

// ---- talking to the bucket (XHR: fetch has no upload progress) ----

// The sentence for a failed answer from the bucket, chosen by the core's code for it.
async function storageError(status, phase) {
  const { code, retryable } = await verdict(status);
  const retry = { status, retry: retryable };
  switch (code) {
    case 'NETWORK_ERROR':
      return new TransferError('The storage could not be reached (network problem, or the bucket does not allow this site in its CORS rules).', 'storage-unreachable', retry);
    case 'AccessDenied':
      return new TransferError(`The storage refused the ${phase}: the link expired or the file is not what was announced (size or type). Try again.`, 'storage-refused', retry);
    case 'BadRequest':
    case 'EntityTooLarge':
      return new TransferError(`The storage rejected the ${phase}: the file is larger than allowed or not of the announced type.`, 'storage-rejected', retry);
    case 'NotImplemented':
      return new TransferError('This storage does not accept this kind of upload; an administrator must switch the upload mode to PUT.', 'storage-unsupported', retry);
    default:
      return new TransferError(`The storage had a problem with the ${phase} (HTTP ${status}). Try again.`, 'storage-error', retry);
  }
}

// Sends one request; resolves with the status of a 2xx answer, rejects otherwise.
function send({ method, url, headers = [], body, signal, onProgress, phase }) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError());
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of headers) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (fn) => {
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (status) => storageError(status, phase).then(reject, reject);
    xhr.onload = () => done(() => (xhr.status >= 200 && xhr.status < 300 ? resolve(xhr.status) : fail(xhr.status)));
    xhr.onerror = () => done(() => fail(0));
    xhr.onabort = () => done(() => reject(cancelledError()));
    xhr.send(body);
  });
}

// ---- single-request uploads ----

function formBody(fields, file) {
  const form = new FormData();
  // The policy covers these fields in this order; the file must come last.
  for (const [name, value] of fields) form.append(name, value);
  form.append('file', file);
  return form;
}

async function uploadSingle(file, plan, { onProgress, signal }) {
  const expected = plan.method === 'POST' ? [200, 201, 204] : [200];
  const status = await send({
    method: plan.method,
    url: plan.url,
    headers: plan.method === 'PUT' ? plan.headers ?? [] : [],
    body: plan.method === 'POST' ? formBody(plan.fields ?? [], file) : file,
    signal,
    onProgress: (loaded) => onProgress?.(Math.min(loaded, file.size), file.size),
    phase: 'upload',
  });
  if (!expected.includes(status)) throw await storageError(status, 'upload');
  onProgress?.(file.size, file.size);
  return api('confirm-upload', { method: 'POST', body: { key: plan.key, filename: file.name }, signal });
}

// ---- multipart uploads ----

const fingerprint = (file) => RESUME_PREFIX + [file.name, file.size, file.lastModified, file.type].join('|');

function remembered(file) {
  try {
    return JSON.parse(localStorage.getItem(fingerprint(file)) ?? 'null');
  } catch {
    return null;
  }
}

function remember(file, uploadId) {
  try {
    localStorage.setItem(fingerprint(file), JSON.stringify({ uploadId, at: Date.now() }));
  } catch {
    // Private mode or a full quota: the upload works, it just cannot resume.
  }
}

function forget(file) {
  try {
    localStorage.removeItem(fingerprint(file));
  } catch {
    // Nothing stored.
  }
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(t);
    reject(cancelledError());
  }, { once: true });
});

async function uploadMultipart(file, plan, { onProgress, signal }) {
  const { uploadId, partSize, partCount } = plan;
  remember(file, uploadId);
  const partLength = (n) => (n === partCount ? file.size - partSize * (partCount - 1) : partSize);

  // Parts already stored (a resumed upload) count as sent.
  const listed = await api('multipart/list-parts', { method: 'POST', body: { upload_id: uploadId }, signal });
  const stored = new Set((listed.parts ?? []).filter((p) => p.size === partLength(p.partNumber)).map((p) => p.partNumber));
  const todo = [];
  for (let n = 1; n <= partCount; n++) if (!stored.has(n)) todo.push(n);

  let sentDone = [...stored].reduce((sum, n) => sum + partLength(n), 0);
  const inFlight = new Map();
  const report = () => {
    let sent = sentDone;
    for (const loaded of inFlight.values()) sent += loaded;
    onProgress?.(Math.min(sent, file.size), file.size);
  };
  report();

  const signed = new Map(); // partNumber -> { url, headers, at }
  async function urlFor(n) {
    const cached = signed.get(n);
    if (cached && Date.now() - cached.at < SIGNED_PART_TTL_MS) return cached;
    const batch = [n, ...todo.filter((m) => m > n && !signed.has(m)).slice(0, SIGN_BATCH - 1)];
    const res = await api('multipart/sign-part', { method: 'POST', body: { upload_id: uploadId, part_numbers: batch }, signal });
    const at = Date.now();
    for (const p of res.parts ?? []) signed.set(p.partNumber, { url: p.url, headers: p.headers ?? [], at });
    if (!signed.has(n)) throw new TransferError('The site did not sign a part of the upload. Try again.', 'sign-failed');
    return signed.get(n);
  }

  async function sendPart(n) {
    const start = (n - 1) * partSize;
    const blob = file.slice(start, start + partLength(n));
    for (let attempt = 1; ; attempt++) {
      try {
        const { url, headers } = await urlFor(n);
        inFlight.set(n, 0);
        await send({
          method: 'PUT', url, headers, body: blob, signal,
          onProgress: (loaded) => {
            inFlight.set(n, loaded);
            report();
          },
          phase: `part ${n} of ${partCount}`,
        });
        inFlight.delete(n);
        sentDone += blob.size;
        report();
        return;
      } catch (e) {
        inFlight.delete(n);
        report();
        if (e.code === 'cancelled' || attempt >= PART_ATTEMPTS) throw e;
        // An expired or refused signature is renewed; network and 5xx failures are simply retried.
        if (e.code === 'storage-refused') signed.delete(n);
        else if (!e.retry) throw e;
        await sleep(500 * 2 ** (attempt - 1), signal);
      }
    }
  }

  let next = 0;
  const worker = async () => {
    while (next < todo.length) await sendPart(todo[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, todo.length) }, worker));

  await api('multipart/complete', { method: 'POST', body: { upload_id: uploadId }, signal });
  const confirmed = await api('confirm-upload', { method: 'POST', body: { upload_id: uploadId, filename: file.name }, signal });
  forget(file);
  return confirmed;
}

/**
 * Uploads a File straight to the bucket, then confirms it with the site.
 * Resolves { fileId }. onProgress(sentBytes, totalBytes); aborting `signal`
 * cancels (a multipart upload is aborted on storage, so nothing stays behind).
 */
export async function upload(file, { onProgress, signal } = {}) {
  if (!(file instanceof Blob) || typeof file.name !== 'string') {
    throw new TransferError('Pick a file first.', 'no-file');
  }
  // Loaded before any byte is sent, so a failure at storage finds its verdict ready.
  await core();
  const request = { filename: file.name, mime_type: file.type || 'application/octet-stream', file_size: file.size };
  let plan;
  const resume = remembered(file);
  if (resume?.uploadId) {
    try {
      plan = await api('upload-url', { method: 'POST', body: { ...request, resume_upload_id: resume.uploadId }, signal });
    } catch (e) {
      if (e.code === 'cancelled') throw e;
      forget(file); // Finished, cancelled or expired meanwhile: start afresh.
    }
  }
  plan ??= await api('upload-url', { method: 'POST', body: request, signal });
  let confirmed;
  if (plan.shape === 'multipart') {
    try {
      confirmed = await uploadMultipart(file, plan, { onProgress, signal });
    } catch (e) {
      if (e.code === 'cancelled') {
        forget(file);
        // The page's own signal is aborted; the abort must still reach the site.
        await api('multipart/abort', { method: 'POST', body: { upload_id: plan.uploadId } }).catch(() => {});
      }
      throw e;
    }
  } else {
    confirmed = await uploadSingle(file, plan, { onProgress, signal });
  }
  return { fileId: confirmed.file_id };
}

/** Starts the download of one of the user's files (the browser saves it under its original name). */
export async function download(fileId) {
  const { url } = await api(`download-url?file_id=${encodeURIComponent(fileId)}`);
  const a = document.createElement('a');
  a.href = url;
  a.rel = 'noreferrer noopener';
  document.body.append(a);
  a.click();
  a.remove();
  return { url };
}

/** The user's files: [{ id, filename, content_type, size, created_at }]. */
export async function listFiles() {
  return (await api('files')).files ?? [];
}

/** Deletes one of the user's files (object and record). */
export async function deleteFile(fileId) {
  return api(`files/${encodeURIComponent(fileId)}`, { method: 'DELETE' });
}

/** Removes a remembered multipart upload of this file (e.g. after the user gave up on it). */
export function forgetUpload(file) {
  forget(file);
}
