//! The text of the generated mail: titles, subjects, paragraphs in English
//! and Arabic, drawn from the word lists, and the small text helpers.

use rand::Rng as _;
use rand::rngs::StdRng;

use crate::words::{ARABIC_WORDS, PLACES, TITLE_ADJECTIVES, TITLE_NOUNS, WORDS};

/// One item of `items`, uniformly.
pub fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A typical op-ed is 20 KB: the mean of three uniform draws in 8–32 KB
/// gives a bell around it with a few short and long ones.
pub fn article_bytes(rng: &mut StdRng) -> usize {
    (0..3)
        .map(|_| rng.random_range(8_000..=32_000))
        .sum::<usize>()
        / 3
}

pub fn title(rng: &mut StdRng) -> String {
    let noun = pick(rng, TITLE_NOUNS);
    let adjective = pick(rng, TITLE_ADJECTIVES);
    let place = pick(rng, PLACES);
    match rng.random_range(0..5) {
        0 => format!("Why {place} needs {adjective} {noun}"),
        1 => format!("The case for {adjective} {noun}"),
        2 => format!("What {place} can teach us about {noun}"),
        3 => format!("Stop ignoring {noun}"),
        _ => format!(
            "{} after the election: a {adjective} plan",
            capitalise(noun)
        ),
    }
}

/// Mostly "Op-Ed: <title>", with the other forms writers use.
pub fn oped_subject(rng: &mut StdRng, title: &str) -> String {
    match rng.random_range(0..20) {
        0 => format!("[Op-Ed] {title}"),
        1 => format!("{title} (op-ed)"),
        2 => format!("OP-ED - {title}"),
        _ => format!("Op-Ed: {title}"),
    }
}

fn sentence(rng: &mut StdRng) -> String {
    let length = rng.random_range(8..=22);
    let mut sentence = String::new();
    for n in 0..length {
        let word = pick(rng, WORDS);
        if n == 0 {
            sentence.push_str(&capitalise(word));
        } else {
            sentence.push(' ');
            sentence.push_str(word);
            if n + 1 < length && rng.random_ratio(6, 100) {
                sentence.push(',');
            }
        }
    }
    sentence.push(if rng.random_ratio(8, 100) { '?' } else { '.' });
    sentence
}

pub fn paragraphs(rng: &mut StdRng, bytes: usize) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut total = 0;
    while total < bytes {
        let sentences = rng.random_range(3..=7);
        let paragraph = (0..sentences)
            .map(|_| sentence(rng))
            .collect::<Vec<_>>()
            .join(" ");
        total += paragraph.len() + 2;
        paragraphs.push(paragraph);
    }
    paragraphs
}

pub fn arabic_paragraphs(rng: &mut StdRng, chars: usize) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut total = 0;
    while total < chars {
        let mut paragraph = String::new();
        for _ in 0..rng.random_range(3..=6) {
            for n in 0..rng.random_range(8..=18) {
                if n > 0 {
                    paragraph.push(' ');
                }
                paragraph.push_str(pick(rng, ARABIC_WORDS));
            }
            paragraph.push_str(if rng.random_ratio(10, 100) {
                "؟ "
            } else {
                ". "
            });
        }
        let paragraph = paragraph.trim_end().to_string();
        total += paragraph.chars().count() + 2;
        paragraphs.push(paragraph);
    }
    paragraphs
}

pub fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn slug(title: &str) -> String {
    title
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Breaks text into CRLF lines of at most `width` characters, at spaces.
pub fn wrap(text: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_chars = 0;
    for word in text.split(' ') {
        let word_chars = word.chars().count();
        if line_chars > 0 && line_chars + 1 + word_chars > width {
            lines.push(std::mem::take(&mut line));
            line_chars = 0;
        }
        if line_chars > 0 {
            line.push(' ');
            line_chars += 1;
        }
        line.push_str(word);
        line_chars += word_chars;
    }
    lines.push(line);
    lines.join("\r\n")
}
