// Error shaping shared by every sidecar module.
//
// Every failure that reaches a client is a SidecarError with a stable `code`
// (see docs/CONTRACTS.md section 2). Anything else is a bug: it is logged to
// stderr with its stack and answered as INTERNAL, never with internals.

export class SidecarError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }

  // Every error on the wire says whether the same request may succeed if
  // simply sent again; codes that are transient by nature default to true.
  toJSON() {
    return { code: this.code, message: this.message, retryable: RETRYABLE_CODES.has(this.code), ...this.extra };
  }
}

const RETRYABLE_CODES = new Set(['REQUEST_TIMEOUT', 'SHUTTING_DOWN', 'NETWORK_ERROR']);

// The client went away (or the sidecar is exiting) while its request ran.
// Nobody reads the answer; it shows up only in the log. Not retryable, so
// no internal retry loop keeps working for a client that is gone.
export const cancelled = () => new SidecarError('CANCELLED', 'the request was cancelled: the client disconnected or the sidecar is exiting');

export const bad = (message, extra) => new SidecarError('BAD_REQUEST', message, extra);

// HTTP status used by /v1/op/<op> (batch results are always 200).
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
  return { code: 'INTERNAL', message: 'internal error in the sidecar (details in its log)', retryable: false };
}
