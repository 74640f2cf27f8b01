//! Everything S3-specific that sits on top of plain SigV4.

#[cfg(feature = "xml")]
pub mod actions;
pub mod content_disposition;
pub mod endpoint;
#[cfg(feature = "xml")]
pub mod error_advice;
#[cfg(feature = "xml")]
pub mod error_xml;
pub mod post_policy;
pub mod presign;
// The sidecar's page of links (pkg/node); pkg/web has no room for it.
#[cfg(feature = "node")]
pub mod presign_page;
pub mod request;
pub mod status;
pub mod validate;
