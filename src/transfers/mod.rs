//! Direct browser transfers and expiring links: every rule the REST routes,
//! the sidecar and the browser module rely on, in one place.
//!
//! * [`upload_key`] — `uploads/{user_id}/{16 random hex}_{safe name}` and the
//!   safe-name rule; the caller supplies the randomness (the core has no RNG
//!   policy of its own and stays deterministic under test).
//! * [`shape`] — POST policy, presigned PUT or multipart, per provider and size.
//! * [`plan`] — validates an upload request and signs what the browser sends.
//! * [`verify`] — whether a stored object matches its intent; the part list
//!   a multipart upload is completed with.
//! * [`object_ref`] — `s3://bucket/key`, `bucket/key`, endpoint URLs and the
//!   `[wps3_object]` shortcode, with keys kept byte for byte.

pub mod object_ref;
pub mod plan;
pub mod shape;
pub mod upload_key;
pub mod verify;
