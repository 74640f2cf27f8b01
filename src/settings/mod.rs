//! The settings form's rules: what the form offers ([`schema`], [`regions`]),
//! what it accepts ([`validate`]), the advice ids of its errors ([`advice`]),
//! and when a failed backup is retried ([`retry`]).

pub mod advice;
pub mod regions;
pub mod retry;
pub mod schema;
pub mod validate;
