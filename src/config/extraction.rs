//! How attachments are read: which program, as whom, within what limits.

use std::path::PathBuf;
use std::time::Duration;

use super::Reader;

/// Where documents are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// `<program> extract --kind K` in a child process under OS limits;
    /// `None` is `oped-extract` beside the running binary, or else the
    /// running image itself (`sandbox::program`). Integration tests name the
    /// `oped-extract` cargo built.
    Child(Option<PathBuf>),
    /// In this process, unisolated: a hostile document can take the process
    /// down with it. Only for unit tests and the fuzzer, which must stay
    /// pure functions of bytes; never the default.
    InProcess,
}

/// The limits on reading the documents of one message.
#[derive(Debug, Clone)]
pub struct ExtractionLimits {
    /// `OPED_EXTRACTOR`: the program that reads documents (default
    /// `oped-extract` beside `oped`, else `oped` itself).
    pub runner: Runner,
    /// Documents tried per message; the first that yields text is the article.
    pub max_documents: usize,
    /// Wall-clock time for all of a message's documents together.
    pub per_message: Duration,
    /// Wall-clock and CPU time of one document (cut to what is left of `per_message`).
    pub per_document: Duration,
    /// Address space of one child.
    pub memory_bytes: u64,
    /// `OPED_EXTRACT_USER` (default `nobody`): who the children run as when
    /// the server runs as root; a server of another user runs them as itself.
    pub user: Option<String>,
}

impl Default for ExtractionLimits {
    fn default() -> Self {
        ExtractionLimits {
            runner: Runner::Child(None),
            max_documents: 3,
            per_message: Duration::from_secs(15),
            per_document: Duration::from_secs(5),
            memory_bytes: 512 * 1024 * 1024,
            user: None,
        }
    }
}

/// The program and its user; the user is checked here so that a typo stops
/// the start rather than every document.
pub(super) fn read(read: &mut Reader) -> ExtractionLimits {
    let mut extraction = ExtractionLimits::default();
    if let Some(program) = read.optional("OPED_EXTRACTOR") {
        extraction.runner = Runner::Child(Some(PathBuf::from(program.trim())));
    }
    extraction.user = read.parsed("OPED_EXTRACT_USER", unprivileged_user);
    extraction
}

fn unprivileged_user(name: &str) -> Result<String, String> {
    match nix::unistd::User::from_name(name) {
        Ok(Some(user)) if !user.uid.is_root() && user.gid.as_raw() != 0 => Ok(name.to_string()),
        Ok(Some(_)) => Err("is root or in root's group: name an unprivileged user".into()),
        Ok(None) => Err("names nobody here: there is no such user".into()),
        Err(err) => Err(format!("could not be looked up: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;
    use super::*;

    #[test]
    fn the_extractor_and_its_user_are_checked_at_start() {
        let set = config(&[
            ("OPED_EXTRACTOR", "/opt/oped/bin/oped-extract"),
            ("OPED_EXTRACT_USER", "nobody"),
        ])
        .unwrap();
        let extraction = set.intake.limits.extraction;
        assert_eq!(
            extraction.runner,
            Runner::Child(Some(PathBuf::from("/opt/oped/bin/oped-extract")))
        );
        assert_eq!(extraction.user.as_deref(), Some("nobody"));
        for (user, problem) in [
            ("root", "is root or in root's group"),
            ("no-such-user-here", "there is no such user"),
        ] {
            let err = config(&[("OPED_EXTRACT_USER", user)]).unwrap_err();
            assert!(err.to_string().contains(problem), "{err}");
        }
    }
}
