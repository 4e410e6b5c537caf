//! `/login`: sign in with a token (a plain form that works without JavaScript), and the top
//! bar's account corner. Both read the request on the server only — who is signed in is never
//! served by a server function — and hand what they saw to the browser with the page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::model::query::urlencode;

/// Why the last sign-in was refused, given by the server's `POST /login` when it renders
/// this page.
#[derive(Clone, Debug)]
pub struct SignInRefused(pub String);

/// The signed-in caller, as the top bar shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    /// Only a sign-in session can be ended here (a proxy's login belongs to the proxy).
    pub can_sign_out: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LoginState {
    required: bool,
    refused: Option<String>,
}

#[cfg(feature = "ssr")]
fn login_state() -> LoginState {
    use crate::server::{config::AuthMode, state::AppState};
    LoginState {
        required: use_context::<AppState>().is_some_and(|s| s.auth.mode == AuthMode::Required),
        refused: use_context::<SignInRefused>().map(|r| r.0),
    }
}

// In the browser the value comes from the server's render; this runs only if the browser
// routes to /login by itself.
#[cfg(not(feature = "ssr"))]
fn login_state() -> LoginState {
    LoginState { required: true, refused: None }
}

#[cfg(feature = "ssr")]
fn signed_in() -> Option<Account> {
    use crate::server::auth::{Caller, Via};
    let parts = use_context::<axum::http::request::Parts>()?;
    let caller = parts.extensions.get::<Caller>()?;
    Some(Account { name: caller.name.clone(), can_sign_out: caller.via == Via::Session })
}

#[cfg(not(feature = "ssr"))]
fn signed_in() -> Option<Account> {
    None
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let state = SharedValue::new(login_state).into_inner();
    let next = use_query_map().get_untracked().get("next");
    // The way back rides in the form's own URL, so a refused attempt keeps it.
    let action = match next {
        Some(n) if !n.is_empty() => format!("/login?next={}", urlencode(&n)),
        _ => "/login".to_string(),
    };
    view! {
        <Title text="Sign in · Assay"/>
        <section class="login">
            <h1>"Sign in"</h1>
            {state.refused.map(|m| view! { <p class="error" role="alert" data-testid="login-error">{m}</p> })}
            {if state.required {
                view! {
                    <form method="post" action=action class="login-form">
                        <label for="login-token">"Token"</label>
                        <input id="login-token" name="token" type="password" autocomplete="current-password" required=true autofocus=true/>
                        <button type="submit">"Sign in"</button>
                    </form>
                    <p class="muted">"Use an API token of read scope or more; an admin makes one with "
                        <code>"assay token create --name you --scope read"</code>"."</p>
                }.into_any()
            } else {
                view! { <p>"This server is open: every page can be read without signing in."</p> }.into_any()
            }}
        </section>
    }
}

/// Who is signed in and a Sign out button; nothing with `--auth open`.
#[component]
pub fn AccountMenu() -> impl IntoView {
    let account = SharedValue::new(signed_in).into_inner();
    account.map(|a| {
        view! {
            <div class="account" data-testid="account">
                <span class="muted">"Signed in as "<strong>{a.name}</strong></span>
                {a.can_sign_out.then(|| view! {
                    <form method="post" action="/logout"><button type="submit">"Sign out"</button></form>
                })}
            </div>
        }
    })
}
