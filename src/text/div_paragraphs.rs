//! Paragraphs from the `<div>`s that Gmail, Yahoo and Outlook.com write.
//!
//! Their composers write each line of the message as a `<div>` and a blank
//! line as `<div><br></div>`; there is no `<p>` anywhere. Dropping the divs
//! (they are not on the allow-list) would run the whole piece into one block,
//! so the lines are first grouped into paragraphs the way the author saw
//! them: lines separated by blank lines make one paragraph each, and where
//! the author left no blank line at all, each line is a paragraph.
//!
//! The input is the sanitiser's own output with `div` allowed: well-formed,
//! lower-case, attributes double-quoted with `"` escaped, `<` escaped in
//! text. That is what makes a small scanner enough here; anything it does not
//! recognise leaves the HTML as it was, and the caller sanitises the result
//! again with the final allow-list.

/// Deeper than any mail program nests its lines; deeper input is left as is.
const MAX_DEPTH: usize = 64;

/// Elements that end a line of text and that a line may not contain.
const BLOCKS: &[&str] = &[
    "blockquote",
    "div",
    "h2",
    "h3",
    "h4",
    "hr",
    "ol",
    "p",
    "pre",
    "table",
    "ul",
];

const VOID: &[&str] = &["br", "hr"];

#[derive(Debug)]
enum Node {
    /// Text as serialised: already escaped.
    Text(String),
    Element {
        name: String,
        /// The attributes as serialised, with their leading space.
        attributes: String,
        children: Vec<Node>,
    },
}

/// The HTML with its `<div>` lines turned into `<p>` paragraphs, or `None`
/// when it holds no div or is not in the shape the sanitiser writes.
pub(super) fn rewrite(sanitised: &str) -> Option<String> {
    if !sanitised.contains("<div") {
        return None;
    }
    let nodes = parse(sanitised)?;
    let mut out = String::with_capacity(sanitised.len());
    for node in paragraphs(nodes, "") {
        write(&node, &mut out);
    }
    Some(out)
}

fn parse(html: &str) -> Option<Vec<Node>> {
    // Each open element: its name, attributes and the children read so far.
    let mut stack: Vec<(String, String, Vec<Node>)> = vec![(String::new(), String::new(), vec![])];
    let mut rest = html;
    while !rest.is_empty() {
        let Some(start) = rest.strip_prefix('<') else {
            let end = rest.find('<').unwrap_or(rest.len());
            stack
                .last_mut()?
                .2
                .push(Node::Text(rest[..end].to_string()));
            rest = &rest[end..];
            continue;
        };
        let end = tag_end(start)?;
        let tag = &start[..end];
        rest = &start[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let (open, attributes, children) = stack.pop()?;
            if open != name || stack.is_empty() {
                return None;
            }
            stack.last_mut()?.2.push(Node::Element {
                name: open,
                attributes,
                children,
            });
            continue;
        }
        let name_len = tag.find([' ', '/']).unwrap_or(tag.len());
        let (name, attributes) = tag.split_at(name_len);
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        if VOID.contains(&name) {
            stack.last_mut()?.2.push(Node::Element {
                name: name.to_string(),
                attributes: attributes.to_string(),
                children: vec![],
            });
        } else {
            if stack.len() > MAX_DEPTH {
                return None;
            }
            stack.push((name.to_string(), attributes.to_string(), vec![]));
        }
    }
    let (_, _, root) = stack.pop()?;
    stack.is_empty().then_some(root)
}

/// Where the tag that starts here ends, skipping `>` inside quoted values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, b) in tag.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// What a run of content is made of, once the divs that only hold other
/// blocks are opened up.
enum Piece {
    Line {
        attributes: String,
        nodes: Vec<Node>,
    },
    Blank,
    Block(Node),
}

/// The children of one element, their div lines grouped into paragraphs.
/// `inherited` is the `dir`/`lang` of the div they came from.
fn paragraphs(children: Vec<Node>, inherited: &str) -> Vec<Node> {
    if !children.iter().any(|node| is(node, "div")) {
        return children.into_iter().map(descend).collect();
    }
    let mut pieces = Vec::new();
    collect(children, inherited, &mut pieces);
    let blank_lines = pieces.iter().any(|piece| matches!(piece, Piece::Blank));
    let mut out = Vec::new();
    let mut paragraph: Option<(String, Vec<Node>)> = None;
    for piece in pieces {
        match piece {
            Piece::Line { attributes, nodes } => match &mut paragraph {
                // Without blank lines anywhere, the author's lines are the paragraphs.
                Some((_, joined)) if blank_lines => {
                    joined.push(element("br", String::new(), vec![]));
                    joined.extend(nodes);
                }
                _ => {
                    out.extend(close(paragraph.take()));
                    paragraph = Some((attributes, nodes));
                }
            },
            Piece::Blank => out.extend(close(paragraph.take())),
            Piece::Block(node) => {
                out.extend(close(paragraph.take()));
                out.push(node);
            }
        }
    }
    out.extend(close(paragraph));
    out
}

fn collect(children: Vec<Node>, inherited: &str, pieces: &mut Vec<Piece>) {
    let mut inline: Vec<Node> = Vec::new();
    for node in children {
        match node {
            Node::Element {
                name,
                attributes,
                children,
            } if name == "div" => {
                flush_line(&mut inline, inherited, pieces);
                let attributes = if attributes.is_empty() {
                    inherited.to_string()
                } else {
                    attributes
                };
                if children.iter().any(is_block) {
                    collect(children, &attributes, pieces);
                } else if is_blank(&children) {
                    pieces.push(Piece::Blank);
                } else {
                    pieces.push(Piece::Line {
                        attributes,
                        nodes: children,
                    });
                }
            }
            node if is_block(&node) => {
                flush_line(&mut inline, inherited, pieces);
                pieces.push(Piece::Block(descend(node)));
            }
            node if is(&node, "br") && !inline.is_empty() => {
                flush_line(&mut inline, inherited, pieces);
            }
            node if is(&node, "br") => pieces.push(Piece::Blank),
            node => inline.push(node),
        }
    }
    flush_line(&mut inline, inherited, pieces);
}

/// Text and inline elements standing between divs make a line of their own.
fn flush_line(inline: &mut Vec<Node>, inherited: &str, pieces: &mut Vec<Piece>) {
    let nodes = std::mem::take(inline);
    if !is_blank(&nodes) {
        pieces.push(Piece::Line {
            attributes: inherited.to_string(),
            nodes,
        });
    }
}

fn close(paragraph: Option<(String, Vec<Node>)>) -> Option<Node> {
    paragraph.map(|(attributes, nodes)| element("p", attributes, nodes))
}

/// Any element's own children get the same treatment (a div line inside a
/// quote or a table cell).
fn descend(node: Node) -> Node {
    match node {
        Node::Element {
            name,
            attributes,
            children,
        } => Node::Element {
            children: paragraphs(children, ""),
            name,
            attributes,
        },
        text => text,
    }
}

fn element(name: &str, attributes: String, children: Vec<Node>) -> Node {
    Node::Element {
        name: name.to_string(),
        attributes,
        children,
    }
}

fn is(node: &Node, tag: &str) -> bool {
    matches!(node, Node::Element { name, .. } if name == tag)
}

fn is_block(node: &Node) -> bool {
    matches!(node, Node::Element { name, .. } if BLOCKS.contains(&name.as_str()))
}

/// Nothing a reader would see: whitespace, no-break spaces and line breaks.
fn is_blank(nodes: &[Node]) -> bool {
    nodes.iter().all(|node| match node {
        Node::Text(text) => text
            .replace("&nbsp;", " ")
            .chars()
            .all(|c| c.is_whitespace()),
        Node::Element { name, children, .. } => name == "br" || is_blank(children),
    })
}

fn write(node: &Node, out: &mut String) {
    match node {
        Node::Text(text) => out.push_str(text),
        Node::Element {
            name,
            attributes,
            children,
        } => {
            out.push('<');
            out.push_str(name);
            out.push_str(attributes);
            out.push('>');
            if VOID.contains(&name.as_str()) {
                return;
            }
            for child in children {
                write(child, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_lines_with_blank_lines_make_paragraphs() {
        let gmail = r#"<div dir="ltr"><div>The first line,</div><div>still the first paragraph.</div><div><br></div><div>The second <b>paragraph</b>.</div></div>"#;
        assert_eq!(
            rewrite(gmail).unwrap(),
            r#"<p dir="ltr">The first line,<br>still the first paragraph.</p><p dir="ltr">The second <b>paragraph</b>.</p>"#
        );
    }

    #[test]
    fn lines_without_blank_lines_are_each_a_paragraph() {
        let yahoo =
            r#"<div><div dir="rtl">الفقرة الأولى</div><div dir="rtl">الفقرة الثانية</div></div>"#;
        assert_eq!(
            rewrite(yahoo).unwrap(),
            r#"<p dir="rtl">الفقرة الأولى</p><p dir="rtl">الفقرة الثانية</p>"#
        );
    }

    #[test]
    fn quotes_and_text_between_divs_keep_their_place() {
        let html = "Opening words<div>A line</div><blockquote><div>quoted</div></blockquote>";
        assert_eq!(
            rewrite(html).unwrap(),
            "<p>Opening words</p><p>A line</p><blockquote><p>quoted</p></blockquote>"
        );
    }

    #[test]
    fn html_without_divs_or_in_another_shape_is_left_alone() {
        assert_eq!(rewrite("<p>One</p><p>Two</p>"), None);
        assert_eq!(rewrite("<div>unclosed"), None);
        assert_eq!(rewrite("<div><p>mismatched</div></p>"), None);
        let deep = "<div>".repeat(100) + &"</div>".repeat(100);
        assert_eq!(rewrite(&deep), None);
    }

    #[test]
    fn a_quoted_angle_bracket_does_not_end_a_tag() {
        let html =
            r#"<div><a href="https://example.org/?a=1>2" rel="nofollow noopener">link</a></div>"#;
        assert_eq!(
            rewrite(html).unwrap(),
            r#"<p><a href="https://example.org/?a=1>2" rel="nofollow noopener">link</a></p>"#
        );
    }
}
