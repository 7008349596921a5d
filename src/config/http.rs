//! Where `oped serve` listens, and whom it believes: browsers' origins,
//! reverse proxies, metrics scrapers.

use std::net::SocketAddr;

use super::Reader;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `OPED_BIND` (default `127.0.0.1:8080`): where `oped serve` listens.
    pub bind: SocketAddr,
    /// `OPED_CORS_ORIGINS`: comma-separated origins (`https://news.example`)
    /// whose pages may call the API from a browser: the editors' front end,
    /// the site. Empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// `OPED_TRUSTED_PROXIES`: comma-separated addresses or networks
    /// (`10.0.0.5`, `10.1.0.0/16`) of the reverse proxies in front of the
    /// service. Only a request from one of them has its `X-Forwarded-For`
    /// read, for the client's address; anyone else could write that header.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Who may read `GET /metrics`: `OPED_METRICS_TOKEN` (a bearer secret,
    /// at least 32 random characters) and `OPED_METRICS_ALLOW` (addresses or
    /// networks, judged by the TCP peer, never by `X-Forwarded-For`).
    /// Neither set: nobody.
    pub metrics_token: Option<Secret<String>>,
    pub metrics_allow: Vec<ipnet::IpNet>,
}

const NOT_A_NETWORK: &str = "is neither an address nor a network such as 10.1.0.0/16";

pub(super) fn read(read: &mut Reader) -> HttpConfig {
    let bind = read
        .parsed("OPED_BIND", |value| {
            value
                .parse()
                .map_err(|_| "is not an address:port such as 127.0.0.1:8080".to_string())
        })
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
    HttpConfig {
        bind,
        cors_origins: read.list(
            "OPED_CORS_ORIGINS",
            origin,
            "is not an origin such as https://news.example",
        ),
        trusted_proxies: read.list("OPED_TRUSTED_PROXIES", network, NOT_A_NETWORK),
        metrics_token: read.signing_key("OPED_METRICS_TOKEN"),
        metrics_allow: read.list("OPED_METRICS_ALLOW", network, NOT_A_NETWORK),
    }
}

/// An address (a host) or a network in CIDR notation.
fn network(entry: &str) -> Option<ipnet::IpNet> {
    entry.parse::<ipnet::IpNet>().ok().or_else(|| {
        entry
            .parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

/// An origin as browsers send it, scheme and host (and port), nothing else.
fn origin(entry: &str) -> Option<String> {
    let origin = entry.trim_end_matches('/');
    url::Url::parse(origin)
        .ok()
        .filter(|url| {
            matches!(url.scheme(), "http" | "https")
                && url.has_host()
                && url.origin().ascii_serialization() == origin
        })
        .map(|_| origin.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert!(config(&[]).unwrap().http.trusted_proxies.is_empty());
        let read = config(&[("OPED_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,::1")]).unwrap();
        let proxies: Vec<String> = read
            .http
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(proxies, ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]);
        let err = config(&[("OPED_TRUSTED_PROXIES", "proxy.example")]).unwrap_err();
        assert!(err.to_string().contains("OPED_TRUSTED_PROXIES"));
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        assert!(config(&[]).unwrap().http.cors_origins.is_empty());
        let read = config(&[(
            "OPED_CORS_ORIGINS",
            "https://news.example, http://localhost:5173/",
        )])
        .unwrap();
        assert_eq!(
            read.http.cors_origins,
            ["https://news.example", "http://localhost:5173"]
        );
        let err = config(&[("OPED_CORS_ORIGINS", "https://news.example/path,*")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("/path") && err.contains("\"*\""), "{err}");
    }

    #[test]
    fn metrics_need_a_strong_token_not_echoed() {
        let err = config(&[
            ("OPED_METRICS_TOKEN", "letmein"),
            ("OPED_METRICS_ALLOW", "10.0.0.0/8, prometheus"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
        assert!(err.to_string().contains("OPED_METRICS_TOKEN is too weak"));
        assert!(!err.to_string().contains("letmein"));
    }
}
