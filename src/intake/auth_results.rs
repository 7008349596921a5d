//! The sender-authentication verdict from `Authentication-Results` (RFC 8601).
//! Only headers stamped by our own receiving server count: anyone can write
//! such a header into a message before sending it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthVerdict {
    Pass,
    Fail,
    None,
}

impl AuthVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthVerdict::Pass => "pass",
            AuthVerdict::Fail => "fail",
            AuthVerdict::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderAuthentication {
    pub verdict: AuthVerdict,
    /// `dmarc=fail`: shown to editors as suspicious, never dropped.
    pub suspicious: bool,
}

/// Reads the first `Authentication-Results` header whose authserv-id is
/// `trusted_id`. DMARC decides when present; otherwise a DKIM or SPF pass is
/// a pass and a failure with no pass is a fail.
pub fn sender_authentication<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    trusted_id: Option<&str>,
) -> SenderAuthentication {
    let unknown = SenderAuthentication {
        verdict: AuthVerdict::None,
        suspicious: false,
    };
    let Some(trusted_id) = trusted_id else {
        return unknown;
    };
    let Some(value) = headers
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authentication-results"))
        .map(|(_, value)| value)
        .find(|value| authserv_id(value).is_some_and(|id| id.eq_ignore_ascii_case(trusted_id)))
    else {
        return unknown;
    };

    let results = method_results(value);
    let result_of = |method: &str| {
        results
            .iter()
            .find(|(name, _)| name == method)
            .map(|(_, result)| result.as_str())
    };
    let verdict = match result_of("dmarc") {
        Some("pass") => AuthVerdict::Pass,
        Some("fail") => AuthVerdict::Fail,
        _ => {
            let others = [result_of("dkim"), result_of("spf")];
            if others.contains(&Some("pass")) {
                AuthVerdict::Pass
            } else if others
                .iter()
                .flatten()
                .any(|r| matches!(*r, "fail" | "softfail"))
            {
                AuthVerdict::Fail
            } else {
                AuthVerdict::None
            }
        }
    };
    SenderAuthentication {
        verdict,
        suspicious: result_of("dmarc") == Some("fail"),
    }
}

/// The authserv-id: the first token, before any version number and `;`.
fn authserv_id(value: &str) -> Option<&str> {
    let first = strip_comments_prefix(value).split(';').next()?.trim();
    first.split_whitespace().next()
}

/// `method=result` pairs after the authserv-id, lower-cased, comments and
/// properties ignored.
fn method_results(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .skip(1)
        .filter_map(|clause| {
            let clause = strip_comments_prefix(clause.trim());
            let (method, rest) = clause.split_once('=')?;
            let method = method.trim().split('/').next()?.trim().to_ascii_lowercase();
            let result = rest
                .trim()
                .split(|c: char| c.is_whitespace() || c == '(')
                .next()?
                .to_ascii_lowercase();
            Some((method, result))
        })
        .collect()
}

/// Leading `(comment)` groups carry no meaning for us.
fn strip_comments_prefix(mut text: &str) -> &str {
    while let Some(rest) = text.trim_start().strip_prefix('(') {
        text = rest.split_once(')').map_or("", |(_, after)| after);
    }
    text.trim_start()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(headers: &[&str], trusted: Option<&str>) -> SenderAuthentication {
        sender_authentication(
            headers
                .iter()
                .map(|value| ("Authentication-Results", *value)),
            trusted,
        )
    }

    #[test]
    fn trusted_dmarc_pass_and_fail() {
        let pass = verdict(
            &[
                "mx.desk.example; spf=pass smtp.mailfrom=a.org; dkim=pass header.d=a.org; dmarc=pass header.from=a.org",
            ],
            Some("mx.desk.example"),
        );
        assert_eq!(
            pass,
            SenderAuthentication {
                verdict: AuthVerdict::Pass,
                suspicious: false
            }
        );
        let fail = verdict(
            &["mx.desk.example 1; dmarc=fail (p=reject) header.from=a.org"],
            Some("MX.desk.example"),
        );
        assert_eq!(
            fail,
            SenderAuthentication {
                verdict: AuthVerdict::Fail,
                suspicious: true
            }
        );
    }

    #[test]
    fn untrusted_headers_are_ignored() {
        let forged = verdict(&["evil.example; dmarc=pass"], Some("mx.desk.example"));
        assert_eq!(forged.verdict, AuthVerdict::None);
        let unconfigured = verdict(&["mx.desk.example; dmarc=pass"], None);
        assert_eq!(unconfigured.verdict, AuthVerdict::None);
    }

    #[test]
    fn the_first_trusted_header_wins() {
        let result = verdict(
            &[
                "other.example; dmarc=pass",
                "mx.desk.example; dmarc=fail",
                "mx.desk.example; dmarc=pass",
            ],
            Some("mx.desk.example"),
        );
        assert_eq!(result.verdict, AuthVerdict::Fail);
    }

    #[test]
    fn without_dmarc_dkim_or_spf_decide() {
        let id = Some("mx.desk.example");
        assert_eq!(
            verdict(&["mx.desk.example; dkim=pass header.d=a.org"], id).verdict,
            AuthVerdict::Pass
        );
        assert_eq!(
            verdict(&["mx.desk.example; spf=softfail"], id).verdict,
            AuthVerdict::Fail
        );
        assert_eq!(
            verdict(&["mx.desk.example; none"], id).verdict,
            AuthVerdict::None
        );
        assert_eq!(
            verdict(&["mx.desk.example; dmarc=none; spf=none"], id).verdict,
            AuthVerdict::None
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        for value in ["", ";", "(((", "a; =; dmarc", "(c) mx; (x) dmarc=fail"] {
            let _ = verdict(&[value], Some("mx"));
        }
    }
}
