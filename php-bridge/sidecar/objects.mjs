// Small object/bucket operations: head-object, delete-object, test-connection.

import { bad } from './errors.mjs';
import { emptyPayloadHash, resolveCredentials } from './core.mjs';
import { s3Request, unquoteEtag } from './s3client.mjs';

function target(args, needKey) {
  if (!args.storage || typeof args.storage !== 'object' || Array.isArray(args.storage)) throw bad('storage must be an object');
  if (needKey && (typeof args.key !== 'string' || args.key === '')) throw bad('key must be a non-empty string');
  return { storage: args.storage, credentials: resolveCredentials(args.credentials), key: needKey ? args.key : null };
}

// Each op takes { signal } (client gone, sidecar exiting) as its second argument.
export async function headObject(args, { signal } = {}) {
  const t = target(args, true);
  const res = await s3Request({ ...t, method: 'HEAD', payloadHash: emptyPayloadHash(), accept: [404], signal });
  if (res.status === 404) return { exists: false };
  const len = Number(res.headers['content-length']);
  return {
    exists: true,
    size: Number.isFinite(len) ? len : null,
    etag: unquoteEtag(res.headers.etag),
    contentType: res.headers['content-type'] ?? null,
    lastModified: isoOrNull(res.headers['last-modified']),
  };
}

function isoOrNull(httpDate) {
  const ms = httpDate ? Date.parse(httpDate) : NaN;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export async function deleteObject(args, { signal } = {}) {
  const t = target(args, true);
  await s3Request({ ...t, method: 'DELETE', payloadHash: emptyPayloadHash(), signal });
  return { deleted: true };
}

// ListObjectsV2 with max-keys=1: proves endpoint, bucket, credentials,
// region and clock in one cheap round trip (a read-only probe).
export async function testConnection(args, { signal } = {}) {
  const t = target(args, false);
  const started = process.hrtime.bigint();
  await s3Request({
    ...t, method: 'GET', query: [['list-type', '2'], ['max-keys', '1']], payloadHash: emptyPayloadHash(), signal,
  });
  const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { ok: true, latencyMs: Math.round(latencyMs * 10) / 10 };
}
