//! The actions by name, for JSON callers (wasm `s3Request`/`s3Response`,
//! the sidecar's `s3` op): `{ action: "put_object", args: {…} }`.

use super::abort_multipart_upload::AbortMultipartUpload;
use super::complete_multipart_upload::CompleteMultipartUpload;
use super::create_multipart_upload::CreateMultipartUpload;
use super::delete_object::DeleteObject;
use super::get_bucket_location::GetBucketLocation;
use super::get_object::GetObject;
use super::head_bucket::HeadBucket;
use super::head_object::HeadObject;
use super::list_multipart_uploads::ListMultipartUploads;
use super::list_objects_v2::ListObjectsV2;
use super::list_parts::ListParts;
use super::put_object::PutObject;
use super::upload_part::UploadPart;
use super::{ActionRequest, Response};
use crate::error::{invalid, ErrorCode, Result};
use crate::s3::error_xml::S3Error;
use serde::Deserialize;

macro_rules! actions {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// One action with its arguments.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(tag = "action", content = "args")]
        pub enum Action {
            $( #[doc = $name] #[serde(rename = $name)] $variant($variant), )*
        }

        /// Every action name.
        pub const ACTIONS: &[&str] = &[$($name),*];

        impl Action {
            /// The request to sign.
            pub fn request(&self) -> Result<ActionRequest> {
                match self { $( Action::$variant(a) => a.request(), )* }
            }
        }

        /// Reads an answer to the action called `name`: the result as JSON,
        /// or the S3 error. Unknown names are `INVALID_ARGUMENT`.
        pub fn parse_response(
            name: &str,
            resp: &Response<'_>,
        ) -> Result<std::result::Result<serde_json::Value, S3Error>> {
            let json = |v: &dyn erased::Out| v.json();
            match name {
                $( $name => Ok($variant::parse(resp).map(|out| json(&out))), )*
                other => Err(unknown(other)),
            }
        }
    };
}

actions! {
    PutObject = "put_object",
    CreateMultipartUpload = "create_multipart_upload",
    UploadPart = "upload_part",
    CompleteMultipartUpload = "complete_multipart_upload",
    AbortMultipartUpload = "abort_multipart_upload",
    HeadObject = "head_object",
    GetObject = "get_object",
    DeleteObject = "delete_object",
    ListObjectsV2 = "list_objects_v2",
    ListMultipartUploads = "list_multipart_uploads",
    ListParts = "list_parts",
    HeadBucket = "head_bucket",
    GetBucketLocation = "get_bucket_location",
}

mod erased {
    /// Any action output, as JSON.
    pub trait Out {
        fn json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Out for T {
        fn json(&self) -> serde_json::Value {
            // Outputs are plain structs of strings and numbers.
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

fn unknown(name: &str) -> crate::Error {
    invalid(
        ErrorCode::InvalidArgument,
        format!(
            "action '{}' is not one of {}",
            name.chars().take(60).collect::<String>(),
            ACTIONS.join(", ")
        ),
    )
}

impl Action {
    /// The action called `name` with `args` (a JSON object; `null` for none).
    pub fn from_json(name: &str, args: serde_json::Value) -> Result<Action> {
        if !ACTIONS.contains(&name) {
            return Err(unknown(name));
        }
        let args = if args.is_null() {
            serde_json::json!({})
        } else {
            args
        };
        serde_json::from_value(serde_json::json!({ "action": name, "args": args }))
            .map_err(|e| invalid(ErrorCode::InvalidArgument, format!("{name} args: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn every_action_builds_and_parses_by_name() {
        for name in ACTIONS {
            let args = match *name {
                "head_bucket" | "get_bucket_location" => serde_json::json!({}),
                "list_objects_v2" | "list_multipart_uploads" => {
                    serde_json::json!({ "prefix": "p/" })
                }
                "put_object"
                | "create_multipart_upload"
                | "head_object"
                | "get_object"
                | "delete_object" => serde_json::json!({ "key": "k" }),
                "abort_multipart_upload" | "list_parts" => {
                    serde_json::json!({ "key": "k", "uploadId": "u" })
                }
                "upload_part" => {
                    serde_json::json!({ "key": "k", "uploadId": "u", "partNumber": 1 })
                }
                _ => serde_json::json!({
                    "key": "k", "uploadId": "u", "parts": [{ "partNumber": 1, "etag": "e" }],
                }),
            };
            let action = Action::from_json(name, args).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(sign(&action.request().unwrap(), None).is_ok(), "{name}");
            let denied = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
            let err = parse_response(name, &resp(403, &[], denied))
                .unwrap()
                .unwrap_err();
            assert_eq!(err.code, "AccessDenied", "{name}");
        }
        assert!(Action::from_json("copy_object", serde_json::json!({})).is_err());
        assert!(parse_response("nope", &resp(200, &[], "")).is_err());
        let typo = Action::from_json("put_object", serde_json::json!({ "key": "k", "kye": 1 }));
        assert!(typo.unwrap_err().message().contains("kye"));
        assert!(Action::from_json("head_bucket", serde_json::Value::Null).is_ok());
    }
}
