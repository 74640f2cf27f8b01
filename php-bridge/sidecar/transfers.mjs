// Ops for direct browser transfers and object references. Every rule is the
// core's (src/transfers/); this file only supplies the clock and the
// decrypted credentials, like the signing ops in protocol.mjs.

import { callCore, clockFor, resolveCredentials } from './core.mjs';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// The storage origin's corrected clock and plain credentials.
function signing(a) {
  const out = { ...a, credentials: resolveCredentials(a.credentials) };
  if (out.now === undefined || out.now === null) out.now = clockFor(isObject(a.storage) ? a.storage : {}).nowSeconds();
  return out;
}

export const transferOps = {
  // Checks the request and signs the browser's POST policy or PUT (or lays out parts).
  'transfer-upload': (a) => callCore('transferUpload', signing(a)),
  // Presigned UploadPart URLs for the given part numbers of one upload.
  'transfer-sign-parts': (a) => callCore('transferSignParts', signing(a)),
  // Presigned GET with Content-Disposition for the original file name.
  'transfer-download': (a) => callCore('transferDownload', signing(a)),
  // Verdict on a HEAD answer against the intent (no I/O).
  'transfer-check': (a) => callCore('transferCheckStored', a),
  // The part list to complete an upload with, from ListParts (no I/O).
  'transfer-completion-parts': (a) => callCore('transferCompletionParts', a),
  'transfer-part-layout': (a) => callCore('transferPartLayout', a),
  'transfer-owns-key': (a) => ({ owns: callCore('transferOwnsKey', a) }),
  'object-ref': (a) => callCore('parseObjectRef', a),
};
