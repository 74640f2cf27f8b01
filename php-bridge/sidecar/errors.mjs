// Error shaping shared by every sidecar module.
//
// Every failure that reaches a client is a SidecarError whose wire form is
// the core's error model (docs/CONTRACTS.md, "Error model"): the core
// decides `retry` and `adviceId` for storage answers (parseS3Error,
// s3Response) and for the sidecar's own failures (classifyFailure). This
// module forwards that verdict; it has no retry rules of its own. Anything
// else thrown is a bug: logged to stderr with its stack and answered as
// INTERNAL, never with internals.

import { getCore } from './core.mjs';

export class SidecarError extends Error {
  // code: a sidecar protocol code (BAD_REQUEST, SHUTTING_DOWN, …); the core
  // classifies it when the error is first serialised.
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
    this.problem = null;
  }

  // An error carrying a verdict the core already made.
  static of(problem) {
    const e = new SidecarError(problem.code, problem.message);
    e.problem = problem;
    return e;
  }

  toJSON() {
    this.problem ??= classify({ kind: 'sidecar', code: this.code, message: this.message });
    return { ...this.problem, ...this.extra };
  }

  // The core's retry decision: 'never' | 'backoff' | 'after-clock-fix'.
  get retry() {
    return this.toJSON().retry;
  }
}

// The core's verdict for a local failure. Without a loadable core (the
// sidecar refuses to start then, so only tests see this) the failure is
// reported as it is, with no retry.
export function classify(failure) {
  try {
    return getCore().classifyFailure(failure);
  } catch {
    return { code: failure.code ?? 'INTERNAL', message: failure.message, retry: 'never', retryable: false, adviceId: 'sidecar-internal' };
  }
}

// A network errno, TLS failure or file errno, classified by the core.
export const localError = (failure) => SidecarError.of(classify(failure));

// The client went away (or the sidecar is exiting) while its request ran.
// Nobody reads the answer; it shows up only in the log.
export const cancelled = () => new SidecarError('CANCELLED', 'the request was cancelled: the client disconnected or the sidecar is exiting');

export const bad = (message, extra) => new SidecarError('BAD_REQUEST', message, extra);

// HTTP status used by /v1/op/<op> (batch results are always 200): the
// sidecar protocol's own statuses, not storage's.
const STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  UNKNOWN_OP: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  CANCELLED: 499, // nginx's "client closed request": never actually seen by a client
  PAYLOAD_TOO_LARGE: 413,
  FILE_NOT_FOUND: 422,
  FILE_UNREADABLE: 422,
  FILE_CHANGED: 409,
  FileOutsideAllowedRoots: 403,
  S3_ERROR: 502,
  NETWORK_ERROR: 502,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

export function httpStatusFor(code) {
  // Core codes (INVALID_*, DECRYPT_FAILED, ...) are all caller mistakes.
  return STATUS[code] ?? 400;
}

// Turns anything thrown into the wire shape. Unknown errors are logged with
// their stack (stderr only) and replaced by a generic INTERNAL error.
export function toWireError(err, log) {
  if (err instanceof SidecarError) return err.toJSON();
  log?.('error', 'internal error', { err: String(err?.stack ?? err) });
  return new SidecarError('INTERNAL', 'internal error in the sidecar (details in its log)').toJSON();
}
