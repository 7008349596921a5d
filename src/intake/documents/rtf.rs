//! RTF: a small tokenizer over groups, control words and text.
//!
//! Bytes outside `\uN` are in a legacy code page: the document's `\ansicpg`, or the
//! `\fcharset` of the current font (how Word marks Arabic, Greek, Cyrillic runs).
//! Destinations that are not body text (font table, styles, pictures, headers...)
//! are skipped. Group depth is limited; the loop is iterative, so nothing recurses.

use std::collections::HashMap;

use encoding_rs::{Encoding, WINDOWS_1252};

use super::{DocumentError, DocumentLimits, ExtractedDocument, TextBuilder, clean_title};

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
) -> Result<ExtractedDocument, DocumentError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if !bytes[start..].starts_with(b"{\\rtf") {
        return Err(DocumentError::Malformed("missing {\\rtf header".into()));
    }
    let mut parser = Parser {
        input: &bytes[start..],
        pos: 0,
        out: TextBuilder::new(limits.max_output_chars),
        title: String::new(),
        group: Group::default(),
        stack: Vec::new(),
        max_depth: limits.max_xml_depth,
        doc_encoding: WINDOWS_1252,
        default_font: None,
        fonts: HashMap::new(),
        font_being_defined: None,
        pending: Vec::new(),
        skip_fallback: 0,
        high_surrogate: None,
    };
    parser.run()?;
    let title = clean_title(&parser.title);
    Ok(ExtractedDocument {
        text: parser.out.finish(),
        title,
    })
}

/// Where the text of the current group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destination {
    Body,
    /// Read only for `\fN` / `\fcharsetN`, to know each font's code page.
    FontTable,
    /// Document metadata: ignored except for `\title`.
    Info,
    Title,
    Skip,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Destination,
    /// `\ucN`: how many fallback characters follow each `\uN`.
    uc: usize,
    font: Option<i64>,
}

impl Default for Group {
    fn default() -> Self {
        Self {
            dest: Destination::Body,
            uc: 1,
            font: None,
        }
    }
}

/// Destinations we never want text from. Anything starting with `\*` is skipped too.
const SKIPPED_DESTINATIONS: &[&str] = &[
    "annotation",
    "atnauthor",
    "atndate",
    "atnid",
    "atnref",
    "author",
    "bkmkend",
    "bkmkstart",
    "category",
    "colortbl",
    "comment",
    "company",
    "creatim",
    "datastore",
    "doccomm",
    "docvar",
    "falt",
    "field-inst",
    "filetbl",
    "fldinst",
    "footer",
    "footerf",
    "footerl",
    "footerr",
    "footnote",
    "ftncn",
    "ftnsep",
    "ftnsepc",
    "header",
    "headerf",
    "headerl",
    "headerr",
    "hlinkbase",
    "keywords",
    "latentstyles",
    "listoverridetable",
    "listtable",
    "listtext",
    "manager",
    "mmathPr",
    "nonshppict",
    "object",
    "objdata",
    "operator",
    "panose",
    "pict",
    "pgdsctbl",
    "pntext",
    "pntxta",
    "pntxtb",
    "printim",
    "private",
    "revtbl",
    "revtim",
    "rsidtbl",
    "shp",
    "shpinst",
    "stylesheet",
    "subject",
    "tc",
    "template",
    "themedata",
    "txe",
    "userprops",
    "colorschememapping",
    "wgrffmtfilter",
    "xe",
    "xmlnstbl",
    "generator",
    "buptim",
];

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    out: TextBuilder,
    title: String,
    group: Group,
    stack: Vec<Group>,
    max_depth: usize,
    doc_encoding: &'static Encoding,
    default_font: Option<i64>,
    fonts: HashMap<i64, &'static Encoding>,
    font_being_defined: Option<i64>,
    /// Code-page bytes not yet decoded, so that double-byte characters written as
    /// two `\'hh` escapes decode together.
    pending: Vec<u8>,
    /// Fallback characters still to skip after a `\uN`.
    skip_fallback: usize,
    high_surrogate: Option<u16>,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), DocumentError> {
        while let Some(&byte) = self.input.get(self.pos) {
            self.pos += 1;
            match byte {
                b'{' => self.open_group()?,
                b'}' => self.close_group()?,
                b'\\' => self.control()?,
                // Line breaks in the file are formatting, not text.
                b'\r' | b'\n' => {}
                _ => self.text_byte(byte),
            }
        }
        self.flush()
    }

    fn open_group(&mut self) -> Result<(), DocumentError> {
        self.flush()?;
        if self.stack.len() >= self.max_depth {
            return Err(DocumentError::TooDeep);
        }
        self.stack.push(self.group);
        self.skip_fallback = 0;
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), DocumentError> {
        self.flush()?;
        // A stray "}" after the document closed is tolerated, like most readers do.
        if let Some(outer) = self.stack.pop() {
            self.group = outer;
        }
        self.skip_fallback = 0;
        self.font_being_defined = None;
        Ok(())
    }

    fn control(&mut self) -> Result<(), DocumentError> {
        let Some(&first) = self.input.get(self.pos) else {
            return Ok(());
        };
        if !first.is_ascii_alphabetic() {
            self.pos += 1;
            return self.control_symbol(first);
        }
        let word_start = self.pos;
        while self
            .input
            .get(self.pos)
            .is_some_and(u8::is_ascii_alphabetic)
            && self.pos - word_start < 32
        {
            self.pos += 1;
        }
        let word = std::str::from_utf8(&self.input[word_start..self.pos]).unwrap_or("");
        let param = self.parameter();
        // One space delimits a control word and belongs to it.
        if self.input.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
        self.control_word(word, param)
    }

    /// Parses an optional signed decimal parameter (digits beyond 10 are consumed but ignored).
    fn parameter(&mut self) -> Option<i64> {
        let negative = self.input.get(self.pos) == Some(&b'-')
            && self.input.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
        if negative {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.input.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let digits = &self.input[digits_start..self.pos];
        if digits.is_empty() {
            return None;
        }
        let value = digits
            .iter()
            .take(10)
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
        Some(if negative { -value } else { value })
    }

    fn control_symbol(&mut self, symbol: u8) -> Result<(), DocumentError> {
        match symbol {
            b'\'' => {
                let hex = self
                    .input
                    .get(self.pos..self.pos + 2)
                    .and_then(|h| std::str::from_utf8(h).ok());
                if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    self.pos += 2;
                    self.text_byte(value);
                }
                Ok(())
            }
            b'*' => {
                self.group.dest = Destination::Skip;
                Ok(())
            }
            b'\\' | b'{' | b'}' => {
                self.text_byte(symbol);
                Ok(())
            }
            b'~' => self.text_char('\u{a0}'),
            b'_' => self.text_char('\u{2011}'),
            // "\" followed by a line break is an old spelling of \par.
            b'\r' | b'\n' => self.control_word("par", None),
            // Optional hyphen, index marks, formula characters: nothing visible.
            _ => {
                self.consume_fallback();
                Ok(())
            }
        }
    }

    fn control_word(&mut self, word: &str, param: Option<i64>) -> Result<(), DocumentError> {
        match word {
            "par" | "sect" | "page" | "row" => {
                self.flush()?;
                if self.group.dest == Destination::Body {
                    self.out.end_paragraph();
                }
            }
            "line" => self.text_char('\n')?,
            "tab" | "cell" => self.text_char('\t')?,
            "emdash" => self.text_char('\u{2014}')?,
            "endash" => self.text_char('\u{2013}')?,
            "lquote" => self.text_char('\u{2018}')?,
            "rquote" => self.text_char('\u{2019}')?,
            "ldblquote" => self.text_char('\u{201c}')?,
            "rdblquote" => self.text_char('\u{201d}')?,
            "bullet" => self.text_char('\u{2022}')?,
            "emspace" | "enspace" | "qmspace" => self.text_char(' ')?,
            "u" => self.unicode(param.unwrap_or(0))?,
            "uc" => self.group.uc = usize::try_from(param.unwrap_or(1)).unwrap_or(1).min(16),
            "ansicpg" => {
                self.flush()?;
                self.doc_encoding = param.and_then(codepage_encoding).unwrap_or(WINDOWS_1252);
            }
            "mac" => self.doc_encoding = codepage_encoding(10000).unwrap_or(WINDOWS_1252),
            "deff" => self.default_font = param,
            "f" => {
                self.flush()?;
                if self.group.dest == Destination::FontTable {
                    self.font_being_defined = param;
                } else {
                    self.group.font = param;
                }
            }
            "fcharset" | "cpg" => self.define_font_encoding(word, param),
            "bin" => {
                // Raw binary payload (pictures): skip it without interpreting it.
                let len = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
                self.pos = self.pos.saturating_add(len).min(self.input.len());
            }
            "fonttbl" => self.group.dest = Destination::FontTable,
            "info" => self.group.dest = Destination::Info,
            "title" if self.group.dest == Destination::Info => self.group.dest = Destination::Title,
            _ if SKIPPED_DESTINATIONS.contains(&word) => self.group.dest = Destination::Skip,
            _ => {}
        }
        Ok(())
    }

    fn define_font_encoding(&mut self, word: &str, param: Option<i64>) {
        if self.group.dest != Destination::FontTable {
            return;
        }
        let (Some(font), Some(value)) = (self.font_being_defined, param) else {
            return;
        };
        let encoding = if word == "cpg" {
            codepage_encoding(value)
        } else {
            charset_encoding(value)
        };
        if let Some(encoding) = encoding {
            self.fonts.insert(font, encoding);
        }
    }

    fn unicode(&mut self, value: i64) -> Result<(), DocumentError> {
        // RTF writes code units as signed 16-bit numbers.
        let unit = u16::try_from(value.rem_euclid(65_536)).unwrap_or(0xFFFD);
        let c = match (self.high_surrogate.take(), unit) {
            (_, 0xD800..=0xDBFF) => {
                self.high_surrogate = Some(unit);
                None
            }
            (Some(high), 0xDC00..=0xDFFF) => {
                char::decode_utf16([high, unit]).next().and_then(Result::ok)
            }
            (_, unit) => char::from_u32(u32::from(unit)),
        };
        if let Some(c) = c {
            self.text_char(c)?;
        }
        self.skip_fallback = self.group.uc;
        Ok(())
    }

    /// Returns true (and counts it) if this character is a `\uN` fallback to drop.
    fn consume_fallback(&mut self) -> bool {
        if self.skip_fallback > 0 {
            self.skip_fallback -= 1;
            true
        } else {
            false
        }
    }

    fn text_byte(&mut self, byte: u8) {
        if !self.consume_fallback() && self.collects_text() {
            self.pending.push(byte);
        }
    }

    fn text_char(&mut self, c: char) -> Result<(), DocumentError> {
        self.flush()?;
        match self.group.dest {
            Destination::Body => self.out.push(c),
            Destination::Title if self.title.len() < 4096 => {
                self.title.push(c);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn collects_text(&self) -> bool {
        matches!(self.group.dest, Destination::Body | Destination::Title)
    }

    /// Decodes pending code-page bytes with the current font's (or document's) code page.
    fn flush(&mut self) -> Result<(), DocumentError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let font = self.group.font.or(self.default_font);
        let encoding = font
            .and_then(|f| self.fonts.get(&f).copied())
            .unwrap_or(self.doc_encoding);
        let bytes = std::mem::take(&mut self.pending);
        let decoded = encoding.decode_without_bom_handling(&bytes).0;
        match self.group.dest {
            Destination::Body => self.out.push_str(&decoded)?,
            Destination::Title if self.title.len() < 4096 => self.title.push_str(&decoded),
            _ => {}
        }
        Ok(())
    }
}

/// Windows code page number (`\ansicpg`, `\cpg`) to an encoding.
fn codepage_encoding(codepage: i64) -> Option<&'static Encoding> {
    let label = match codepage {
        874 => "windows-874",
        932 => "shift_jis",
        936 => "gbk",
        949 => "euc-kr",
        950 => "big5",
        1250..=1258 => return Encoding::for_label(format!("windows-{codepage}").as_bytes()),
        10000 => "macintosh",
        20866 => "koi8-r",
        28591 => "iso-8859-1",
        65001 => "utf-8",
        866 => "ibm866",
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}

/// `\fcharsetN` (a Windows GDI charset id) to an encoding. 0, 1 and 2 mean
/// "ANSI/default/symbol" and defer to the document code page.
fn charset_encoding(charset: i64) -> Option<&'static Encoding> {
    let codepage = match charset {
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    };
    codepage_encoding(codepage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rtf: &[u8]) -> Result<ExtractedDocument, DocumentError> {
        let limits = DocumentLimits::default();
        extract(rtf, &limits)
    }

    #[test]
    fn latin_text_with_hex_unicode_and_font_table() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\froman Times;}}
{\colortbl;\red0\green0\blue0;}{\stylesheet{\s0 Normal;}}
{\info{\title Op-Ed \'e9dition}{\author Someone}}
{\*\generator Riched20 10.0;}\pard\f0\fs24 Caf\'e9 na\u239?ve \u8212\'97 done.\par
Second\line line\tab tabbed {\b bold}\par
{\pict\pngblip 89504e470d0a}{\header Header text\par}Third \{braces\}\par}";
        let doc = run(rtf).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Op-Ed \u{e9}dition"));
        assert_eq!(
            doc.text,
            "Caf\u{e9} na\u{ef}ve \u{2014} done.\n\nSecond\nline\ttabbed bold\n\nThird {braces}"
        );
    }

    #[test]
    fn arabic_code_page() {
        let doc = run(
            br"{\rtf1\ansi\ansicpg1256\deff0 \'c7\'e1\'d3\'e1\'c7\'e3 \'da\'e1\'ed\'df\'e3\par}",
        )
        .unwrap();
        assert_eq!(
            doc.text,
            "\u{627}\u{644}\u{633}\u{644}\u{627}\u{645} \u{639}\u{644}\u{64a}\u{643}\u{645}"
        );
    }

    #[test]
    fn font_charset_selects_code_page() {
        let rtf = br"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}{\f1\fcharset204 Arial Cyr;}}\f0 caf\'e9 {\f1 \'cf\'f0\'e8\'e2\'e5\'f2}\par}";
        assert_eq!(
            run(rtf).unwrap().text,
            "caf\u{e9} \u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}"
        );
    }

    #[test]
    fn uc_and_surrogate_pairs() {
        let rtf = br"{\rtf1\ansi\uc2 x\u-10179\'3f\'3f\u-8704\'3f\'3fy{\uc0 \u233}z\u233?\par}";
        assert_eq!(run(rtf).unwrap().text, "x\u{1F600}y\u{e9}z\u{e9}");
    }

    #[test]
    fn deep_groups_are_refused() {
        let mut rtf = b"{\\rtf1 ".to_vec();
        rtf.extend(std::iter::repeat_n(b'{', 10_000));
        assert!(matches!(run(&rtf), Err(DocumentError::TooDeep)));
    }

    #[test]
    fn hostile_input_terminates() {
        assert!(run(b"not rtf").is_err());
        for rtf in [
            &b"{\\rtf1 \\bin999999999999 abc}"[..],
            b"{\\rtf1 \\u-99999999999999999 \\uc99999999999 \\'zz \\'4",
            b"{\\rtf1 }}}}}}} text \\",
            b"{\\rtf1 \\ansicpg99999 \\fcharset-5 \\f-1 \\'e9}",
        ] {
            let _ = run(rtf);
        }
    }
}
