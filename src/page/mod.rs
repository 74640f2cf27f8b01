//! What the integration page shows and decides, beyond settings validation:
//! the minimal IAM policy, the CORS rule for this site's origin, a preview of
//! a presigned URL's shape, and the verdicts of Test Connection.
//!
//! * [`iam`] — the least-privilege policy for a bucket, prefix and features.
//! * [`cors`] — the bucket CORS rule a browser upload needs, never `*`.
//! * [`url_shape`] — what a presigned GET looks like, credentials masked.
//! * [`diagnosis`] — probe outcomes (from the sidecar) to checklist rows.

pub mod cors;
pub mod diagnosis;
pub mod iam;
pub mod url_shape;

/// Where browser uploads go inside the bucket (issue 8's `uploads/{user}/…`),
/// when the caller does not say otherwise.
pub const DEFAULT_UPLOADS_PREFIX: &str = "uploads/";
