//! A company admin's sign-in (DESIGN §3, §7): the pages at `/sign-in`.
//!
//! The operator issues a one-time link (`/sign-in?link=signin_…`, valid 15 minutes; the admin
//! API's `sign-in-links`). Opening it shows a confirmation page and uses nothing, so a mail
//! scanner that fetches links cannot spend it. The page's form POSTs the link back (same origin
//! only), and that exchange claims the link and creates a session in one batch: the answer sets
//! the session cookie (`plumbing::session`). A link opened from another site (an email, the
//! survey product) therefore still ends signed in: the POST comes from this origin's own page,
//! so the `SameSite=Strict` cookie it sets is sent from then on. A successful exchange answers
//! `303 See Other` to the console (`/console/`, the worker's static assets). A used, expired or
//! unknown link answers a page that says which. Both requests are throttled per client address before any
//! database access (`throttle_counts`).
//!
//! Pages carry no script and no style of their own (they link the console's stylesheet), a
//! Content-Security-Policy that allows nothing else, `Referrer-Policy: same-origin` (the link
//! is in the URL: it goes to no other site) and `no-store`. Not `no-referrer`: under it a
//! browser sends the form's POST with `Origin: null`, which the same-origin check must refuse,
//! so no one could sign in (the console's browser test found it).

use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::credential::SIGN_IN_LINK;
use crate::app::plumbing::ids::prefixed_id;
use crate::app::plumbing::respond::{set, with_status};
use crate::app::plumbing::session::{
    genuine_link, genuine_shard, issue_session, same_origin, session_set_cookie, SESSION_HOURS,
};
use crate::app::plumbing::throttle::{Count, Limiter};
use crate::app::plumbing::{query, Request, Response};
use crate::store::admins::{self as sql, Exchange, LinkState};
use crate::store::{Batch, Consistency, Store};
use http::{header, Method};

/// The path of the sign-in pages.
pub const PATH: &str = crate::app::plumbing::routes::SIGN_IN_PATH;
/// Where a signed-in admin goes next: the console (DESIGN §7).
pub const CONSOLE: &str = "/console/";
/// The console's stylesheet (a static asset), which these pages share.
const STYLE: &str = "/console/console.css";

/// What the edge's rate limiter counts for a sign-in request: every one, per client address.
pub fn counts(req: &Request) -> Vec<Count> {
    vec![Count::per_address(Limiter::FailedCredential, "signin", req)]
}

/// The answer to a throttled sign-in.
pub fn throttled(retry_after: u32) -> Response {
    let mut r = page(
        429,
        "Too many attempts",
        &format!(
            "Too many sign-in attempts from your network. Try again in {retry_after} seconds."
        ),
    );
    crate::app::plumbing::respond::retry_after(&mut r, retry_after);
    r
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page: `title` and `body` are text (escaped here) unless `html` is given.
fn page_html(status: u16, title: &str, html: &str) -> Response {
    let doc = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · scim-edge</title><link rel=\"stylesheet\" href=\"{STYLE}\"></head>\n\
         <body><main><h1>{}</h1>\n{html}\n</main></body></html>\n",
        escape(title),
        escape(title)
    );
    let mut r = with_status(status, doc);
    set(&mut r, header::CONTENT_TYPE, "text/html; charset=utf-8");
    set(
        &mut r,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(&mut r, header::REFERRER_POLICY, "same-origin");
    set(&mut r, header::CACHE_CONTROL, "no-store");
    set(&mut r, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(&mut r, header::X_FRAME_OPTIONS, "DENY");
    r
}

fn page(status: u16, title: &str, text: &str) -> Response {
    page_html(status, title, &format!("<p>{}</p>", escape(text)))
}

fn ask_again() -> &'static str {
    "Ask for a new sign-in link from where you got this one."
}

/// The page for a link that cannot be used.
fn unusable(state: LinkState) -> Response {
    match state {
        LinkState::Used => page(
            410,
            "Link already used",
            &format!(
                "This sign-in link has already been used: each link signs in once. {}",
                ask_again()
            ),
        ),
        LinkState::Expired => page(
            410,
            "Link expired",
            &format!(
                "This sign-in link has expired: links are valid for 15 minutes. {}",
                ask_again()
            ),
        ),
        LinkState::Orphaned => page(
            410,
            "Company removed",
            "The company this link was for no longer exists here.",
        ),
        LinkState::Unknown | LinkState::Usable => page(
            400,
            "Link not valid",
            &format!(
                "This is not a valid sign-in link (perhaps it was cut short when copied). {}",
                ask_again()
            ),
        ),
    }
}

pub async fn handle<S: Store>(req: Request, store: &S, ctx: &mut Ctx<'_>) -> Response {
    match *req.method() {
        Method::GET | Method::HEAD => confirm(&req, store, ctx).await,
        Method::POST => exchange(&req, store, ctx).await,
        _ => {
            let mut r = page(405, "Not allowed", "Open the sign-in link in your browser.");
            set(&mut r, header::ALLOW, "GET, HEAD, POST");
            r
        }
    }
}

fn not_configured(ctx: &mut Ctx<'_>) -> Response {
    ctx.log
        .push("sign-in: CREDENTIAL_SECRET is not usable: no sign-in link can be checked".into());
    page(
        503,
        "Sign-in unavailable",
        "Sign-in is not configured on this deployment.",
    )
}

fn failed(ctx: &mut Ctx<'_>, e: impl std::fmt::Display) -> Response {
    ctx.log.push(format!("sign-in: {e}"));
    page(
        503,
        "Sign-in unavailable",
        "Sign-in is unavailable for a moment. Try again shortly.",
    )
}

/// `GET /sign-in?link=…`: the confirmation page (nothing is used).
async fn confirm<S: Store>(req: &Request, store: &S, ctx: &mut Ctx<'_>) -> Response {
    let params = query::pairs(req.uri().query());
    let Some(link) = query::get(&params, "link") else {
        return unusable(LinkState::Unknown);
    };
    let Ok(key) = ctx.config.credential_key() else {
        return not_configured(ctx);
    };
    let Some(hash) = genuine_link(link, key) else {
        return unusable(LinkState::Unknown);
    };
    let mut batch = Batch::new();
    let state = batch.read(sql::link_state(&hash, ctx.now));
    let state = match batch.run(store, Consistency::Primary).await {
        Ok(mut r) => match r.take(state) {
            Ok(s) => s,
            Err(e) => return failed(ctx, e),
        },
        Err(e) => return failed(ctx, e),
    };
    if state != LinkState::Usable {
        return unusable(state);
    }
    page_html(
        200,
        "Sign in",
        &format!(
            "<p>Sign in to manage your company's employee provisioning.</p>\n\
             <form method=\"post\" action=\"{PATH}\">\
             <input type=\"hidden\" name=\"link\" value=\"{}\">\
             <button type=\"submit\">Sign in</button></form>",
            escape(link)
        ),
    )
}

/// `POST /sign-in` (`link=…`, form-encoded, from this origin's page): the exchange.
async fn exchange<S: Store>(req: &Request, store: &S, ctx: &mut Ctx<'_>) -> Response {
    if !same_origin(req) {
        return page(
            403,
            "Sign-in refused",
            "This sign-in did not come from this site's own page. Open your sign-in link again.",
        );
    }
    let body = match req.body() {
        crate::app::plumbing::Body::Complete(b) => String::from_utf8_lossy(b).into_owned(),
        crate::app::plumbing::Body::TooLarge => return unusable(LinkState::Unknown),
    };
    let params = query::pairs(Some(&body));
    let Some(link) = query::get(&params, "link").map(str::to_string) else {
        return unusable(LinkState::Unknown);
    };
    let Ok(key) = ctx.config.credential_key() else {
        return not_configured(ctx);
    };
    let Some(link_hash) = genuine_link(&link, key) else {
        return unusable(LinkState::Unknown);
    };
    // The session lives where the link's tenant does: the link's shard (checked above).
    let shard = genuine_shard(SIGN_IN_LINK, &link, key).unwrap_or(0);
    let (session, session_id) = match (
        issue_session(key, shard, ctx.random),
        prefixed_id("ses", ctx.random),
    ) {
        (Ok(s), Ok(id)) => (s, id),
        (Err(e), _) | (_, Err(e)) => return failed(ctx, e),
    };
    let expires_at = ctx.now.add_millis(SESSION_HOURS * 3_600_000);
    let mut batch = Batch::new();
    batch.write_all(sql::exchange(&Exchange {
        link: &link_hash,
        session_id: &session_id,
        session: &session.hash,
        now: ctx.now,
        expires_at,
    }));
    batch.write(sql::audit_sign_in(&session_id, ctx.now, &ctx.request_id));
    let created = batch.read(sql::session_by_id(&session_id));
    let state = batch.read(sql::link_state(&link_hash, ctx.now));
    let (created, state) = match batch.run(store, Consistency::Primary).await {
        Ok(mut r) => match (r.take(created), r.take(state)) {
            (Ok(c), Ok(s)) => (c, s),
            (Err(e), _) | (_, Err(e)) => return failed(ctx, e),
        },
        Err(e) => return failed(ctx, e),
    };
    let Some(created) = created else {
        return unusable(state);
    };
    // 303 See Other: the browser follows with a GET of the console (a reload does not post the
    // spent link again); the page says the same for a client that does not follow redirects.
    let mut r = page_html(
        303,
        "Signed in",
        &format!(
            "<p>You are signed in as {} for 8 hours.</p>\n<p><a href=\"{CONSOLE}\">Open the console</a></p>",
            escape(&created.email)
        ),
    );
    set(&mut r, header::LOCATION, CONSOLE);
    set(
        &mut r,
        header::SET_COOKIE,
        &session_set_cookie(&session.secret),
    );
    r
}
