//! Reading one variable: each helper reads it, checks it and, when it is bad,
//! records a problem naming it and answers the default, so that the start
//! reports every bad value at once. A secret's problem never shows its value.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use super::ConfigError;
use crate::secret::Secret;

/// The variables being read, and every problem found so far.
pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

/// A whole number a variable may hold.
pub(super) trait Whole: FromStr + PartialOrd + Display + Copy {
    const MIN: Self;
    const MAX: Self;
}

macro_rules! whole {
    ($($t:ty),*) => {$(impl Whole for $t { const MIN: Self = <$t>::MIN; const MAX: Self = <$t>::MAX; })*};
}
whole!(u32, u64, usize);

impl<'a> Reader<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Reader<'a> {
        Reader {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The value as set, untrimmed (a secret is used as written); unset and
    /// blank are alike.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// A whole number in `range` (spaces around it and digit separators such
    /// as `1,200` allowed), or `default`. The problem says the range, and
    /// `unit` when given ("a whole number of seconds from 30 to 900").
    pub fn number<T: Whole>(
        &mut self,
        name: &str,
        default: T,
        range: RangeInclusive<T>,
        unit: &str,
    ) -> T {
        let Some(value) = self.optional(name) else {
            return default;
        };
        match value.trim().replace([',', '_'], "").parse::<T>() {
            Ok(number) if range.contains(&number) => number,
            _ => {
                let unit = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" of {unit}")
                };
                let (low, high) = (*range.start(), *range.end());
                let bounds = match (low == T::MIN, high == T::MAX) {
                    (true, true) => String::new(),
                    (false, true) => format!(", at least {low}"),
                    _ => format!(" from {low} to {high}"),
                };
                self.problem(format!(
                    "{name}={value:?} must be a whole number{unit}{bounds}"
                ));
                default
            }
        }
    }

    /// A number of seconds in `range`, or `default`.
    pub fn duration_secs(
        &mut self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Duration {
        Duration::from_secs(self.number(name, default, range, "seconds"))
    }

    /// One of `options` by its name, or `default` when unset.
    pub fn choice<T: Copy>(&mut self, name: &str, default: T, options: &[(&str, T)]) -> T {
        let Some(value) = self.optional(name) else {
            return default;
        };
        let value = value.trim();
        if let Some((_, choice)) = options.iter().find(|(option, _)| *option == value) {
            return *choice;
        }
        let names: Vec<String> = options
            .iter()
            .map(|(name, _)| format!("{name:?}"))
            .collect();
        let (last, rest) = names.split_last().expect("a choice has options");
        let expected = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} or {last}", rest.join(", "))
        };
        self.problem(format!("{name}={value:?} must be {expected}"));
        default
    }

    /// The value read by `parse`, whose error says what is wrong with it
    /// ("is not an address:port such as …"); the problem shows the value.
    pub fn parsed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.optional(name)?;
        let value = value.trim();
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(reason) => {
                let shown: String = value.chars().take(64).collect();
                self.problem(format!("{name}={shown:?} {reason}"));
                None
            }
        }
    }

    /// A value of a type whose error already quotes the value.
    pub fn typed<T: FromStr<Err: Display>>(&mut self, name: &str) -> Option<T> {
        match self.optional(name)?.parse() {
            Ok(parsed) => Some(parsed),
            Err(err) => {
                self.problem(format!("{name}: {err}"));
                None
            }
        }
    }

    /// Comma-separated entries, each read by `parse` (blank ones skipped); an
    /// entry it refuses is named with what it should be (`expected`).
    pub fn list<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Vec<T> {
        let Some(value) = self.optional(name) else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match parse(entry) {
                Some(parsed) => entries.push(parsed),
                None => self.problem(format!("{name}: {entry:?} {expected}")),
            }
        }
        entries
    }

    /// An `http://` or `https://` URL without its trailing slash.
    pub fn http_url(&mut self, name: &str) -> Option<String> {
        let url = self
            .optional(name)?
            .trim()
            .trim_end_matches('/')
            .to_string();
        if url.is_empty() {
            return None;
        }
        if !url::Url::parse(&url).is_ok_and(|url| matches!(url.scheme(), "http" | "https")) {
            self.problem(format!("{name}={url:?} is not an http:// or https:// URL"));
        }
        Some(url)
    }

    /// A secret, checked by `check`, whose error completes "`name` is …";
    /// the value is never shown.
    pub fn secret(
        &mut self,
        name: &str,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> Option<Secret<String>> {
        let secret = self.optional(name)?;
        if let Err(weakness) = check(&secret) {
            self.problem(format!("{name} is {weakness}"));
        }
        Some(Secret::new(secret))
    }

    /// A signing key: long, and not a trivial pattern.
    pub fn signing_key(&mut self, name: &str) -> Option<Secret<String>> {
        self.secret(name, |key| {
            strong_enough(key).map_err(|weakness| format!("too weak: {weakness}"))
        })
    }

    pub fn problem(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// Whether a problem so far mentions `text`.
    pub fn has_problem_with(&self, text: &str) -> bool {
        self.problems.iter().any(|problem| problem.contains(text))
    }

    /// The configuration built by `build`, or every problem found.
    pub fn finish<T>(self, build: impl FnOnce() -> T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(build())
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }

    #[cfg(test)]
    pub fn into_problems(self) -> Vec<String> {
        self.problems
    }
}

/// A signing key must be long and not a trivial pattern ("aaaa…", "1234…").
fn strong_enough(secret: &str) -> Result<(), &'static str> {
    if secret.len() < 32 {
        return Err("use at least 32 random characters (e.g. `openssl rand -base64 48`)");
    }
    let distinct: std::collections::HashSet<char> = secret.chars().collect();
    if distinct.len() < 10 {
        return Err("it repeats too few distinct characters to be random");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn problems(vars: &[(&str, &str)], read: impl FnOnce(&mut Reader)) -> Vec<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = |name: &str| map.get(name).cloned();
        let mut reader = Reader::new(&lookup);
        read(&mut reader);
        reader.into_problems()
    }

    #[test]
    fn a_number_says_its_range_and_unit() {
        let found = problems(&[("A", "0"), ("B", "x"), ("C", "-1")], |read| {
            assert_eq!(read.number("A", 5u32, 1..=60, "working days"), 5);
            assert_eq!(
                read.number("B", 2048usize, 1024..=usize::MAX, "bytes"),
                2048
            );
            assert_eq!(read.number("C", 3u32, 0..=u32::MAX, ""), 3);
            assert_eq!(read.number("unset", 7u32, 0..=9, ""), 7);
        });
        assert_eq!(
            found,
            [
                "A=\"0\" must be a whole number of working days from 1 to 60",
                "B=\"x\" must be a whole number of bytes, at least 1024",
                "C=\"-1\" must be a whole number",
            ]
        );
        let found = problems(&[("A", " 1,200 "), ("B", "  ")], |read| {
            assert_eq!(read.number("A", 1u32, 1..=2000, ""), 1200);
            assert_eq!(read.number("B", 9u32, 1..=2000, ""), 9, "blank is unset");
        });
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn choices_lists_and_secrets_name_the_problem() {
        let found = problems(
            &[("K", "xml"), ("L", "a, ,bad,b"), ("S", "s3cr3t")],
            |read| {
                let kind = read.choice("K", 0, &[("text", 0), ("json", 1), ("yaml", 2)]);
                assert_eq!(kind, 0);
                let list = read.list("L", |e| (e.len() == 1).then(|| e.to_string()), "is long");
                assert_eq!(list, ["a", "b"]);
                assert!(read.signing_key("S").is_some());
            },
        );
        assert_eq!(found[0], "K=\"xml\" must be \"text\", \"json\" or \"yaml\"");
        assert_eq!(found[1], "L: \"bad\" is long");
        assert!(found[2].starts_with("S is too weak: "), "{found:?}");
        assert!(!found.join("\n").contains("s3cr3t"));
    }
}
