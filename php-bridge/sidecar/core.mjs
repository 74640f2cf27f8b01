// Loads the wps3 wasm core (the only place that signs, hashes or decrypts)
// and keeps the sidecar's corrected clock.
//
// The core is a wasm-bindgen "nodejs" build: CommonJS that compiles and
// instantiates the module synchronously on require. Start-up does better:
// startCore() reads and compiles the 0.84 MB module off the main thread
// while the server sets up and listens, then hands the compiled module to
// the glue (no second compile). The same compiled module goes to the
// hashing threads and to a reload after a trap.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SidecarError } from './errors.mjs';
import { log } from './log.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);

const REQUIRED = [
  'version', 'resolveEndpoint', 'signRequest', 'presignUrl', 'presignPost', 'renderKey', 'contentDisposition',
  'encryptSecret', 'decryptSecret', 'parseS3Error', 'sha256Hex', 'PayloadHasher', 'classifyFailure', 'adviceCatalog', 's3Request', 's3Response', 'payloadSigning',
  'validateSettings', 'settingsSchema', 'retryDelay', 'checkFileRoots', 'Bucket', 'signerKey', 'expiresAt', 'checkAddress',
  'tcpHelloProof', 'tcpRequestValid',
];

// WPS3_PKG_DIR, else a copy bundled next to the sidecar (plugin zips ship
// it there), else the repo's build output.
export function resolvePkgDir(env = process.env) {
  if (env.WPS3_PKG_DIR) return path.resolve(env.WPS3_PKG_DIR);
  const bundled = path.join(here, 'wasm');
  if (fs.existsSync(path.join(bundled, 'wps3.js'))) return bundled;
  return path.join(repoRoot, 'pkg', 'node');
}

let core = null;
let coreFile = null;
// The compiled WebAssembly.Module behind `core`, when this file compiled it.
let compiled = null;

// The two lines of wasm-bindgen's nodejs glue that read and compile the
// module; given a compiled module they are replaced by a use of it.
const GLUE_COMPILE = "const wasmBytes = require('fs').readFileSync(wasmPath);\nconst wasmModule = new WebAssembly.Module(wasmBytes);";

// extra: properties of the CommonJS `module` the source can read.
function compileCommonJs(file, source, extra = {}) {
  const m = Object.assign(new Module(file, null), extra);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(source, file);
  return m.exports;
}

// The glue instantiated on an already compiled module (null when this
// glue's layout is not the one known here: the caller then requires it).
function glueOnModule(file, wasmModule) {
  const source = fs.readFileSync(file, 'utf8');
  if (!source.includes(GLUE_COMPILE)) return null;
  return compileCommonJs(file, source.replace(GLUE_COMPILE, 'const wasmModule = module.wps3WasmModule;'), { wps3WasmModule: wasmModule });
}

// The build is CommonJS, but a package.json with "type": "module" above it
// (the repo's own) makes Node treat wps3.js as ESM when the build dir lacks
// its own package.json. Compile it as CommonJS explicitly in that case.
function requireCommonJs(file) {
  try {
    return require(file);
  } catch (e) {
    if (e.code !== 'ERR_REQUIRE_ESM' && !/exports is not defined|require is not defined/.test(String(e.message))) throw e;
    delete require.cache[file];
  }
  return compileCommonJs(file, fs.readFileSync(file, 'utf8'));
}

// Objects made by one wasm instance (the signer cache's Buckets) are
// dropped when it is replaced; see onCoreReload.
const reloadListeners = new Set();

// Runs `fn` whenever the core is loaded again (after a trap).
export function onCoreReload(fn) {
  reloadListeners.add(fn);
  return () => reloadListeners.delete(fn);
}

function glueFile(env) {
  const file = path.join(resolvePkgDir(env), 'wps3.js');
  if (!fs.existsSync(file)) {
    throw new Error(`wasm core not found at ${file} (build it with tools/build-wasm.sh or set WPS3_PKG_DIR)`);
  }
  return file;
}

// Loads the core synchronously. wasmModule: an already compiled
// WebAssembly.Module of this build (startCore's, or the one a hashing
// thread was handed), instantiated instead of compiling the file again.
export function loadCore(env = process.env, wasmModule = null) {
  const file = glueFile(env);
  let mod = null;
  let onModule = false;
  try {
    mod = wasmModule ? glueOnModule(file, wasmModule) : null;
    onModule = mod !== null;
    mod ??= requireCommonJs(file);
  } catch (e) {
    throw new Error(`wasm core at ${file} could not be loaded: ${e?.message ?? e}`);
  }
  const missing = REQUIRED.filter((name) => typeof mod[name] !== 'function');
  if (missing.length) throw new Error(`wasm core at ${file} lacks: ${missing.join(', ')}`);
  const replaced = core !== null;
  core = mod;
  coreFile = file;
  compiled = onModule ? wasmModule : null;
  if (replaced) for (const fn of reloadListeners) fn();
  return core;
}

let starting = null;

// Loads the core with the compile off the main thread: resolves to the
// core, or rejects with why it cannot be loaded. The server starts this
// first and answers no request before it has resolved, so no op ever sees
// a half-loaded core.
export function startCore(env = process.env) {
  if (core) return Promise.resolve(core);
  starting ??= (async () => {
    const file = glueFile(env);
    const wasmFile = path.join(path.dirname(file), 'wps3_bg.wasm');
    let wasmModule;
    try {
      wasmModule = await WebAssembly.compile(await fsp.readFile(wasmFile));
    } catch (e) {
      throw new Error(`wasm core at ${wasmFile} could not be compiled: ${e?.message ?? e}`);
    }
    return core ?? loadCore(env, wasmModule);
  })().finally(() => { starting = null; });
  return starting;
}

export function getCore() {
  return core ?? loadCore();
}

// The compiled module of the loaded core, for worker threads (a
// WebAssembly.Module is shared with a thread, not copied or recompiled);
// null when the glue compiled it itself.
export function compiledCore() {
  return compiled;
}

// A wasm trap (a Rust panic under panic=abort) can leave the instance's
// memory inconsistent; drop it and instantiate a fresh one.
function reloadCore() {
  try {
    delete require.cache[coreFile];
    loadCore(process.env, compiled);
    log('warn', 'wasm core reloaded after a trap');
  } catch (e) {
    log('error', 'wasm core reload failed', { err: String(e) });
  }
}

// Maps anything the core throws to a SidecarError. The core throws Errors
// whose own properties are the error model (code, retry, adviceId, …); a
// value without a code is a bad argument shape rejected by the bindings
// (a string) or a trap.
export function coreError(e) {
  if (e instanceof SidecarError) return e;
  if (e instanceof WebAssembly.RuntimeError) {
    log('error', 'wasm trap', { err: String(e.stack ?? e) });
    reloadCore();
    return new SidecarError('INTERNAL', 'the crypto core failed on this input (details in the sidecar log)');
  }
  if (typeof e?.code === 'string' && typeof e?.retry === 'string') return SidecarError.of({ ...e, message: String(e.message) });
  const message = typeof e === 'string' ? e : String(e?.message ?? e);
  if (typeof e !== 'string') log('error', 'uncoded core error', { err: String(e?.stack ?? e) });
  return new SidecarError('INVALID_ARGUMENT', message);
}

// Calls one core function, translating its errors.
export function callCore(name, ...args) {
  const c = getCore();
  try {
    return c[name](...args);
  } catch (e) {
    throw coreError(e);
  }
}

export function coreVersion() {
  return callCore('version');
}

// ---- payload hashing (always the core's SHA-256) ----

// wasm-bindgen copies a Uint8Array into linear memory on every call; feeding
// the hasher bounded slices keeps the wasm heap from growing to the size of
// the largest buffer ever hashed.
const HASH_SLICE = 1 << 20;

export function newHasher() {
  const c = getCore();
  let h;
  try {
    h = new c.PayloadHasher();
  } catch (e) {
    throw coreError(e);
  }
  let freed = false;
  return {
    update(bytes) {
      try {
        for (let off = 0; off < bytes.length; off += HASH_SLICE) {
          h.update(bytes.subarray(off, Math.min(off + HASH_SLICE, bytes.length)));
        }
      } catch (e) {
        throw coreError(e);
      }
    },
    finish() {
      try {
        return h.finish();
      } catch (e) {
        throw coreError(e);
      }
    },
    // Releases the wasm-side state now rather than at some later GC.
    dispose() {
      if (freed) return;
      freed = true;
      try { h.free(); } catch { /* already released */ }
    },
  };
}

export function sha256Hex(bytes) {
  const h = newHasher();
  try {
    h.update(bytes);
    return h.finish();
  } finally {
    h.dispose();
  }
}


// ---- the corrected clocks ----
//
// The core never reads a clock: every signature gets `now` from here. The
// offset starts at WPS3_CLOCK_OFFSET_SECONDS (tests use it to fake a wrong
// clock) and is replaced by a server's opinion when it says we are skewed.
// Corrections are kept per storage origin (scheme://host:port): on a
// multisite, one site's endpoint with a wrong clock must not shift the
// signing time of every other site.

const baseOffsetMs = Number.isFinite(Number(process.env.WPS3_CLOCK_OFFSET_SECONDS))
  ? Number(process.env.WPS3_CLOCK_OFFSET_SECONDS || 0) * 1000
  : 0;
// Only corrected origins are stored; bounded so a stream of odd endpoints
// cannot grow it forever (the oldest correction is dropped first).
const MAX_ORIGINS = 1000;
const offsets = new Map();

export function makeClock(origin) {
  return {
    origin,
    offsetMs() {
      return (origin && offsets.get(origin)) ?? baseOffsetMs;
    },
    nowMs() {
      return Date.now() + this.offsetMs();
    },
    nowSeconds() {
      return Math.floor(this.nowMs() / 1000);
    },
    // serverMs: the server's time when it answered (ms since epoch).
    correctTo(serverMs, why) {
      if (!origin) return;
      const before = this.offsetMs();
      offsets.delete(origin);
      if (offsets.size >= MAX_ORIGINS) offsets.delete(offsets.keys().next().value);
      offsets.set(origin, serverMs - Date.now());
      log('warn', 'clock offset corrected', { why, origin, fromSeconds: Math.round(before / 1000), toSeconds: Math.round(this.offsetMs() / 1000) });
    },
  };
}

// The process-wide clock, for ops that name no storage (render-key, parse-error).
export const clock = makeClock(null);

// The origin a storage config talks to, from the core's endpoint resolution
// (virtual-hosted buckets are their own host, hence their own origin).
export function storageOrigin(storage) {
  const { scheme, host } = callCore('resolveEndpoint', storage);
  const port = /:\d+$/.test(host) ? '' : scheme === 'https' ? ':443' : ':80';
  return `${scheme}://${host.toLowerCase()}${port}`;
}

// The clock for a storage config; an unusable config gets the process
// clock, and the op itself then reports what is wrong with the config.
export function clockFor(storage) {
  try {
    return makeClock(storageOrigin(storage));
  } catch {
    return clock;
  }
}

// ---- credentials ----

// Checks { accessKeyId, secretAccessKey, sessionToken? } or
// { accessKeyId, sealedSecret: { envelope, keyMaterial, context } } and
// returns it as { accessKeyId, sessionToken?, secretAccessKey } or
// { accessKeyId, sessionToken?, sealedSecret }, without opening anything.
export function checkCredentials(creds) {
  if (!creds || typeof creds !== 'object' || Array.isArray(creds)) {
    throw new SidecarError('BAD_REQUEST', 'credentials must be an object');
  }
  const { accessKeyId, secretAccessKey, sessionToken, sealedSecret } = creds;
  if (typeof accessKeyId !== 'string' || accessKeyId === '') {
    throw new SidecarError('BAD_REQUEST', 'credentials.accessKeyId must be a non-empty string');
  }
  if (sessionToken !== undefined && sessionToken !== null && typeof sessionToken !== 'string') {
    throw new SidecarError('BAD_REQUEST', 'credentials.sessionToken must be a string');
  }
  const token = sessionToken ? { sessionToken } : {};
  // PHP forms may send an empty secretAccessKey next to the sealed one.
  if (secretAccessKey === undefined || secretAccessKey === null || (secretAccessKey === '' && sealedSecret)) {
    if (!sealedSecret || typeof sealedSecret !== 'object') {
      throw new SidecarError('BAD_REQUEST', 'credentials need secretAccessKey or sealedSecret');
    }
    for (const f of ['envelope', 'keyMaterial', 'context']) {
      if (typeof sealedSecret[f] !== 'string') {
        throw new SidecarError('BAD_REQUEST', `credentials.sealedSecret.${f} must be a string`);
      }
    }
    return { accessKeyId, sealedSecret, ...token };
  }
  if (typeof secretAccessKey !== 'string' || secretAccessKey === '') {
    throw new SidecarError('BAD_REQUEST', 'credentials.secretAccessKey must be a non-empty string');
  }
  return { accessKeyId, secretAccessKey, ...token };
}

// The plain shape the core's signers take. The decrypted secret lives only
// in this object for the duration of one op; ops that sign many times use
// the signer cache (signers.mjs), which keeps it inside wasm instead.
export function resolveCredentials(creds) {
  const checked = checkCredentials(creds);
  if (!checked.sealedSecret) return checked;
  const { sealedSecret, ...rest } = checked;
  const secret = callCore('decryptSecret', {
    keyMaterial: sealedSecret.keyMaterial,
    context: sealedSecret.context,
    envelope: sealedSecret.envelope,
  });
  if (typeof secret !== 'string' || secret === '') {
    throw new SidecarError('BAD_REQUEST', 'credentials.secretAccessKey must be a non-empty string');
  }
  return { accessKeyId: rest.accessKeyId, secretAccessKey: secret, ...(rest.sessionToken ? { sessionToken: rest.sessionToken } : {}) };
}
