//! The mix: which kinds of mail the desk receives, in which shares, and what
//! the server must make of each.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use crate::text::slug;

/// The kinds of mail the desk receives, with their share of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A ~20 KB op-ed in a text/plain body, 8bit or quoted-printable.
    PlainOped,
    /// A short cover note with the op-ed as a .docx attachment.
    DocxOped,
    /// multipart/alternative with an HTML body carrying hostile markup.
    HtmlOped,
    /// Arabic op-ed in windows-1256, 8bit, with RFC 2047 headers.
    ArabicWindows1256,
    /// Arabic op-ed in UTF-8, base64.
    ArabicUtf8,
    /// Out-of-office and similar machine mail.
    AutoReply,
    /// Mail to the desk without the op-ed marker (press releases, questions).
    Unmatched,
    /// The author answering in an earlier op-ed's thread, half with a revised .docx.
    Reply,
    /// The exact bytes of an earlier op-ed delivered again.
    Redelivery,
}

impl Kind {
    /// Per mille of the mix (the weights of the draw). Replies and
    /// redeliveries need an earlier op-ed far enough back; the first mails of
    /// a list fall back to plain op-eds.
    pub const MIX: [(Kind, u32); 9] = [
        (Kind::PlainOped, 530),
        (Kind::DocxOped, 150),
        (Kind::HtmlOped, 120),
        (Kind::ArabicWindows1256, 40),
        (Kind::ArabicUtf8, 40),
        (Kind::AutoReply, 40),
        (Kind::Unmatched, 50),
        (Kind::Reply, 20),
        (Kind::Redelivery, 10),
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::PlainOped => "plain op-ed",
            Kind::DocxOped => "op-ed in .docx",
            Kind::HtmlOped => "html op-ed",
            Kind::ArabicWindows1256 => "arabic windows-1256",
            Kind::ArabicUtf8 => "arabic utf-8",
            Kind::AutoReply => "auto-reply",
            Kind::Unmatched => "unmatched",
            Kind::Reply => "reply in thread",
            Kind::Redelivery => "redelivery",
        }
    }

    /// The outcome the server must give it.
    pub fn expected_outcome(self) -> &'static str {
        match self {
            Kind::AutoReply => "ignored_auto",
            Kind::Unmatched => "unmatched",
            Kind::Reply => "reply",
            Kind::Redelivery => "duplicate",
            _ => "submission",
        }
    }

    pub fn is_oped(self) -> bool {
        self.expected_outcome() == "submission"
    }
}

/// What the parse step must make of a mail; checked once, untimed, so the
/// timed passes are known to exercise the paths the mix claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseVerdict {
    Quarantined,
    Automatic,
    /// No marker and no thread: recorded as unmatched, no draft built.
    NoDraft,
    Draft {
        from_document: bool,
    },
}

impl ParseVerdict {
    pub fn label(self) -> &'static str {
        match self {
            ParseVerdict::Quarantined => "quarantined",
            ParseVerdict::Automatic => "automatic",
            ParseVerdict::NoDraft => "no draft",
            ParseVerdict::Draft {
                from_document: false,
            } => "draft from the text",
            ParseVerdict::Draft {
                from_document: true,
            } => "draft from a document",
        }
    }
}

pub struct Mail {
    pub kind: Kind,
    pub raw: Vec<u8>,
    pub parse_verdict: ParseVerdict,
}

pub fn print_mix(mails: &[Mail]) {
    let total_bytes: usize = mails.iter().map(|mail| mail.raw.len()).sum();
    let mut by_kind: BTreeMap<Kind, Vec<usize>> = BTreeMap::new();
    for mail in mails {
        by_kind.entry(mail.kind).or_default().push(mail.raw.len());
    }
    println!(
        "mix: {} mails, {:.1} MB, mean {:.1} KB",
        mails.len(),
        total_bytes as f64 / 1e6,
        total_bytes as f64 / mails.len() as f64 / 1e3
    );
    println!(
        "  {:<22} {:>6} {:>7} {:>9} {:>9} {:>9}  outcome",
        "kind", "mails", "share", "mean KB", "min KB", "max KB"
    );
    for (kind, sizes) in &by_kind {
        let sum: usize = sizes.iter().sum();
        println!(
            "  {:<22} {:>6} {:>6.1}% {:>9.1} {:>9.1} {:>9.1}  {}",
            kind.label(),
            sizes.len(),
            100.0 * sizes.len() as f64 / mails.len() as f64,
            sum as f64 / sizes.len() as f64 / 1e3,
            *sizes.iter().min().unwrap_or(&0) as f64 / 1e3,
            *sizes.iter().max().unwrap_or(&0) as f64 / 1e3,
            kind.expected_outcome(),
        );
    }
}

pub fn write_mails(dir: &Path, mails: &[Mail]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (index, mail) in mails.iter().enumerate() {
        let name = format!("{index:06}-{}.eml", slug(mail.kind.label()));
        std::fs::write(dir.join(&name), &mail.raw).with_context(|| format!("writing {name}"))?;
    }
    println!("wrote {} mails to {}", mails.len(), dir.display());
    Ok(())
}
