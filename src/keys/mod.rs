//! Object-key templates for backups.

pub mod template;
