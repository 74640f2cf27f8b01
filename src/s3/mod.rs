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
pub mod request;
pub mod status;
pub mod validate;
