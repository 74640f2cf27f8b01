//! A small, bounded XML tree for S3's success bodies (listings, upload ids).
//! quick-xml does the parsing, so entities, CDATA, namespaces and
//! declarations are handled as XML, never as text patterns.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

/// Most elements kept from one body (a 1000-key listing has ~7000).
const MAX_ELEMENTS: usize = 100_000;
/// Deepest nesting accepted; S3 bodies are three levels deep.
const MAX_DEPTH: usize = 16;

/// One element: its local name (namespace prefix dropped), its text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Text content directly inside it, entities resolved.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child called `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

/// Parses a whole document and returns its root element; `Err` holds what
/// was wrong, for the error message.
pub fn parse(body: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0usize;
    let open = |stack: &mut Vec<Element>, count: &mut usize, name: &str| {
        *count += 1;
        if *count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
            return Err("the document is too large or too deep".to_string());
        }
        stack.push(Element {
            name: name.to_owned(),
            ..Element::default()
        });
        Ok(())
    };
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => open(&mut stack, &mut count, e.local_name().into_inner())?,
            Event::Empty(e) => {
                open(&mut stack, &mut count, e.local_name().into_inner())?;
                if let Some(done) = close(&mut stack) {
                    return Ok(done);
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        resolve_predefined_entity(&name)
                            .map(str::to_string)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                    }
                };
                push_text(&mut stack, &text);
            }
            Event::End(_) => {
                if let Some(done) = close(&mut stack) {
                    return Ok(done);
                }
            }
            Event::Eof => {
                return Err(if stack.is_empty() {
                    "it is empty".to_string()
                } else {
                    "it ends early (truncated?)".to_string()
                })
            }
            _ => {}
        }
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        top.text.push_str(text);
    }
}

/// Pops the innermost element; returns it when it was the root.
fn close(stack: &mut Vec<Element>) -> Option<Element> {
    let done = stack.pop()?;
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(done);
            None
        }
        None => Some(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_text_entities_and_children() {
        let doc = parse(
            "<?xml version=\"1.0\"?><s3:R xmlns:s3=\"x\"><A>1 &amp; 2</A><B/><A><![CDATA[<c>]]></A></s3:R>",
        )
        .unwrap();
        assert_eq!(doc.name, "R");
        assert_eq!(doc.text_of("A"), Some("1 & 2"));
        assert_eq!(doc.all("A").count(), 2);
        assert_eq!(doc.text_of("B"), Some(""));
        assert_eq!(doc.children[2].text, "<c>");
    }

    #[test]
    fn refuses_what_is_not_a_document() {
        for body in ["", "<A>", "<A></B>", "<A>&bogus;</A>", "plain text"] {
            assert!(parse(body).is_err(), "{body}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).is_err());
    }
}
