//! Cross-site request refusal for POSTs a browser sends on its own credentials (the session
//! cookie, or an SSO proxy's login). Browsers name the page a request comes from in `Origin`
//! and `Sec-Fetch-Site`; scripts and curl send neither and pass, as do bearer requests (a site
//! cannot make a browser send a bearer token).

use axum::http::{header, HeaderMap, Uri};

use crate::server::config::AuthConfig;

/// Why a request is refused as cross-site, or None when it may pass.
pub fn refusal(headers: &HeaderMap, uri: &Uri, cfg: &AuthConfig) -> Option<&'static str> {
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
    if fetch_site.is_some_and(|v| v.eq_ignore_ascii_case(b"cross-site")) {
        return Some("cross-site request refused (Sec-Fetch-Site: cross-site)");
    }
    let origin = headers.get(header::ORIGIN)?;
    let ours = our_authority(headers, uri, cfg);
    match (origin.to_str().ok().and_then(parse_origin), ours) {
        (Some((scheme, host, port)), Some(ours)) if (host.as_str(), port) == split_authority(&ours, scheme) => None,
        _ => Some("cross-site request refused (Origin names another origin)"),
    }
}

/// The host (and port) the client addressed: the `Host` header, or a trusted proxy's
/// `X-Forwarded-Host`, or the authority of an absolute request URI (HTTP/2).
fn our_authority(headers: &HeaderMap, uri: &Uri, cfg: &AuthConfig) -> Option<String> {
    let forwarded = cfg
        .trust_forwarded
        .then(|| headers.get("x-forwarded-host"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next());
    let host = forwarded.or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()));
    host.map(|h| h.trim().to_ascii_lowercase()).or_else(|| uri.authority().map(|a| a.as_str().to_ascii_lowercase()))
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

/// `scheme://host[:port]` → (scheme, host, port). "null" and other schemes are no origin of ours.
fn parse_origin(origin: &str) -> Option<(&'static str, String, u16)> {
    let origin = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = if let Some(r) = origin.strip_prefix("https://") {
        ("https", r)
    } else if let Some(r) = origin.strip_prefix("http://") {
        ("http", r)
    } else {
        return None;
    };
    if rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port) = split_authority(rest, scheme);
    Some((scheme, host.to_string(), port))
}

/// `host[:port]` with the scheme's default port filled in; IPv6 literals keep their brackets.
fn split_authority<'a>(authority: &'a str, scheme: &str) -> (&'a str, u16) {
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => match port.parse() {
            Ok(p) => (host, p),
            Err(_) => (authority, 0),
        },
        _ => (authority, default_port(scheme)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn check(pairs: &[(&'static str, &'static str)], cfg: &AuthConfig) -> Option<&'static str> {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        refusal(&h, &Uri::from_static("/login"), cfg)
    }

    #[test]
    fn same_origin_and_header_less_requests_pass() {
        let cfg = AuthConfig::default();
        assert_eq!(check(&[("host", "assay.example:3000"), ("origin", "http://assay.example:3000")], &cfg), None);
        assert_eq!(check(&[("host", "Assay.Example"), ("origin", "https://assay.example:443")], &cfg), None);
        assert_eq!(check(&[("host", "[::1]:3000"), ("origin", "http://[::1]:3000")], &cfg), None);
        assert_eq!(check(&[("host", "a.example"), ("sec-fetch-site", "same-origin")], &cfg), None);
        assert_eq!(check(&[("host", "a.example"), ("sec-fetch-site", "none")], &cfg), None);
        assert_eq!(check(&[("host", "a.example")], &cfg), None, "curl sends neither header");
    }

    #[test]
    fn another_origin_or_a_cross_site_fetch_is_refused() {
        let cfg = AuthConfig::default();
        for pairs in [
            &[("host", "assay.example"), ("origin", "http://evil.example")][..],
            &[("host", "assay.example:3000"), ("origin", "http://assay.example:3001")],
            &[("host", "assay.example"), ("origin", "null")],
            &[("host", "assay.example"), ("origin", "http://assay.example.evil.example")],
            &[("host", "assay.example"), ("origin", "http://assay.example@evil.example")],
            &[("host", "assay.example"), ("origin", "file://assay.example")],
            &[("host", "assay.example"), ("sec-fetch-site", "cross-site")],
            &[("origin", "http://assay.example")],
        ] {
            assert!(check(pairs, &cfg).is_some(), "{pairs:?}");
        }
    }

    #[test]
    fn a_forwarded_host_counts_only_when_trusted() {
        let pairs = [("host", "10.0.0.5:3000"), ("x-forwarded-host", "assay.example"), ("origin", "https://assay.example")];
        assert!(check(&pairs, &AuthConfig::default()).is_some());
        let cfg = AuthConfig { trust_forwarded: true, ..AuthConfig::default() };
        assert_eq!(check(&pairs, &cfg), None);
    }
}
