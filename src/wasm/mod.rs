//! wasm-bindgen bindings: plain JS objects in and out, camelCase names, and
//! `Error`s that carry a stable `code`. The shapes are documented in
//! `docs/CONTRACTS.md`; the TypeScript declarations beside each binding
//! mirror them. `convert.rs` holds the glue they share (inputs, outputs,
//! thrown errors); each other file binds one area.
//!
//! Which build holds what (features in Cargo.toml, builds in tools/build-wasm.sh):
//! * no gate — in every build, the admin page's pkg/web included: settings
//!   (`settings.rs`), names (`names.rs`: keys, endpoints, content
//!   disposition, validateBucket/Key), and the page helpers (`page.rs`: IAM
//!   policy, CORS rules, URL-shape preview).
//! * `#[cfg(feature = "node")]` — the sidecar only (pkg/node): presigned URLs
//!   and POST forms, header signing and `Bucket` (`signing.rs`; a browser
//!   never holds the secret, the page previews URL shapes with `urlShape`),
//!   a page of links in one call (`links.rs`, `Bucket.presignPage`),
//!   payload hashing (`hashing.rs`), the allowed-roots check of opened
//!   files (`files.rs`), transfers, Test Connection verdicts, retry delays,
//!   the TCP fallback's token proof (`tcp_proof.rs`).
//!   pkg/web must stay ≤ 100 KB gzipped (tools/build-wasm.sh fails above
//!   it): gate new bindings with `node` unless the admin page calls them.
//! * `#[cfg(feature = "xml")]` — needs quick-xml (S3 errors and actions, `s3.rs`).
//! * `#[cfg(feature = "secrets")]` — secret envelopes (AES-GCM, HKDF, `secrets.rs`).
//! * `conformance.rs` — test-only bindings, pkg/node-test.
//!
//! tests/wasm-bundles.test.mjs checks what each bundle exports.

use wasm_bindgen::prelude::*;

#[cfg(feature = "conformance")]
mod conformance;
mod convert;
mod errors;
#[cfg(feature = "node")]
mod files;
#[cfg(feature = "node")]
mod hashing;
#[cfg(feature = "node")]
mod links;
mod names;
mod page;
#[cfg(feature = "xml")]
mod s3;
#[cfg(feature = "secrets")]
mod secrets;
mod settings;
#[cfg(feature = "node")]
mod signing;
#[cfg(feature = "node")]
mod tcp_proof;
// Server-side upload signing and verification: the browser gets presigned
// URLs from the server, so pkg/web leaves these out.
#[cfg(feature = "node")]
mod transfers;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export type Pairs = [string, string][];
export type Now = number | string;
export interface Storage {
  provider: 'amazon_s3' | 'wasabi' | 'cloudflare_r2' | 'custom';
  region?: string; bucket: string; endpoint?: string; accountId?: string;
  addressingStyle?: 'auto' | 'virtual' | 'path';
  allowPrivateEndpoints?: boolean;
}
export interface CredentialsInput { accessKeyId: string; secretAccessKey: string; sessionToken?: string | null; }
export interface ResolvedEndpoint { scheme: 'http' | 'https'; host: string; addressingStyle: 'virtual' | 'path'; region: string; bucketUrl: string; }
"#;

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
