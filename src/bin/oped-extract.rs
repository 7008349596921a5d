//! `oped-extract --kind <format>`: reads one document on stdin and prints
//! its text as one JSON line, for the server, which starts it as a child
//! process under OS limits (`intake::documents::sandbox`).
//!
//! The same work as `oped extract`, in a binary that links nothing but the
//! document readers: no database client, no TLS, no HTTP. It starts in a
//! quarter of the time `oped` takes to load its 27 shared libraries, and a
//! child is started for every document that arrives.

use std::process::ExitCode;

use oped::intake::documents::{DocumentKind, sandbox};

/// `--kind K` or `--kind=K`, after an optional `extract` (the arguments the
/// server passes to either program).
fn kind(args: &[String]) -> Option<DocumentKind> {
    let args = match args.first().map(String::as_str) {
        Some("extract") => &args[1..],
        _ => args,
    };
    let name = match args {
        [flag, name] if flag == "--kind" => name.as_str(),
        [flag] => flag.strip_prefix("--kind=")?,
        _ => return None,
    };
    DocumentKind::from_name(name)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match kind(&args) {
        Some(kind) => sandbox::serve_child(kind),
        None => {
            eprintln!("usage: oped-extract --kind docx|odt|pdf|rtf|html|text < document");
            ExitCode::from(64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Option<DocumentKind> {
        kind(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn takes_the_arguments_the_server_passes_to_either_program() {
        assert_eq!(
            parse(&["extract", "--kind", "pdf"]),
            Some(DocumentKind::Pdf)
        );
        assert_eq!(parse(&["--kind", "docx"]), Some(DocumentKind::Docx));
        assert_eq!(parse(&["--kind=text"]), Some(DocumentKind::Text));
        assert_eq!(parse(&["--kind", "exe"]), None);
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&["extract", "--kind", "pdf", "more"]), None);
    }
}
