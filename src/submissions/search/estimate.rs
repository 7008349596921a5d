//! What share of the pieces a search should match, reckoned as PostgreSQL's
//! planner reckons it (`tsmatchsel`, src/backend/tsearch/ts_selfuncs.c): each
//! word's share from the statistics of the search column, the words taken as
//! independent. Done here, from a copy of those statistics kept by the
//! process ([`super::statistics`]), because asking the planner (an `EXPLAIN`)
//! reads all of the column's 20,000 most common words again on every search.

use std::collections::HashMap;

/// The planner's share for a word when it has no statistics to go by
/// (`DEFAULT_TS_MATCH_SEL`); also the most it assumes for a word that is not
/// among the most common.
const DEFAULT_SHARE: f64 = 0.005;

/// The most common words of the search column and the share of pieces that
/// hold each (`pg_stats.most_common_elems`, `most_common_elem_freqs`).
#[derive(Debug)]
pub struct WordFrequencies {
    shares: HashMap<String, f64>,
    /// A word not among them: half the least common one's share.
    unlisted: f64,
}

impl WordFrequencies {
    /// From the statistics as PostgreSQL keeps them: a share for each word,
    /// then the least and the greatest share. `None` when they do not have
    /// that shape.
    pub fn new(words: Vec<String>, shares: &[f32]) -> Option<WordFrequencies> {
        if shares.len() != words.len() + 2 {
            return None;
        }
        let least = f64::from(shares[words.len()]);
        Some(WordFrequencies {
            shares: words
                .into_iter()
                .zip(shares.iter().map(|share| f64::from(*share)))
                .collect(),
            unlisted: DEFAULT_SHARE.min(least / 2.0),
        })
    }

    /// The share of pieces the search `tsquery` (as PostgreSQL prints a
    /// `tsquery`) matches. `None` for a query this does not reckon (a prefix
    /// search) or cannot read, or one with no words.
    pub fn share(&self, tsquery: &str) -> Option<f64> {
        let query = Parser::new(tsquery).query()?;
        self.share_of(&query)
    }

    fn share_of(&self, query: &Query) -> Option<f64> {
        let share = match query {
            Query::Word { prefix: true, .. } => return None,
            Query::Word { text, .. } => self.shares.get(text).copied().unwrap_or(self.unlisted),
            Query::Not(inner) => 1.0 - self.share_of(inner)?,
            // A phrase is reckoned as its words together, as the planner does.
            Query::And(left, right) | Query::Phrase(left, right) => {
                self.share_of(left)? * self.share_of(right)?
            }
            Query::Or(left, right) => {
                let (left, right) = (self.share_of(left)?, self.share_of(right)?);
                left + right - left * right
            }
        };
        Some(share.clamp(0.0, 1.0))
    }
}

/// A `tsquery`'s tree.
#[derive(Debug, PartialEq)]
enum Query {
    Word { text: String, prefix: bool },
    Not(Box<Query>),
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Phrase(Box<Query>, Box<Query>),
}

/// Reads a `tsquery` as PostgreSQL prints it: `'word'` (a quote inside
/// doubled, a backslash escaped), an optional `:` with `*` (prefix) and
/// weights, `!`, `<->` or `<N>`, `&`, `|` (binding in that order) and
/// parentheses.
struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser { rest: text }
    }

    /// The whole query, or `None` if anything is left over or unreadable.
    fn query(mut self) -> Option<Query> {
        let query = self.or()?;
        self.skip_spaces();
        self.rest.is_empty().then_some(query)
    }

    fn or(&mut self) -> Option<Query> {
        let mut query = self.and()?;
        while self.eat("|") {
            query = Query::Or(Box::new(query), Box::new(self.and()?));
        }
        Some(query)
    }

    fn and(&mut self) -> Option<Query> {
        let mut query = self.phrase()?;
        while self.eat("&") {
            query = Query::And(Box::new(query), Box::new(self.phrase()?));
        }
        Some(query)
    }

    fn phrase(&mut self) -> Option<Query> {
        let mut query = self.operand()?;
        while self.eat("<") {
            let (distance, rest) = self.rest.split_once('>')?;
            if distance != "-" && distance.parse::<u16>().is_err() {
                return None;
            }
            self.rest = rest;
            query = Query::Phrase(Box::new(query), Box::new(self.operand()?));
        }
        Some(query)
    }

    fn operand(&mut self) -> Option<Query> {
        if self.eat("!") {
            return Some(Query::Not(Box::new(self.operand()?)));
        }
        if self.eat("(") {
            let query = self.or()?;
            return self.eat(")").then_some(query);
        }
        self.skip_spaces();
        self.word()
    }

    fn word(&mut self) -> Option<Query> {
        let mut chars = self.rest.strip_prefix('\'')?.char_indices();
        let mut text = String::new();
        let end = loop {
            match chars.next()? {
                (at, '\'') => {
                    if chars.as_str().starts_with('\'') {
                        chars.next();
                        text.push('\'');
                    } else {
                        break at + 1;
                    }
                }
                (_, '\\') => text.push(chars.next()?.1),
                (_, other) => text.push(other),
            }
        };
        // `end` counts from after the opening quote.
        self.rest = &self.rest[1 + end..];
        let mut prefix = false;
        if let Some(flags) = self.rest.strip_prefix(':') {
            let length = flags
                .find(|c: char| !matches!(c, '*' | 'A'..='D' | 'a'..='d'))
                .unwrap_or(flags.len());
            prefix = flags[..length].contains('*');
            self.rest = &flags[length..];
        }
        Some(Query::Word { text, prefix })
    }

    /// Skips spaces, then takes `token` if it comes next.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_spaces();
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Box<Query> {
        Box::new(Query::Word {
            text: text.into(),
            prefix: false,
        })
    }

    fn parse(text: &str) -> Option<Query> {
        Parser::new(text).query()
    }

    /// "tide" in half the pieces, "quay" in a tenth; the least common listed
    /// word in 1%.
    fn frequencies() -> WordFrequencies {
        WordFrequencies::new(vec!["quay".into(), "tide".into()], &[0.1, 0.5, 0.01, 0.5]).unwrap()
    }

    #[test]
    fn reads_queries_as_postgresql_prints_them() {
        assert_eq!(parse("'tide'"), Some(*word("tide")));
        assert_eq!(
            parse("'a' & !'b' | 'c' <-> 'd'"),
            Some(Query::Or(
                Box::new(Query::And(word("a"), Box::new(Query::Not(word("b"))))),
                Box::new(Query::Phrase(word("c"), word("d"))),
            ))
        );
        assert_eq!(
            parse("( 'a' | 'b' ) & 'c' <2> 'd'"),
            Some(Query::And(
                Box::new(Query::Or(word("a"), word("b"))),
                Box::new(Query::Phrase(word("c"), word("d"))),
            ))
        );
        assert_eq!(
            parse(r"'it''s' & 'a\\b'"),
            Some(Query::And(word("it's"), word(r"a\b")))
        );
        assert_eq!(
            parse("'tid':*AB"),
            Some(Query::Word {
                text: "tid".into(),
                prefix: true
            })
        );
        assert_eq!(parse("'é' & 'ß'"), Some(Query::And(word("é"), word("ß"))));
        // As search_query prints a word with its other English form.
        assert_eq!(
            parse("!'plant' & ( 'migrat' | 'migrant' ) <-> 'crisi'"),
            Some(Query::And(
                Box::new(Query::Not(word("plant"))),
                Box::new(Query::Phrase(
                    Box::new(Query::Or(word("migrat"), word("migrant"))),
                    word("crisi"),
                )),
            ))
        );
        assert_eq!(
            parse("'انتخاب' & 'ليبيا'"),
            Some(Query::And(word("انتخاب"), word("ليبيا")))
        );
    }

    #[test]
    fn what_it_cannot_read_is_not_a_query() {
        for text in [
            "",
            "tide",
            "'tide",
            "'a' &",
            "( 'a'",
            "'a' 'b'",
            "'a' <x> 'b'",
            "'a' )",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn words_combine_as_the_planner_combines_them() {
        let frequencies = frequencies();
        let share = |query: &str| frequencies.share(query).unwrap();
        assert_eq!(share("'tide'"), 0.5);
        assert_eq!(share("'quay'"), f64::from(0.1_f32));
        // Not among the most common: half the least common's share.
        assert_eq!(share("'pier'"), f64::from(0.01_f32) / 2.0);
        assert_eq!(share("!'tide'"), 0.5);
        assert_eq!(share("'tide' & 'quay'"), 0.5 * f64::from(0.1_f32));
        assert_eq!(share("'tide' <-> 'quay'"), 0.5 * f64::from(0.1_f32));
        assert_eq!(share("'tide' | 'tide'"), 0.75);
    }

    #[test]
    fn an_unlisted_word_is_never_reckoned_above_the_default() {
        let frequencies = WordFrequencies::new(vec!["tide".into()], &[0.9, 0.8, 0.9]).unwrap();
        assert_eq!(frequencies.share("'pier'"), Some(DEFAULT_SHARE));
    }

    #[test]
    fn prefixes_empty_queries_and_odd_statistics_are_not_reckoned() {
        let frequencies = frequencies();
        assert_eq!(frequencies.share("'tid':*"), None);
        assert_eq!(frequencies.share("'tide' & 'qu':*"), None);
        assert_eq!(frequencies.share(""), None);
        assert!(WordFrequencies::new(vec!["tide".into()], &[0.5]).is_none());
    }
}
