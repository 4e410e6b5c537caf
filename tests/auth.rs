//! `--auth required` through the real router on both backends: the one gate (every route the
//! app serves is enumerated and refused without credentials), sign-in, sign-out, revocation,
//! expiry, bad cookies, cross-site refusal, the failed sign-in limit, the proxy header, and
//! `--auth open` unchanged.

mod common;

use std::net::SocketAddr;

use assay::server::config::{AuthConfig, AuthMode};
use assay::server::state::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderName, Method, Request, StatusCode};
use axum::Router;
use common::TestApp;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Seeded under a name no refusal may ever mention.
const SECRET_BENCH: &str = "hidden-bench-7f3a";

fn app_with(t: &TestApp, auth: AuthConfig) -> Router {
    let leptos_options = leptos::config::LeptosOptions::builder().output_name("assay").build();
    assay::server::app(AppState { store: t.store.clone(), auth, leptos_options, events: t.events.clone() })
}

fn required() -> AuthConfig {
    AuthMode::Required.into()
}

struct Res {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Res {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }
    fn cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A request from `peer`, with extra headers.
fn request(method: Method, path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let peer: SocketAddr = "192.0.2.10:5000".parse().unwrap();
    r.extension(ConnectInfo(peer)).body(body).unwrap()
}

async fn send(app: &Router, req: Request<Body>) -> Res {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    // A live event stream of a running run never ends: its head is the answer.
    if headers.get(header::CONTENT_TYPE).is_some_and(|v| v == "text/event-stream") {
        return Res { status, headers, body: String::new() };
    }
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Res { status, headers, body }
}

async fn get(app: &Router, path: &str, headers: &[(&str, &str)]) -> Res {
    send(app, request(Method::GET, path, headers, Body::empty())).await
}

/// `POST /login` with a form; `headers` may set Origin, the peer address and so on.
async fn post_login(app: &Router, path: &str, form: &str, headers: &[(&str, &str)]) -> Res {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(app, request(Method::POST, path, &all, Body::from(form.to_string()))).await
}

/// Sign in with `token`; the session cookie's `name=value`.
async fn sign_in(app: &Router, token: &str) -> String {
    let res = post_login(app, "/login", &format!("token={token}"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.cookies()[0].split(';').next().unwrap().to_string()
}

/// The path of the server function whose name starts with `name`.
fn server_fn(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .find(|p| p.strip_prefix("/api/").is_some_and(|n| n.starts_with(name)))
        .unwrap_or_else(|| panic!("no server function {name}"))
}

async fn sessions(t: &TestApp) -> Vec<(String, i64, i64, i64, i64)> {
    t.db
        .all("SELECT id_hash, token_id, created_at, last_seen_at, expires_at FROM sessions ORDER BY created_at", vec![])
        .await
        .unwrap()
}

/// Every route the app serves: the page routes, the server functions and the OpenAPI paths,
/// each with its method and concrete path parameters.
fn every_route(run_id: i64) -> Vec<(Method, String)> {
    let fill = |path: &str| {
        path.split('/')
            .map(|seg| match seg {
                "{id}" | "{a}" | "{b}" => run_id.to_string(),
                "{bench}" => SECRET_BENCH.to_string(),
                s if s.starts_with('{') => "x".to_string(),
                s => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut out = Vec::new();
    for listing in assay::server::route_list() {
        for m in listing.methods() {
            let method = match m {
                leptos_router::Method::Get => Method::GET,
                leptos_router::Method::Post => Method::POST,
                leptos_router::Method::Put => Method::PUT,
                leptos_router::Method::Delete => Method::DELETE,
                leptos_router::Method::Patch => Method::PATCH,
            };
            out.push((method, fill(listing.path())));
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        out.push((method, path.to_string()));
    }
    let doc = serde_json::to_value(assay::server::api::openapi()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if let Ok(m) = method.to_uppercase().parse::<Method>() {
                out.push((m, fill(path)));
            }
        }
    }
    out
}

async fn every_route_refuses_a_request_without_credentials(t: TestApp) {
    t.seed_bench(SECRET_BENCH, &["c1", "c2"]).await;
    let run = t.trigger(SECRET_BENCH, "production").await;
    let app = app_with(&t, required());
    let routes = every_route(run);
    let count = |pred: &dyn Fn(&str) -> bool| routes.iter().filter(|(_, p)| pred(p)).count();
    // The three lists are really there (an empty registry would make this test vacuous).
    assert!(count(&|p| p.starts_with("/runs")) >= 3 && count(&|p| p == "/login") == 1, "{routes:?}");
    assert!(routes.iter().any(|(_, p)| p == &server_fn("list_benches")));
    assert!(count(&|p| p.starts_with("/bench-runs/")) >= 3 && count(&|p| p.starts_with("/api/runs")) >= 8);
    assert_eq!(count(&|p| p == "/healthz" || p == "/readyz"), 2, "health routes are in the OpenAPI document");
    assert!(count(&|p| p.ends_with("/events")) >= 3, "the live event streams are listed: {routes:?}");
    for (method, path) in &routes {
        let res = send(&app, request(method.clone(), path, &[], Body::from("{}"))).await;
        let what = format!("{method} {path}: {} {}", res.status, res.body);
        assert!(!res.body.contains(SECRET_BENCH), "the refusal carries data: {what}");
        match path.as_str() {
            // Load balancers probe health without credentials; the database here is migrated.
            "/login" | "/api/openapi.json" | "/healthz" | "/readyz" => {
                assert_eq!(res.status, StatusCode::OK, "public: {what}")
            }
            p if p.starts_with("/api/") || p.starts_with("/bench-runs/") => {
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}");
                assert_eq!(res.json()["error"]["code"], "unauthorized", "{what}");
                assert!(res.header("www-authenticate").starts_with("Bearer"), "{what}");
            }
            p => {
                assert_eq!(res.status, StatusCode::SEE_OTHER, "{what}");
                assert_eq!(res.header("location"), format!("/login?next={}", assay::model::query::urlencode(p)));
                assert!(res.body.is_empty(), "{what}");
            }
        }
        // With a read token the same request passes the gate (a scope check may still refuse a write).
        let auth = format!("Bearer {}", t.read);
        let res = send(&app, request(method.clone(), path, &[("authorization", &auth)], Body::from("{}"))).await;
        let what = format!("{method} {path} with a read token: {} {:.200}", res.status, res.body);
        assert!(![StatusCode::UNAUTHORIZED, StatusCode::SEE_OTHER].contains(&res.status), "{what}");
        if method == Method::GET && [format!("/runs/{run}"), format!("/api/runs/{run}"), format!("/bench-runs/{run}")].contains(path) {
            assert_eq!(res.status, StatusCode::OK, "{what}");
        }
        if method == Method::GET && [format!("/api/runs/{run}/events"), format!("/bench-runs/{run}/events")].contains(path) {
            assert_eq!((res.status, res.header("content-type")), (StatusCode::OK, "text/event-stream"), "{what}");
        }
    }
}

async fn public_paths_cannot_be_bent_into_pages(t: TestApp) {
    t.seed_bench(SECRET_BENCH, &["c1"]).await;
    let run = t.trigger(SECRET_BENCH, "production").await;
    let app = app_with(&t, required());
    for path in [
        format!("/pkg/../runs/{run}"),
        format!("/pkg/%2e%2e/runs/{run}"),
        format!("/pkg/./../runs/{run}"),
        format!("/login/../runs/{run}"),
        format!("/api/openapi.json/../runs/{run}"),
        "/no/such/page".to_string(),
    ] {
        let res = get(&app, &path, &[]).await;
        assert!([StatusCode::SEE_OTHER, StatusCode::UNAUTHORIZED].contains(&res.status), "{path}: {}", res.body);
        assert!(!res.body.contains(SECRET_BENCH));
    }
    // Unknown assets are public 404s, never a page with data.
    let res = get(&app, "/pkg/nothing-here.js", &[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains(SECRET_BENCH));
    for path in ["/favicon.ico", "/healthz", "/readyz"] {
        let res = get(&app, path, &[]).await;
        assert!(![StatusCode::SEE_OTHER, StatusCode::UNAUTHORIZED].contains(&res.status), "{path} is public");
    }
}

async fn refusals_follow_the_path_not_the_accept_header(t: TestApp) {
    let app = app_with(&t, required());
    let res = get(&app, "/runs?status=completed&channel=canary", &[("accept", "application/json")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/login?next=%2Fruns%3Fstatus%3Dcompleted%26channel%3Dcanary");
    let res = get(&app, "/api/runs?limit=5", &[("accept", "text/html")]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("content-type"), "application/json");
    // A wrong bearer token is no credentials, on pages too.
    let res = get(&app, "/runs", &[("authorization", "Bearer assay_wrong")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // Pages take a bearer token, so curl and scripts can read them.
    let auth = format!("Bearer {}", t.read);
    let res = get(&app, "/runs", &[("authorization", &auth)]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("data-testid=\"account\""), "the top bar names the token");
}

async fn signing_in_sets_one_cookie_and_returns_to_the_deep_link(t: TestApp) {
    let app = app_with(&t, required());
    let login = get(&app, "/login?next=%2Fruns%3Fchannel%3Dcanary", &[]).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("name=\"token\""), "{}", login.body);
    assert!(login.body.contains("action=\"/login?next=%2Fruns%3Fchannel%3Dcanary\""), "the way back rides in the form");
    let form = format!("token={}", t.read);
    let res = post_login(&app, "/login?next=%2Fruns%3Fchannel%3Dcanary%26status%3Dcompleted", &form, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), "/runs?channel=canary&status=completed");
    let cookies = res.cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let parts: Vec<&str> = cookies[0].split("; ").collect();
    let value = parts[0].strip_prefix("assay_session=").unwrap();
    assert_eq!(value.len(), 64);
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(parts.contains(&attr), "{attr} in {parts:?}");
    }
    assert!(!parts.contains(&"Secure"), "plain http");
    // Stored hashed, tied to its token, 14 days out.
    let rows = sessions(&t).await;
    assert_eq!(rows.len(), 1);
    let (hash, token_id, created, seen, expires) = rows[0].clone();
    assert_eq!(hash, assay::server::hash::sha256_hex(value.as_bytes()));
    assert_ne!(hash, value);
    let read_id = t.store.list_tokens().await.unwrap().into_iter().find(|k| k.name == "test-read").unwrap().id;
    assert_eq!(token_id, read_id);
    assert_eq!((seen, expires - created), (created, 14 * 86_400_000));
    // The cookie opens pages, server functions and JSON reads.
    let cookie = parts[0].to_string();
    let page = get(&app, "/runs?channel=canary", &[("cookie", &cookie)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Signed in as <strong>test-read"), "{}", page.body);
    assert!(page.body.contains("action=\"/logout\""));
    let sf = send(&app, request(Method::POST, &server_fn("list_benches"), &[("cookie", &cookie)], Body::empty())).await;
    assert_eq!(sf.status, StatusCode::OK, "{}", sf.body);
    assert_eq!(get(&app, "/api/runs", &[("cookie", &cookie)]).await.status, StatusCode::OK);
    // …but never writes: those take a bearer token.
    let w = send(&app, request(Method::POST, "/api/runs", &[("cookie", &cookie), ("content-type", "application/json")], Body::from("{}"))).await;
    assert_eq!(w.status, StatusCode::UNAUTHORIZED);
    // Only a local path is ever followed.
    for next in ["%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil.example", "%2Flogin"] {
        let res = post_login(&app, &format!("/login?next={next}"), &form, &[]).await;
        assert_eq!(res.header("location"), "/", "{next}");
    }
    // `next` may also come in the form body.
    let res = post_login(&app, "/login", &format!("{form}&next=%2Fcompare%3Fa%3D1"), &[]).await;
    assert_eq!(res.header("location"), "/compare?a=1");
}

async fn a_wrong_token_answers_401_with_the_form_and_no_cookie(t: TestApp) {
    let app = app_with(&t, required());
    for form in ["token=assay_000000", "token=", "nothing=here", &format!("token={}", "x".repeat(5000))] {
        let res = post_login(&app, "/login?next=%2Fruns", form, &[]).await;
        assert!([StatusCode::UNAUTHORIZED, StatusCode::BAD_REQUEST].contains(&res.status), "{form:.30}: {}", res.status);
        assert!(res.cookies().is_empty(), "{form:.30}");
        assert!(res.body.contains("name=\"token\""), "the form again");
        assert!(res.body.contains("data-testid=\"login-error\""), "with a message");
        assert!(res.body.contains("action=\"/login?next=%2Fruns\""), "keeping the way back");
    }
    let res = post_login(&app, "/login", "token=assay_000000", &[]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("That token is unknown or revoked."));
    assert!(sessions(&t).await.is_empty());
}

async fn signing_out_ends_the_session(t: TestApp) {
    let app = app_with(&t, required());
    let cookie = sign_in(&app, &t.read).await;
    let other = sign_in(&app, &t.read).await;
    assert_eq!(sessions(&t).await.len(), 2);
    let res = send(&app, request(Method::POST, "/logout", &[("cookie", &cookie), ("origin", "http://assay.test"), ("host", "assay.test")], Body::empty())).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/login");
    assert_eq!(res.cookies(), vec!["assay_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax".to_string()]);
    assert_eq!(sessions(&t).await.len(), 1, "only this browser's session ended");
    let res = get(&app, "/runs", &[("cookie", &cookie)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.cookies()[0].starts_with("assay_session=; Max-Age=0"), "a dead cookie is cleared");
    assert_eq!(get(&app, "/runs", &[("cookie", &other)]).await.status, StatusCode::OK);
    // Without a session there is nothing to sign out of: off to sign in.
    let res = send(&app, request(Method::POST, "/logout", &[], Body::empty())).await;
    assert_eq!((res.status, res.header("location")), (StatusCode::SEE_OTHER, "/login"));
}

async fn revoking_a_token_ends_its_sessions_at_once(t: TestApp) {
    let app = app_with(&t, required());
    let (_, temp) = t.store.create_token("temp-reader", assay::server::store::Scope::Read).await.unwrap();
    let cookie = sign_in(&app, &temp).await;
    let kept = sign_in(&app, &t.read).await;
    assert_eq!(get(&app, "/", &[("cookie", &cookie)]).await.status, StatusCode::OK);
    assert_eq!(t.store.revoke_token("temp-reader").await.unwrap(), 1);
    assert_eq!(get(&app, "/", &[("cookie", &cookie)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, "/api/benches", &[("cookie", &cookie)]).await.status, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {temp}");
    assert_eq!(get(&app, "/", &[("authorization", &bearer)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, "/", &[("cookie", &kept)]).await.status, StatusCode::OK, "other tokens' sessions live on");
    // A revoked token opens no new session either; its dead sessions are swept at the next sign-in.
    let res = post_login(&app, "/login", &format!("token={temp}"), &[]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    sign_in(&app, &t.read).await;
    let temp_id = t.store.list_tokens().await.unwrap().into_iter().find(|k| k.name == "temp-reader").unwrap().id;
    assert!(sessions(&t).await.iter().all(|s| s.1 != temp_id));
}

async fn expired_malformed_and_oversized_cookies_are_no_credentials(t: TestApp) {
    let app = app_with(&t, required());
    let cookie = sign_in(&app, &t.read).await;
    let id = cookie.strip_prefix("assay_session=").unwrap().to_string();
    let hash = assay::server::hash::sha256_hex(id.as_bytes());
    let now = assay::server::time::now_ms();
    // Sliding: a session last seen over a minute ago is renewed, cookie and all.
    t.db
        .all::<(i64,)>(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3 RETURNING token_id",
            vec![(now - 120_000).into(), (now + 5_000).into(), hash.clone().into()],
        )
        .await
        .unwrap();
    let res = get(&app, "/", &[("cookie", &cookie)]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.cookies().len(), 1, "renewed cookie");
    assert!(res.cookies()[0].contains("Max-Age=1209600"));
    let (_, _, _, seen, expires) = sessions(&t).await.into_iter().find(|s| s.0 == hash).unwrap();
    assert!(seen >= now && expires >= now + 14 * 86_400_000 - 1_000, "slid to 14 days from now");
    // A fresh session is not rewritten on every request.
    assert!(get(&app, "/", &[("cookie", &cookie)]).await.cookies().is_empty());
    // Expired: no credentials.
    t.db
        .all::<(i64,)>("UPDATE sessions SET expires_at = $1 WHERE id_hash = $2 RETURNING token_id", vec![(now - 1).into(), hash.into()])
        .await
        .unwrap();
    let res = get(&app, "/runs", &[("cookie", &cookie)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, "/api/runs", &[("cookie", &cookie)]).await.status, StatusCode::UNAUTHORIZED);
    // Garbage of every shape is no credentials, never a 500.
    let big = format!("assay_session={}", "a".repeat(16_000));
    let unknown = format!("assay_session={}", "0".repeat(64));
    let upper = format!("assay_session={}", id.to_uppercase());
    for c in ["assay_session=", "assay_session=xyz", "assay_session", "=;;;=", big.as_str(), unknown.as_str(), upper.as_str()] {
        let res = get(&app, "/runs", &[("cookie", c)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{c:.40}");
        let res = get(&app, "/api/runs", &[("cookie", c)]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{c:.40}");
    }
    let raw = Request::builder()
        .uri("/runs")
        .header("cookie", axum::http::HeaderValue::from_bytes(b"assay_session=\xff\xfe").unwrap())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, raw).await.status, StatusCode::SEE_OTHER);
}

async fn cookie_posts_from_another_site_are_refused(t: TestApp) {
    let app = app_with(&t, required());
    let cookie = sign_in(&app, &t.read).await;
    let sf = server_fn("list_benches");
    let post = |headers: Vec<(&'static str, String)>, path: String| {
        let app = app.clone();
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(&app, request(Method::POST, &path, &h, Body::empty())).await
        }
    };
    let host = ("host", "assay.test:3000".to_string());
    let c = ("cookie", cookie.clone());
    for refused in [
        vec![c.clone(), host.clone(), ("origin", "http://evil.example".into())],
        vec![c.clone(), host.clone(), ("origin", "null".into())],
        vec![c.clone(), host.clone(), ("sec-fetch-site", "cross-site".into())],
        vec![c.clone(), host.clone(), ("origin", "http://assay.test:3001".into())],
    ] {
        let res = post(refused.clone(), sf.clone()).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{refused:?}");
        assert_eq!(res.json()["error"]["code"], "forbidden");
        assert!(!res.body.contains("benches"));
    }
    for allowed in [
        vec![c.clone(), host.clone(), ("origin", "http://assay.test:3000".into()), ("sec-fetch-site", "same-origin".into())],
        vec![c.clone(), host.clone()],
    ] {
        assert_eq!(post(allowed.clone(), sf.clone()).await.status, StatusCode::OK, "{allowed:?}");
    }
    // Bearer requests are not affected.
    let bearer = ("authorization", format!("Bearer {}", t.read));
    let res = post(vec![bearer, host.clone(), ("origin", "http://evil.example".into())], sf.clone()).await;
    assert_eq!(res.status, StatusCode::OK);
    // Sign-in and sign-out from another site: refused, and the session lives on.
    let res = post(vec![host.clone(), ("origin", "http://evil.example".into())], "/login".into()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = post(vec![c.clone(), host.clone(), ("sec-fetch-site", "cross-site".into())], "/logout".into()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(sessions(&t).await.len(), 1);
    assert_eq!(get(&app, "/", &[("cookie", &cookie)]).await.status, StatusCode::OK);
}

async fn many_failed_sign_ins_from_one_address_answer_429(t: TestApp) {
    let app = app_with(&t, required());
    let from = |ip: &str| {
        let peer: SocketAddr = format!("{ip}:4000").parse().unwrap();
        peer
    };
    let attempt = |token: String, peer: SocketAddr| {
        let app = app.clone();
        async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .extension(ConnectInfo(peer))
                .body(Body::from(format!("token={token}")))
                .unwrap();
            send(&app, req).await
        }
    };
    let attacker = from("198.51.100.7");
    for i in 0..10 {
        let res = attempt(format!("assay_guess{i}"), attacker).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
    }
    let res = attempt("assay_guess10".into(), attacker).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.header("retry-after"), "60");
    assert!(res.body.contains("Too many failed sign-ins"));
    // Blocked means blocked: even the right token gets no session.
    let res = attempt(t.read.clone(), attacker).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.cookies().is_empty());
    // Another address signs in as usual.
    let res = attempt(t.read.clone(), from("203.0.113.9")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(sessions(&t).await.len(), 1);
}

async fn a_trusted_proxy_header_names_a_reader(t: TestApp) {
    let plain = app_with(&t, required());
    let res = get(&plain, "/runs", &[("x-forwarded-user", "mallory")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "not trusted unless configured");
    let cfg = AuthConfig { trust_proxy_header: Some(HeaderName::from_static("x-forwarded-user")), ..required() };
    let app = app_with(&t, cfg);
    let res = get(&app, "/runs", &[("x-forwarded-user", "ana@example.com")]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Signed in as <strong>ana@example.com"));
    assert!(!res.body.contains("action=\"/logout\""), "the proxy owns that login");
    let sf = send(&app, request(Method::POST, &server_fn("list_benches"), &[("x-forwarded-user", "ana")], Body::empty())).await;
    assert_eq!(sf.status, StatusCode::OK);
    // A reader only: writes still need a bearer token of write scope.
    let w = send(
        &app,
        request(Method::PUT, "/api/benches/b", &[("x-forwarded-user", "ana"), ("content-type", "application/json")], Body::from("{}")),
    )
    .await;
    assert_eq!(w.status, StatusCode::UNAUTHORIZED);
    // An empty header names nobody; a proxy login is a browser's, so cross-site POSTs are refused.
    assert_eq!(get(&app, "/runs", &[("x-forwarded-user", " ")]).await.status, StatusCode::SEE_OTHER);
    let x = send(
        &app,
        request(Method::POST, &server_fn("list_benches"), &[("x-forwarded-user", "ana"), ("sec-fetch-site", "cross-site")], Body::empty()),
    )
    .await;
    assert_eq!(x.status, StatusCode::FORBIDDEN);
}

async fn the_cookie_is_secure_over_https(t: TestApp) {
    let form = format!("token={}", t.read);
    let secure = app_with(&t, AuthConfig { secure_cookies: true, ..required() });
    assert!(post_login(&secure, "/login", &form, &[]).await.cookies()[0].ends_with("; Secure"));
    let plain = app_with(&t, required());
    let res = post_login(&plain, "/login", &form, &[("x-forwarded-proto", "https")]).await;
    assert!(!res.cookies()[0].contains("Secure"), "an untrusted header changes nothing");
    let proxied = app_with(&t, AuthConfig { trust_forwarded: true, ..required() });
    assert!(post_login(&proxied, "/login", &form, &[("x-forwarded-proto", "https")]).await.cookies()[0].ends_with("; Secure"));
    assert!(!post_login(&proxied, "/login", &form, &[("x-forwarded-proto", "http")]).await.cookies()[0].contains("Secure"));
}

async fn open_mode_is_unchanged(t: TestApp) {
    t.seed_bench("open-bench", &["c1"]).await;
    let app = app_with(&t, AuthMode::Open.into());
    let page = get(&app, "/runs", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("data-testid=\"account\""), "nobody to name");
    let sf = send(&app, request(Method::POST, &server_fn("list_benches"), &[("origin", "http://elsewhere.example")], Body::empty())).await;
    assert_eq!(sf.status, StatusCode::OK);
    assert!(sf.body.contains("open-bench"));
    assert_eq!(get(&app, "/api/benches", &[]).await.status, StatusCode::OK);
    let login = get(&app, "/login", &[]).await;
    assert!(login.body.contains("This server is open"));
    // Writes still need a token.
    let (s, _) = t.send(Method::PUT, "/api/benches/x", None, Some(json!({"workflow": "wf"}).to_string().into_bytes())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

on_both_backends!(
    every_route_refuses_a_request_without_credentials,
    public_paths_cannot_be_bent_into_pages,
    refusals_follow_the_path_not_the_accept_header,
    signing_in_sets_one_cookie_and_returns_to_the_deep_link,
    a_wrong_token_answers_401_with_the_form_and_no_cookie,
    signing_out_ends_the_session,
    revoking_a_token_ends_its_sessions_at_once,
    expired_malformed_and_oversized_cookies_are_no_credentials,
    cookie_posts_from_another_site_are_refused,
    many_failed_sign_ins_from_one_address_answer_429,
    a_trusted_proxy_header_names_a_reader,
    the_cookie_is_secure_over_https,
    open_mode_is_unchanged,
);
