//! Company admins (DESIGN §3, §7): a sign-in link the operator issues, its confirmation page and
//! exchange, the session-scoped admin API within its matrix, connect and disconnect, sessions,
//! logout and the audit log; and what a session may never do.

use super::users::okta_user;
use crate::common::{unique, Client, Reply, Tenant};
use serde_json::{json, Value};

/// A browser of a company admin: its session cookie, and this site's origin on every request.
pub struct Browser<'c, C: Client> {
    pub c: &'c C,
    pub cookie: String,
}

impl<C: Client> Browser<'_, C> {
    /// An admin API request as the console sends it.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.api_from(&self.c.origin(), method, path, body)
    }

    /// The same, sent as if from a page of `origin`.
    pub fn api_from(&self, origin: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let cookie = format!("__Host-session={}", self.cookie);
        let body = body.map(|b| b.to_string());
        let mut headers = vec![("Cookie", cookie.as_str()), ("Origin", origin)];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.c.send(
            method,
            &format!("/admin/v1{path}"),
            &headers,
            body.as_deref().map(str::as_bytes),
        )
    }
}

/// The operator issues a sign-in link for `email` at `t`: the path (with its query) of the URL.
pub fn issue_link(c: &impl Client, t: &Tenant, email: &str) -> String {
    let r = c.admin(
        "POST",
        &format!("/tenants/{}/sign-in-links", t.id),
        Some(json!({ "email": email })),
    );
    r.expect(201);
    let body = r.json();
    let url = body["url"].as_str().unwrap();
    let origin = c.origin();
    // The link carries its tenant's shard (issue 20).
    let shard = scim_edge::store::shards::of_tenant(&scim_edge::model::TenantId::new(&t.id));
    assert!(
        url.starts_with(&format!("{origin}/sign-in?link=signin_1_{shard}_")),
        "{url}"
    );
    url[origin.len()..].to_string()
}

/// Posts the confirmation form of `link_path` from `origin`.
pub fn confirm(c: &impl Client, link_path: &str, origin: &str) -> Reply {
    let link = link_path.split_once("link=").unwrap().1;
    let form = format!("link={link}");
    c.send(
        "POST",
        "/sign-in",
        &[
            ("Origin", origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    )
}

/// A signed-in admin of `t`.
pub fn sign_in<'c, C: Client>(c: &'c C, t: &Tenant, email: &str) -> Browser<'c, C> {
    let link = issue_link(c, t, email);
    // Opening the link uses nothing: it can be opened again.
    for _ in 0..2 {
        let page = c.send("GET", &link, &[], None);
        page.expect(200);
        assert!(
            page.body
                .contains("<form method=\"post\" action=\"/sign-in\">"),
            "{}",
            page.body
        );
        let csp = page.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        // Not no-referrer: browsers would post the form with `Origin: null`, refused.
        assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    }
    let signed = confirm(c, &link, &c.origin());
    // The exchange sends the browser on to the console.
    signed.expect(303);
    assert_eq!(signed.header("location"), Some("/console/"));
    assert!(signed.body.contains(&escape(email)), "{}", signed.body);
    let cookie = signed
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let value = cookie
        .strip_prefix("__Host-session=")
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let shard = scim_edge::store::shards::of_tenant(&scim_edge::model::TenantId::new(&t.id));
    assert!(
        value.starts_with(&format!("session_1_{shard}_")),
        "{cookie}"
    );
    Browser { c, cookie: value }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The sign-in flow, connect, a SCIM create with the new token, disconnect; the link works once.
pub fn a_company_admin_signs_in_and_connects_their_idp(c: &impl Client) {
    let t = c.new_tenant(&unique("Admins "));
    let email = format!("{}@example.com", unique("admin."));
    let link = issue_link(c, &t, &email);
    let admin = {
        let signed = confirm(c, &link, &c.origin());
        signed.expect(303);
        let cookie = signed.header("set-cookie").unwrap().to_string();
        Browser {
            c,
            cookie: cookie["__Host-session=".len()..]
                .split(';')
                .next()
                .unwrap()
                .to_string(),
        }
    };
    // The link works once: the page and a second exchange say it was used.
    let again = confirm(c, &link, &c.origin());
    assert_eq!(again.status, 410, "{}", again.body);
    assert!(again.body.contains("already been used"), "{}", again.body);
    let page = c.send("GET", &link, &[], None);
    assert_eq!(page.status, 410);

    // Who am I.
    let me = admin.api("GET", "/session", None);
    me.expect(200);
    assert_eq!(me.json()["session"]["email"], json!(email));
    assert_eq!(me.json()["tenant"]["id"], json!(t.id));
    assert_eq!(me.json()["tenant"]["suspended"], json!(false));

    // Connect: a new token, shown once, that works at once; the old one keeps working.
    let connected = admin.api(
        "POST",
        &format!("/tenants/{}/connect", t.id),
        Some(json!({ "label": "Okta" })),
    );
    connected.expect(201);
    let token = connected.json()["token"].as_str().unwrap().to_string();
    assert!(connected.json()["scim_base_url"]
        .as_str()
        .unwrap()
        .ends_with("/scim/v2"));
    let name = format!("{}@example.com", unique("hire."));
    c.scim(&token, "POST", "/Users", Some(okta_user(&name)))
        .expect(201);
    c.scim(&t.token, "GET", "/Users", None).expect(200);
    // Tokens, attributes, roster and activity: all of the session's own tenant.
    let tokens = admin.api("GET", &format!("/tenants/{}/tokens", t.id), None);
    assert_eq!(tokens.json()["tokens"].as_array().unwrap().len(), 2);
    admin
        .api(
            "POST",
            &format!("/tenants/{}/attributes", t.id),
            Some(json!({ "name": "Team", "type": "text" })),
        )
        .expect(201);
    let roster = admin.api("GET", &format!("/tenants/{}/employees", t.id), None);
    assert_eq!(roster.json()["total"], json!(1));
    admin
        .api("GET", &format!("/tenants/{}/activity", t.id), None)
        .expect(200);

    // Disconnect: every token fails from the next request on.
    let off = admin.api("POST", &format!("/tenants/{}/disconnect", t.id), None);
    off.expect(200);
    assert_eq!(off.json()["revoked"], json!(2));
    c.scim(&token, "GET", "/Users", None)
        .expect_scim_error(401, None);
    c.scim(&t.token, "GET", "/Users", None)
        .expect_scim_error(401, None);
    // A later connect issues a new token; the old ones stay dead.
    let again = admin.api("POST", &format!("/tenants/{}/connect", t.id), None);
    c.scim(
        again.json()["token"].as_str().unwrap(),
        "GET",
        "/Users",
        None,
    )
    .expect(200);
    c.scim(&token, "GET", "/Users", None)
        .expect_scim_error(401, None);

    // The audit log names who did what, and never a secret.
    let audit = admin.api("GET", &format!("/tenants/{}/audit", t.id), None);
    audit.expect(200);
    let entries = audit.json()["entries"].as_array().unwrap().clone();
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .rev()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("operator", "sign_in_link.issued"),
            (email.as_str(), "session.created"),
            (email.as_str(), "tenant.connected"),
            (email.as_str(), "attribute.created"),
            (email.as_str(), "tenant.disconnected"),
            (email.as_str(), "tenant.connected"),
        ]
    );
    let text = audit.body.clone();
    assert!(!text.contains(&token) && !text.contains("signin_1_") && !text.contains("session_1_"));

    // Logout ends the session: the cookie no longer opens anything.
    let out = admin.api("DELETE", "/session", None);
    out.expect(204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    admin
        .api("GET", &format!("/tenants/{}/tokens", t.id), None)
        .expect_admin_error(401, "unauthorized");
}

/// What a session may never do: another tenant (404), the operator's switches (403), a
/// cross-origin change (403), and an exchange from another site.
pub fn a_company_admin_stays_in_their_lane(c: &impl Client) {
    let t = c.new_tenant(&unique("Lane "));
    let other = c.new_tenant(&unique("Lane other "));
    let admin = sign_in(c, &t, &format!("{}@example.com", unique("lane.")));
    let theirs = admin.api("GET", &format!("/tenants/{}/tokens", other.id), None);
    theirs.expect_admin_error(404, "not_found");
    for (method, path) in [
        ("GET", format!("/tenants/{}/employees", other.id)),
        ("GET", format!("/tenants/{}/attributes", other.id)),
        ("POST", format!("/tenants/{}/connect", other.id)),
        ("DELETE", format!("/tenants/{}/sessions", other.id)),
        ("GET", format!("/tenants/{}", other.id)),
    ] {
        admin
            .api(method, &path, None)
            .expect_admin_error(404, "not_found");
    }
    // The operator's: tenants, renaming, suspending, quotas, sign-in links, deletion.
    admin
        .api("GET", "/tenants", None)
        .expect_admin_error(403, "forbidden");
    let own = format!("/tenants/{}", t.id);
    for body in [
        json!({ "name": "Renamed" }),
        json!({ "active": true }),
        json!({ "quota": { "employees": 10 } }),
    ] {
        admin
            .api("PATCH", &own, Some(body))
            .expect_admin_error(403, "forbidden");
    }
    admin
        .api("DELETE", &own, None)
        .expect_admin_error(403, "forbidden");
    admin
        .api(
            "POST",
            &format!("{own}/sign-in-links"),
            Some(json!({ "email": "x@example.com" })),
        )
        .expect_admin_error(403, "forbidden");
    // Their own settings are theirs.
    admin
        .api("PATCH", &own, Some(json!({ "deleted_retention_days": 10 })))
        .expect(200);
    // The operator suspends: SCIM answers 401, and the session cannot lift it.
    c.admin("PATCH", &own, Some(json!({ "active": false })))
        .expect(200);
    c.scim(&t.token, "GET", "/Users", None)
        .expect_scim_error(401, None);
    assert_eq!(
        admin.api("GET", "/session", None).json()["tenant"]["suspended"],
        json!(true)
    );
    admin
        .api("PATCH", &own, Some(json!({ "active": true })))
        .expect_admin_error(403, "forbidden");
    c.scim(&t.token, "GET", "/Users", None)
        .expect_scim_error(401, None);
    // A change sent from another site's page is refused, whatever the cookie.
    admin
        .api_from(
            "https://evil.example",
            "POST",
            &format!("{own}/connect"),
            None,
        )
        .expect_admin_error(403, "forbidden");
    assert_eq!(
        admin.api("GET", &format!("{own}/tokens"), None).json()["tokens"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // An exchange posted from another site is refused, and the link stays usable.
    let link = issue_link(c, &t, "second@example.com");
    assert_eq!(confirm(c, &link, "https://evil.example").status, 403);
    confirm(c, &link, &c.origin()).expect(303);
    // A forged cookie is no session.
    let forged = Browser {
        c,
        cookie: format!("{}A", &admin.cookie[..admin.cookie.len() - 1]),
    };
    forged
        .api("GET", &format!("{own}/tokens"), None)
        .expect_admin_error(401, "unauthorized");
    // The operator (or an admin) lists and revokes sessions; a revoked one is over.
    let sessions = c.admin("GET", &format!("{own}/sessions"), None).json();
    assert_eq!(
        sessions["sessions"].as_array().unwrap().len(),
        2,
        "{sessions}"
    );
    c.admin("DELETE", &format!("{own}/sessions"), None)
        .expect(204);
    admin
        .api("GET", &format!("{own}/tokens"), None)
        .expect_admin_error(401, "unauthorized");
}

/// The console's reads and its one-click fix, through the session cookie: an Okta-style create
/// with a name no attribute answers to is refused, shows in attribute health, the alias call
/// fixes it and the same create succeeds; roster search; the CSV (formula escape included); the
/// connection status.
pub fn a_company_admin_fixes_an_attribute_and_exports_the_roster(c: &impl Client) {
    let t = c.new_tenant(&unique("Console "));
    let admin = sign_in(c, &t, &format!("{}@example.com", unique("console.")));
    let own = format!("/tenants/{}", t.id);
    let attribute = admin.api(
        "POST",
        &format!("{own}/attributes"),
        Some(json!({ "name": "Cost Center", "type": "text" })),
    );
    attribute.expect(201);
    let attribute_id = attribute.json()["id"].as_str().unwrap().to_string();
    let connected = admin.api("POST", &format!("{own}/connect"), None);
    let token = connected.json()["token"].as_str().unwrap().to_string();

    let ext = "urn:ietf:params:scim:schemas:extension:peakon:2.0:User";
    let name = format!("{}@example.com", unique("josé.núñez."));
    let mut body = okta_user(&name);
    body["name"] = json!({ "givenName": "José", "familyName": "Núñez" });
    body["schemas"].as_array_mut().unwrap().push(json!(ext));
    body[ext] = json!({ "CostCentre": "=HYPERLINK(\"http://x\")" });
    c.scim(&token, "POST", "/Users", Some(body.clone()))
        .expect_scim_error(400, Some("invalidValue"));
    let health = admin.api("GET", &format!("{own}/attribute-health"), None);
    health.expect(200);
    assert_eq!(
        health.json()["unmatched"][0]["name"],
        json!("CostCentre"),
        "{}",
        health.body
    );
    admin
        .api(
            "POST",
            &format!("{own}/attribute-health/aliases"),
            Some(json!({ "name": "CostCentre", "attribute": attribute_id })),
        )
        .expect(200);
    let created = c.scim(&token, "POST", "/Users", Some(body));
    created.expect(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        admin
            .api("GET", &format!("{own}/attribute-health"), None)
            .json()["unmatched"],
        json!([])
    );

    // Search ignores case and accents; another name finds nobody.
    let found = admin.api("GET", &format!("{own}/employees?q=nunez"), None);
    assert_eq!(found.json()["total"], json!(1), "{}", found.body);
    assert_eq!(found.json()["employees"][0]["id"], json!(id));
    let none = admin.api("GET", &format!("{own}/employees?q=zzz"), None);
    assert_eq!(none.json()["total"], json!(0));

    // The CSV: its header, the employee, the custom attribute by its display name, escaped.
    let csv = admin.api("GET", &format!("{own}/employees.csv"), None);
    csv.expect(200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.body.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("id,userName,email,"), "{header}");
    assert!(header.ends_with(",Cost Center"), "{header}");
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&format!("{id},{name},{name},José,Núñez,true,true,")),
        "{row}"
    );
    assert!(row.ends_with(r#","'=HYPERLINK(""http://x"")""#), "{row}");
    assert_eq!(lines.next(), None);

    // The connection: the token's last request and its client.
    let connection = admin.api("GET", &format!("{own}/connection"), None);
    connection.expect(200);
    assert!(
        connection.json()["last_success"].is_object(),
        "{}",
        connection.body
    );
}
