//! The TCP fallback's proof of the sidecar token (rule in
//! [`crate::tcp_proof`]): `tcpHelloProof` answers PHP's hello,
//! `tcpRequestValid` checks PHP's proof of each request. Sidecar only
//! (feature `node`): the browser never talks to the sidecar.

use super::convert::input;
use crate::tcp_proof::{hello_proof, request_proof_valid, Request};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface TcpHelloInput { token: string; clientNonce: string; serverNonce: string; client: string; server: string; }
export interface TcpRequestInput { token: string; clientNonce: string; serverNonce: string; seq: number; method: string; path: string; bodySha256: string; proof: string; }
"#;

#[derive(Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
struct HelloInput {
    token: String,
    client_nonce: String,
    server_nonce: String,
    client: String,
    server: String,
}

#[derive(Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase")]
struct RequestInput {
    token: String,
    client_nonce: String,
    server_nonce: String,
    seq: u64,
    method: String,
    path: String,
    body_sha256: String,
    proof: String,
}

/// The sidecar's proof of the token for one connection: lower-case hex
/// HMAC-SHA256 over both nonces and both ends (`client`, `server` as
/// `address:port`). Throws `INVALID_ARGUMENT` for a malformed nonce.
#[wasm_bindgen(js_name = tcpHelloProof)]
pub fn tcp_hello_proof(
    #[wasm_bindgen(unchecked_param_type = "TcpHelloInput")] req: JsValue,
) -> Result<String, JsValue> {
    let r: HelloInput = input(req, "tcpHelloProof")?;
    Ok(hello_proof(
        &r.token,
        &r.client_nonce,
        &r.server_nonce,
        &r.client,
        &r.server,
    )?)
}

/// Whether `proof` is PHP's proof of this request on the connection (its
/// nonces, sequence number, method, path and body hash). False, never an
/// error, for anything malformed the peer sent.
#[wasm_bindgen(js_name = tcpRequestValid)]
pub fn tcp_request_valid(
    #[wasm_bindgen(unchecked_param_type = "TcpRequestInput")] req: JsValue,
) -> Result<bool, JsValue> {
    let r: RequestInput = input(req, "tcpRequestValid")?;
    let request = Request {
        client_nonce: &r.client_nonce,
        server_nonce: &r.server_nonce,
        seq: r.seq,
        method: &r.method,
        path: &r.path,
        body_sha256: &r.body_sha256,
    };
    Ok(request_proof_valid(&r.token, &request, &r.proof))
}
