//! What the two key listings (ListObjectsV2, ListMultipartUploads) share:
//! keys are requested URL-encoded (`encoding-type=url`), so a key with
//! characters XML 1.0 cannot carry still lists, and decoded when the answer
//! says it encoded them.

use super::{page_size, xml::Element, ActionRequest, Body};
use crate::error::Result;
use crate::sigv4::encoding::percent_decode;

/// A bucket-level `GET` listing: the parameter that names the listing, the
/// optional ones that are set, the checked page size, then `encoding-type=url`.
pub(crate) fn listing_request(
    listing: (&str, &str),
    optional: &[(&str, &Option<String>)],
    page: Option<(&str, &str, u32)>,
) -> Result<ActionRequest> {
    let mut query = vec![(listing.0.to_owned(), listing.1.to_owned())];
    for (name, value) in optional {
        if let Some(v) = value {
            query.push(((*name).to_owned(), v.clone()));
        }
    }
    if let Some((name, argument, n)) = page {
        query.push((name.to_owned(), page_size(argument, n)?));
    }
    query.push(("encoding-type".into(), "url".into()));
    Ok(ActionRequest {
        method: "GET",
        key: None,
        query,
        headers: vec![],
        body: Body::Empty,
    })
}

/// Reads key-like fields (keys, prefixes, markers) of a listing answer,
/// decoded when the answer's `EncodingType` is `url`.
pub(crate) struct KeyText {
    encoded: bool,
}

impl KeyText {
    /// For the answer whose root element is `doc`.
    pub(crate) fn of(doc: &Element) -> Self {
        KeyText {
            encoded: doc.text_of("EncodingType") == Some("url"),
        }
    }

    /// The child `name` of `el`, decoded.
    pub(crate) fn get(&self, el: &Element, name: &str) -> Option<String> {
        el.text_of(name).map(|t| decode(t, self.encoded))
    }
}

/// `encoding-type=url` answers form-encode keys and prefixes (`+` is a
/// space, a literal `+` is `%2B`), as botocore decodes them.
fn decode(text: &str, encoded: bool) -> String {
    if !encoded {
        return text.to_owned();
    }
    String::from_utf8(percent_decode(&text.replace('+', " "))).unwrap_or_else(|_| text.to_owned())
}
