//! # wps3 — the cryptographic core of the WP Signer S3 integration
//!
//! Sans-IO: nothing here touches the network, the file system or the clock.
//! Time is always an argument, because `SystemTime::now()` panics on
//! `wasm32-unknown-unknown`, and because a signer that takes time as input is
//! one you can test against fixed vectors.
//!
//! * [`sigv4`] — AWS Signature Version 4, one file per step, with the S3-versus-generic
//!   differences named in [`sigv4::SigningSettings`].
//! * [`s3`] — endpoints per provider, presigned URLs, presigned POST policies,
//!   Content-Disposition, name validation and S3 error bodies.
//! * [`keys`] — object-key templates for backups.
//! * [`net`] — which addresses storage may live at (the SSRF guard).
//! * [`files`] — which files an upload may read (allowed roots).
//! * [`page`] — the integration page: IAM policy, CORS rule, URL-shape preview, Test Connection verdicts.
//! * [`secrets`] — AES-256-GCM envelopes for the stored secret key.
//! * [`settings`] — the settings form's schema, validation and retry policy.
//! * `tcp_proof` (feature `node`) — the TCP fallback's proof of the sidecar token (HMAC over nonces and connection ends).
//! * `wasm` — the wasm-bindgen bindings (only on `wasm32`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod files;
pub mod keys;
pub mod net;
pub mod page;
pub mod s3;
#[cfg(feature = "secrets")]
pub mod secrets;
pub mod settings;
pub mod sigv4;
// The sidecar's alone: the web build must not even compile it (pkg/web's
// size budget; a new caller of shared helpers changes how they inline).
#[cfg(feature = "node")]
pub mod tcp_proof;
pub mod time;
pub mod transfers;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{Error, ErrorCode, Result};
