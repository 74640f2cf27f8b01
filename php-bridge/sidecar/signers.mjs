// The signer cache: one wasm `Bucket` per (storage, access key, secret or
// sealed envelope), so a page of 100 links, or a burst of requests, opens
// the sealed secret and resolves the storage settings once. The decrypted
// secret lives only inside wasm (Bucket.fromSealed); a signer unused for
// the idle TTL, pushed out by newer ones, or left from a replaced core is
// freed, which zeroizes its secret. A plain secret (WPS3_SECRET_ACCESS_KEY)
// appears in a cache name only as the core's salted hash (signerKey); a
// sealed one by its envelope, context and key material, which PHP sends
// with every request anyway: naming it costs no hashing on the hot path.
// Every PHP request brings freshly parsed objects, so naming them was a
// fifth of a presign op (JSON of the storage, one long string to hash): a
// sealed signer is found by its envelope alone and then compared field by
// field, and only a miss builds the name.

import { SidecarError } from './errors.mjs';
import { checkCredentials, coreError, getCore, makeClock, onCoreReload, storageOrigin } from './core.mjs';

export const SIGNER_IDLE_MS = Number(process.env.WPS3_SIGNER_IDLE_MS) || 60_000;
export const MAX_SIGNERS = 32;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// now(): milliseconds, injectable so tests need no waiting.
export function createSignerCache({ idleMs = SIGNER_IDLE_MS, max = MAX_SIGNERS, now = () => Date.now(), sweepEveryMs = idleMs } = {}) {
  const entries = new Map(); // name -> entry, least recently used first
  // Within one request the same parsed objects come back op after op (a
  // batch's shared storage and credentials): skip naming them again.
  const recent = new WeakMap(); // credentials object -> { storage, entry }

  // Length-prefixed parts (in UTF-16 units), so no two lists give one name.
  const join = (parts) => parts.map((p) => `${p.length}:${p}`).join('');
  function name(storage, creds) {
    const parts = [JSON.stringify(storage), creds.accessKeyId, creds.sessionToken ?? ''];
    if (creds.sealedSecret) {
      const s = creds.sealedSecret;
      return join(['sealed', ...parts, s.envelope, s.context, s.keyMaterial]);
    }
    return join(['plain', ...parts, getCore().signerKey(creds.secretAccessKey)]);
  }

  // envelope -> { key, entry, and what the name was built from }: the
  // signer last used with that sealed secret.
  const bySealed = new Map();
  // A storage object's own fields, when every value is a primitive (what
  // sameFields can compare); null otherwise, and such a storage is never
  // looked up by its envelope.
  function fieldsOf(storage) {
    const keys = Object.keys(storage);
    const out = new Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      const v = storage[keys[i]];
      if (v !== null && typeof v === 'object') return null;
      out[2 * i] = keys[i];
      out[2 * i + 1] = v;
    }
    return out;
  }
  // Same keys and values as when the name was built: then JSON.stringify
  // would give the same storage up to key order, which the core ignores.
  function sameFields(storage, fields) {
    let n = 0;
    for (const k in storage) {
      if (2 * n >= fields.length) return false;
      n++;
    }
    if (2 * n !== fields.length) return false;
    for (let i = 0; i < fields.length; i += 2) {
      if (storage[fields[i]] !== fields[i + 1] || !Object.hasOwn(storage, fields[i])) return false;
    }
    return true;
  }
  function lookupSealed(storage, credentials) {
    const s = credentials.sealedSecret;
    if (!isObject(s) || typeof s.envelope !== 'string') return undefined;
    const f = bySealed.get(s.envelope);
    if (!f || f.entry.freed || f.accessKeyId !== credentials.accessKeyId || f.sessionToken !== credentials.sessionToken
      || f.context !== s.context || f.keyMaterial !== s.keyMaterial || !sameFields(storage, f.fields)) return undefined;
    // The named path would have refused these; the index never holds them.
    if (credentials.secretAccessKey !== undefined && credentials.secretAccessKey !== null && credentials.secretAccessKey !== '') return undefined;
    return f;
  }
  function remember(storage, credentials, creds, key, entry) {
    if (!creds.sealedSecret) return;
    const fields = fieldsOf(storage);
    if (fields === null) return;
    const s = creds.sealedSecret;
    bySealed.set(s.envelope, {
      key, entry, fields, accessKeyId: creds.accessKeyId, sessionToken: credentials.sessionToken, context: s.context, keyMaterial: s.keyMaterial,
    });
  }

  function create(storage, creds) {
    const core = getCore();
    try {
      const bucket = creds.sealedSecret
        ? core.Bucket.fromSealed(storage, creds.accessKeyId, creds.sealedSecret.envelope,
          creds.sealedSecret.keyMaterial, creds.sealedSecret.context, creds.sessionToken)
        : new core.Bucket(storage, creds);
      // The origin's corrected clock: resolved once, not on every op.
      return { bucket, clock: makeClock(storageOrigin(storage)), used: now(), freed: false };
    } catch (e) {
      throw coreError(e);
    }
  }

  function drop(key, entry) {
    entries.delete(key);
    const envelope = entry.envelope;
    if (envelope !== undefined && bySealed.get(envelope)?.entry === entry) bySealed.delete(envelope);
    entry.freed = true;
    try { entry.bucket.free(); } catch { /* its core is gone already */ }
  }

  function sweep() {
    const cutoff = now() - idleMs;
    // Least recently used first: stop at the first one still in use.
    for (const [key, entry] of entries) {
      if (entry.used > cutoff) break;
      drop(key, entry);
    }
  }

  // The signer for { storage, credentials } (the op's own arguments);
  // throws BAD_REQUEST for malformed credentials and the core's error for
  // settings or a secret it refuses.
  function get(storage, credentials) {
    if (!isObject(storage)) throw new SidecarError('BAD_REQUEST', 'storage must be an object');
    const seen = isObject(credentials) ? recent.get(credentials) : undefined;
    if (seen && seen.storage === storage && !seen.entry.freed) {
      seen.entry.used = now();
      entries.delete(seen.key);
      entries.set(seen.key, seen.entry);
      return seen.entry;
    }
    if (isObject(credentials)) {
      const found = lookupSealed(storage, credentials);
      if (found) {
        sweep();
        if (!found.entry.freed) {
          found.entry.used = now();
          entries.delete(found.key);
          entries.set(found.key, found.entry);
          recent.set(credentials, { storage, key: found.key, entry: found.entry });
          return found.entry;
        }
      }
    }
    const creds = checkCredentials(credentials);
    sweep();
    let key;
    try {
      key = name(storage, creds);
    } catch (e) {
      throw coreError(e);
    }
    let entry = entries.get(key);
    if (entry) {
      entries.delete(key);
      entry.used = now();
    } else {
      entry = create(storage, creds);
      while (entries.size >= max) {
        const [oldKey, oldest] = entries.entries().next().value;
        drop(oldKey, oldest);
      }
    }
    entries.set(key, entry);
    recent.set(credentials, { storage, key, entry });
    if (creds.sealedSecret) entry.envelope = creds.sealedSecret.envelope;
    remember(storage, credentials, creds, key, entry);
    return entry;
  }

  function clear() {
    for (const [key, entry] of [...entries]) drop(key, entry);
  }

  const timer = sweepEveryMs > 0 ? setInterval(sweep, sweepEveryMs) : null;
  timer?.unref();
  const stopListening = onCoreReload(clear);

  return {
    get,
    sweep,
    clear,
    get size() { return entries.size; },
    // The cache names (tests check that no plain secret is among them).
    names: () => [...entries.keys()],
    close() {
      if (timer) clearInterval(timer);
      stopListening();
      clear();
    },
  };
}
