//! The `assay_session` cookie: read from `Cookie` headers, written as `Set-Cookie`. The value
//! is always our own 64 hex digits, so nothing here needs quoting or decoding; anything else a
//! client sends under that name is simply no session.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::server::config::AuthConfig;
use crate::server::store::is_session_id;

pub const NAME: &str = "assay_session";

/// What the request's cookies say about a session.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    None,
    /// A well-formed id (it may still name no live session).
    Id(&'a str),
    /// A cookie of our name that cannot be a session id (garbage, oversized, truncated).
    Malformed,
}

/// The first well-formed `assay_session` among the request's `Cookie` headers.
pub fn presented(headers: &HeaderMap) -> Presented<'_> {
    let mut seen = false;
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else {
            // Not text at all: if it was ours, it was malformed.
            seen |= value.as_bytes().windows(NAME.len()).any(|w| w == NAME.as_bytes());
            continue;
        };
        for pair in value.split(';') {
            let Some((name, v)) = pair.trim().split_once('=') else { continue };
            if name.trim() == NAME {
                let v = v.trim().trim_matches('"');
                if is_session_id(v) {
                    return Presented::Id(v);
                }
                seen = true;
            }
        }
    }
    if seen {
        Presented::Malformed
    } else {
        Presented::None
    }
}

/// True when the browser reached us over https: `--secure-cookies`, or a trusted proxy's
/// `X-Forwarded-Proto: https`.
pub fn secure(headers: &HeaderMap, cfg: &AuthConfig) -> bool {
    cfg.secure_cookies
        || (cfg.trust_forwarded
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
}

fn attributes(secure: bool) -> &'static str {
    if secure {
        "Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "Path=/; HttpOnly; SameSite=Lax"
    }
}

/// `Set-Cookie` for a session that lives `max_age_s` seconds past now.
pub fn set(id: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    HeaderValue::from_str(&format!("{NAME}={id}; Max-Age={max_age_s}; {}", attributes(secure)))
        .expect("hex id and fixed attributes are a valid header value")
}

/// `Set-Cookie` that makes the browser forget the session cookie.
pub fn clear(secure: bool) -> HeaderValue {
    HeaderValue::from_str(&format!("{NAME}=; Max-Age=0; {}", attributes(secure))).expect("fixed text")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, HeaderValue::from_bytes(c).unwrap());
        }
        h
    }

    #[test]
    fn finds_a_well_formed_session_among_other_cookies() {
        let id = "ab".repeat(32);
        let h = headers(&[format!("theme=dark; {NAME}={id}; x=1").as_bytes()]);
        assert_eq!(presented(&h), Presented::Id(&id));
        // A garbage duplicate before the real one does not hide it; a second header is read too.
        let h = headers(&[format!("{NAME}=nope").as_bytes(), format!("{NAME}={id}").as_bytes()]);
        assert_eq!(presented(&h), Presented::Id(&id));
    }

    #[test]
    fn anything_else_under_our_name_is_malformed_and_other_names_are_nothing() {
        for bad in [
            format!("{NAME}="),
            format!("{NAME}={}", "ab".repeat(31)),
            format!("{NAME}={}", "AB".repeat(32)),
            format!("{NAME}={}", "a".repeat(10_000)),
            format!("{NAME}=../../etc"),
        ] {
            assert_eq!(presented(&headers(&[bad.as_bytes()])), Presented::Malformed, "{bad:.40}");
        }
        assert_eq!(presented(&headers(&[b"assay_session=\xff\xfe"])), Presented::Malformed);
        assert_eq!(presented(&headers(&[b"other=1; assay_sessionx=2"])), Presented::None);
        assert_eq!(presented(&HeaderMap::new()), Presented::None);
    }

    #[test]
    fn set_cookie_carries_the_attributes_and_secure_only_over_https() {
        let id = "0f".repeat(32);
        let v = set(&id, 1_209_600, false);
        assert_eq!(v, format!("assay_session={id}; Max-Age=1209600; Path=/; HttpOnly; SameSite=Lax").as_str());
        assert!(set(&id, 1, true).to_str().unwrap().ends_with("; Secure"));
        assert_eq!(clear(false), "assay_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn forwarded_proto_counts_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let mut cfg = AuthConfig::default();
        assert!(!secure(&h, &cfg), "an untrusted client could claim https");
        cfg.trust_forwarded = true;
        assert!(secure(&h, &cfg));
        assert!(!secure(&HeaderMap::new(), &cfg));
        cfg.trust_forwarded = false;
        cfg.secure_cookies = true;
        assert!(secure(&HeaderMap::new(), &cfg));
    }
}
