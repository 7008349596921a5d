//! The sender-authentication verdict from `Authentication-Results` (RFC 8601).
//! Only the header our own receiving server stamped counts: anyone can write
//! such a header, naming any server, into a message before sending it.
//!
//! Our MTA adds its header last, above every other (RFC 5322 trace fields
//! are prepended), and must remove any that arrive with its authserv-id
//! (RFC 8601 §5). So the topmost `Authentication-Results` is the only one
//! that can be ours; one further down is a sender's or another hop's, even
//! when it names our id, and a topmost one naming another server means ours
//! added none (a filter skipped the message, a gateway in front of the HTTP
//! door): no verdict.

pub use crate::domain::AuthVerdict;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderAuthentication {
    pub verdict: AuthVerdict,
    /// `dmarc=fail`: shown to editors as suspicious, never dropped.
    pub suspicious: bool,
}

/// Reads the topmost `Authentication-Results` header, when its authserv-id
/// is `trusted_id`, for mail whose `From:` address is in `from_domain`;
/// `headers` are in the message's order, top first.
///
/// A pass means the sender is who the `From:` line says: DMARC passed, or,
/// where DMARC gave no verdict, DKIM or SPF passed for the `From:` domain
/// itself (aligned). A DKIM signature or an SPF pass for some other domain
/// proves nothing about the `From:` line: anyone can sign their own domain.
/// A failure with no aligned pass is a fail.
pub fn sender_authentication<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    trusted_id: Option<&str>,
    from_domain: &str,
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
        .find(|(name, _)| name.eq_ignore_ascii_case("authentication-results"))
        .map(|(_, value)| value)
        .filter(|value| authserv_id(value).is_some_and(|id| id.eq_ignore_ascii_case(trusted_id)))
    else {
        return unknown;
    };

    let results = method_results(value);
    let dmarc = results
        .iter()
        .find(|result| result.method == "dmarc")
        .map(|result| result.result.as_str());
    let aligned_pass = results.iter().any(|result| {
        result.result == "pass"
            && result
                .domain()
                .is_some_and(|domain| aligned(domain, from_domain))
    });
    let any_failure = results.iter().any(|result| {
        matches!(result.method.as_str(), "dkim" | "spf")
            && matches!(result.result.as_str(), "fail" | "softfail")
    });
    let verdict = match dmarc {
        Some("pass") => AuthVerdict::Pass,
        Some("fail") => AuthVerdict::Fail,
        _ if aligned_pass => AuthVerdict::Pass,
        _ if any_failure => AuthVerdict::Fail,
        _ => AuthVerdict::None,
    };
    SenderAuthentication {
        verdict,
        suspicious: dmarc == Some("fail"),
    }
}

/// Relaxed alignment (RFC 7489 3.1): the same domain, or one inside the
/// other (`mail.example.org` signing for `example.org`). Taking a parent
/// domain as the organisational one needs no public-suffix list here: no
/// one can make DKIM or SPF pass for `co.uk` itself.
fn aligned(domain: &str, from_domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let from_domain = from_domain.trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() || from_domain.is_empty() {
        return false;
    }
    domain == from_domain
        || from_domain.ends_with(&format!(".{domain}"))
        || domain.ends_with(&format!(".{from_domain}"))
}

/// The authserv-id: the first token, before any version number and `;`.
fn authserv_id(value: &str) -> Option<&str> {
    let first = strip_comments_prefix(value).split(';').next()?.trim();
    first.split_whitespace().next()
}

/// One `method=result` clause, with the properties that name the domain it
/// speaks for.
#[derive(Debug)]
struct MethodResult {
    method: String,
    result: String,
    properties: Vec<(String, String)>,
}

impl MethodResult {
    /// The domain a DKIM or SPF result is about: `header.d` (or the domain of
    /// `header.i`) for DKIM, the domain of `smtp.mailfrom` for SPF.
    fn domain(&self) -> Option<&str> {
        let property = |name: &str| {
            self.properties
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        match self.method.as_str() {
            "dkim" => property("header.d").or_else(|| {
                property("header.i").and_then(|value| value.rsplit_once('@').map(|(_, d)| d))
            }),
            "spf" => {
                property("smtp.mailfrom").map(|value| value.rsplit('@').next().unwrap_or(value))
            }
            _ => None,
        }
    }
}

/// The clauses after the authserv-id, lower-cased, comments ignored.
fn method_results(value: &str) -> Vec<MethodResult> {
    value
        .split(';')
        .skip(1)
        .filter_map(|clause| {
            let clause = strip_comments_prefix(clause.trim());
            let (method, rest) = clause.split_once('=')?;
            let method = method.trim().split('/').next()?.trim().to_ascii_lowercase();
            let mut words = rest.split_whitespace();
            let result = words.next()?.split('(').next()?.to_ascii_lowercase();
            let properties = words
                .filter(|word| !word.starts_with('('))
                .filter_map(|word| word.split_once('='))
                .map(|(key, value)| {
                    (
                        key.to_ascii_lowercase(),
                        value.trim_matches('"').to_ascii_lowercase(),
                    )
                })
                .collect();
            Some(MethodResult {
                method,
                result,
                properties,
            })
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
            "a.org",
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
    fn only_the_topmost_header_counts() {
        let id = Some("mx.desk.example");
        let ours_on_top = verdict(
            &["mx.desk.example; dmarc=fail", "mx.desk.example; dmarc=pass"],
            id,
        );
        assert_eq!(ours_on_top.verdict, AuthVerdict::Fail);
        // Ours added none: what a sender wrote below another hop's header
        // names our id in vain.
        let forged_below = verdict(
            &["other.example; dmarc=pass", "mx.desk.example; dmarc=pass"],
            id,
        );
        assert_eq!(forged_below.verdict, AuthVerdict::None);
        assert!(!forged_below.suspicious);
        let forged_fail_below =
            verdict(&["other.example; none", "mx.desk.example; dmarc=fail"], id);
        assert_eq!(forged_fail_below.verdict, AuthVerdict::None);
        assert!(!forged_fail_below.suspicious);
    }

    #[test]
    fn other_headers_above_ours_do_not_matter() {
        let result = sender_authentication(
            [
                ("Received", "from mx.desk.example by oped"),
                ("authentication-results", "mx.desk.example; dmarc=pass"),
                ("Received", "from sender.example"),
                ("Authentication-Results", "mx.desk.example; dmarc=fail"),
            ],
            Some("mx.desk.example"),
            "a.org",
        );
        assert_eq!(result.verdict, AuthVerdict::Pass);
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
    fn a_pass_for_another_domain_is_no_pass() {
        let id = Some("mx.desk.example");
        let unaligned = [
            "mx.desk.example; dkim=pass header.d=attacker.example",
            "mx.desk.example; spf=pass smtp.mailfrom=bounce@attacker.example",
            "mx.desk.example; dkim=pass header.i=@attacker.example",
            "mx.desk.example; dkim=pass",
            "mx.desk.example; dkim=pass header.d=nota.org",
            "mx.desk.example; dmarc=none; dkim=pass header.d=attacker.example; spf=fail smtp.mailfrom=a.org",
        ];
        for header in unaligned {
            assert_ne!(
                verdict(&[header], id).verdict,
                AuthVerdict::Pass,
                "{header}"
            );
        }
        let aligned = [
            "mx.desk.example; spf=pass smtp.mailfrom=amal@a.org",
            "mx.desk.example; dkim=pass (good signature) header.d=mail.a.org",
            "mx.desk.example; dkim=pass header.i=\"@A.ORG\"",
            "mx.desk.example; dkim=pass header.d=attacker.example; dkim=pass header.d=a.org",
        ];
        for header in aligned {
            assert_eq!(
                verdict(&[header], id).verdict,
                AuthVerdict::Pass,
                "{header}"
            );
        }
    }

    #[test]
    fn dmarc_fail_outweighs_any_dkim_or_spf_pass() {
        let forged = verdict(
            &["mx.desk.example; dmarc=fail header.from=a.org; dkim=pass header.d=a.org"],
            Some("mx.desk.example"),
        );
        assert_eq!(forged.verdict, AuthVerdict::Fail);
        assert!(forged.suspicious);
    }

    #[test]
    fn garbage_does_not_panic() {
        for value in ["", ";", "(((", "a; =; dmarc", "(c) mx; (x) dmarc=fail"] {
            let _ = verdict(&[value], Some("mx"));
        }
    }
}
