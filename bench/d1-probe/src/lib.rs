//! What a statement of a D1 batch costs under `wrangler dev` (issue 22; `bench/statements.sh`
//! drives it and prints the figures). Each route sends one D1 batch: one read or one insert,
//! and `n` more statements, all trivial (`SELECT k`) or all long (about 700 bytes of SQL with
//! six subqueries over the primary key, cheap to run, dear to prepare), so that the time a
//! request gains with `n` is what D1 charges per statement, apart from what it runs.
//!
//!   GET  /single/{id}                     the read alone, not in a batch (`.first()`)
//!   GET  /batch/{id}?n=N&kind=trivial     the read, then N statements, in one batch
//!   POST /insert?n=N&kind=heavy           an insert (unique name), then N statements

use worker::{event, Context, D1Database, D1PreparedStatement, Env, Method, Request, Response, Result};

const READ: &str = "SELECT id, user_name, data FROM users WHERE id = ?1";

/// A long statement that runs fast: every subquery is a primary-key lookup.
fn long_statement(k: usize) -> String {
    format!(
        "SELECT {k} AS k, \
         (SELECT count(*) FROM users u WHERE u.id = ?1 AND u.user_name IS NOT NULL) AS a, \
         (SELECT max(u.id) FROM users u WHERE u.id BETWEEN ?1 AND ?1 + 1 AND length(u.data) > 0) AS b, \
         (SELECT coalesce(sum(length(u.user_name)), 0) FROM users u WHERE u.id = ?1 AND u.user_name LIKE 'seed%') AS c, \
         (SELECT json_group_array(u.id) FROM (SELECT id FROM users WHERE id >= ?1 ORDER BY id LIMIT 2) u) AS d, \
         CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND u.data LIKE '%zzzz%') THEN 'yes' ELSE 'no' END AS e, \
         (SELECT count(DISTINCT u.user_name) FROM users u WHERE u.id IN (?1, ?1 + 1, ?1 + 2) AND u.id > 0) AS f"
    )
}

/// The `n` statements a batch carries besides its read or insert.
fn more(db: &D1Database, n: usize, long: bool, id: f64) -> Result<Vec<D1PreparedStatement>> {
    (0..n)
        .map(|k| {
            if long {
                db.prepare(long_statement(k)).bind(&[id.into()])
            } else {
                db.prepare(format!("SELECT {k} AS k")).bind(&[])
            }
        })
        .collect()
}

fn unique_name() -> Result<String> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let url = req.url()?;
    let (mut n, mut long) = (0usize, false);
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "n" => n = v.parse().unwrap_or(0).min(50),
            "kind" => long = v == "heavy",
            _ => {}
        }
    }
    let path = req.path();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let db = env.d1("DB")?;
    match (req.method(), segs.as_slice()) {
        (Method::Get, ["single", id]) => {
            let id: f64 = id.parse().unwrap_or(1.0);
            let row: Option<serde_json::Value> =
                db.prepare(READ).bind(&[id.into()])?.first(None).await?;
            Response::ok(serde_json::to_string(&row)?)
        }
        (Method::Get, ["batch", id]) => {
            let id: f64 = id.parse().unwrap_or(1.0);
            let mut stmts = vec![db.prepare(READ).bind(&[id.into()])?];
            stmts.extend(more(&db, n, long, id)?);
            let results = db.batch(stmts).await?;
            let rows: Vec<serde_json::Value> = match results.first() {
                Some(r) => r.results()?,
                None => Vec::new(),
            };
            Response::ok(serde_json::to_string(&rows)?)
        }
        (Method::Post, ["insert"]) => {
            let body = req.text().await?;
            let name = unique_name()?;
            let mut stmts = vec![db
                .prepare("INSERT INTO users (user_name, data) VALUES (?1, ?2)")
                .bind(&[name.as_str().into(), body.as_str().into()])?];
            stmts.extend(more(&db, n, long, 1.0)?);
            db.batch(stmts).await?;
            Response::ok("{}")
        }
        _ => Response::error("no such route", 404),
    }
}
