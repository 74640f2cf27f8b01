//! `checkFileRoots`: whether the file an upload opened lies inside the
//! allowed roots (the sidecar's check of the descriptor it holds; rule in
//! [`crate::files`]). Sidecar only (feature `node`).

use super::convert::input;
use crate::files::check_within_roots;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface FileRootsInput { path: string; roots: string[]; }
"#;

#[derive(Deserialize)]
struct RootsInput {
    path: String,
    roots: Vec<String>,
}

/// Returns nothing when `path` (resolved) is inside one of `roots`
/// (resolved); throws `FileOutsideAllowedRoots` (retry never) otherwise.
#[wasm_bindgen(js_name = checkFileRoots)]
pub fn check_file_roots(
    #[wasm_bindgen(unchecked_param_type = "FileRootsInput")] req: JsValue,
) -> Result<(), JsValue> {
    let req: RootsInput = input(req, "checkFileRoots")?;
    Ok(check_within_roots(&req.path, &req.roots)?)
}
