//! Queries of Users: `GET /Users` (RFC 7644 §3.4.2), `POST /Users/.search` and `POST /.search`
//! (§3.4.3) run here, from the same [`ListParams`], in one batch: the token check, the count
//! (`totalResults`) and the page. A cursor walk counts on its first page only and carries the
//! total in its cursors, so its later pages cost their rows and nothing more.
//!
//! Filters, order and paging are evaluated by D1 (`store::list_sql`), never by loading users into
//! the worker. Index paging (`startIndex`) uses OFFSET over the order's index; cursor paging
//! (RFC 9865) continues after the last user of the previous page (keyset), so each page costs
//! the same however deep it is. A cursor is the base64url of [`Cursor`]: the position and the
//! fingerprint of the query it belongs to, so that a cursor replayed with another filter or
//! order is a 400 `invalidCursor` rather than a wrong page. Cursors hold no state on the server
//! and do not expire.
//!
//! Round trips (DESIGN §9): one, unless the filter or `sortBy` names something outside the
//! static schema and the isolate does not remember the tenant's attribute definitions
//! (`app::recent`); then they are read first (one more).

use super::body_object;
use super::call::Call;
use super::respond::{render, scim_json};
use super::tenancy::{self, recalled_definitions, remember_user, ScimBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::ids::{base64url, base64url_decode};
use crate::app::plumbing::query;
use crate::app::plumbing::{Request, Response};
use crate::app::recent::Definitions;
use crate::model::TokenHash;
use crate::scim::error::ScimError;
use crate::scim::filter::resolve::{resolve, Resolved};
use crate::scim::filter::{parse_filter, Filter, Limits};
use crate::scim::list::{self, fingerprint, Cursor, CursorPos, ListParams, Paging, Sort};
use crate::scim::schema::LIST_RESPONSE;
use crate::scim::tenant::TenantSchema;
use crate::store::list_sql::Order;
use crate::store::users::{count_users, list_page, ListedUser, Page};
use crate::store::{Query, Store};
use serde_json::{json, Map, Value};

/// Largest page of a list (`filter.maxResults` in /ServiceProviderConfig); larger `count`s are
/// clamped to it.
pub const MAX_COUNT: i64 = list::MAX_COUNT;
/// Page size when `count` is not given.
pub const DEFAULT_COUNT: i64 = list::DEFAULT_COUNT;
/// The limits on one filter (advertised in /ServiceProviderConfig's documentation).
pub const FILTER_LIMITS: Limits = Limits::DEFAULT;

/// `GET /Users` (RFC 7644 §3.4.2): filter, sort, page (by index or cursor) and project.
pub async fn list<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let params = ListParams::from_query(&query::pairs(req.uri().query()))?;
    run(params, store, ctx, call).await
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the same query, its parameters in a SearchRequest.
/// A read: nothing is logged.
pub async fn search<S: Store>(
    req: &Request,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    let params = ListParams::from_search_request(&body_object(req)?)?;
    run(params, store, ctx, call).await
}

/// The largest page whose users the isolate remembers (`app::recent`).
const REMEMBERED_PAGE: usize = 20;

/// Longest cursor read: far more than any this service issues for the attributes it keeps.
const MAX_CURSOR_CHARS: usize = 8192;
/// The largest OFFSET sent to D1: more users than any tenant holds, and an integer D1 binds
/// exactly (a `startIndex` of 2^63 - 1 would not be).
const MAX_OFFSET: i64 = i32::MAX as i64;

fn count_asked(paging: &Paging) -> &i64 {
    match paging {
        Paging::Index { count, .. } | Paging::Cursor { count, .. } => count,
    }
}

/// A query resolved against `schema`: its filter and its order.
fn prepare(
    filter: Option<&Filter>,
    params: &ListParams,
    schema: &TenantSchema,
) -> Result<(Option<Resolved>, Sort), ScimError> {
    let filter = filter.map(|f| resolve(f, schema)).transpose()?;
    let sort = match &params.sort_by {
        None => Sort::creation(),
        Some(by) => Sort::resolve(by, params.sort_order, schema)?,
    };
    Ok((filter, sort))
}

fn encode(query: &str, total: i64, pos: CursorPos) -> String {
    base64url(
        &Cursor {
            query: query.to_string(),
            pos,
            total: Some(total),
        }
        .to_bytes(),
    )
}

fn decode(text: &str, query: &str) -> Result<Cursor, ScimError> {
    let bytes = (text.len() <= MAX_CURSOR_CHARS)
        .then(|| base64url_decode(text))
        .flatten();
    // An undecodable cursor gets the same answer as one of another query (Cursor::from_bytes).
    Cursor::from_bytes(&bytes.unwrap_or_default(), query)
}

/// The position of a row, for a cursor.
fn position(row: &ListedUser, backward: bool, inclusive: bool) -> CursorPos {
    CursorPos {
        backward,
        inclusive,
        key: row.sort_key.clone(),
        id: row.user.meta.id.to_string(),
    }
}

/// The schema a query is planned with.
enum Planned {
    /// The static schema only: the query names none of the tenant's attributes.
    Static,
    /// The definitions the isolate remembers.
    Recalled(Definitions),
    /// The definitions as the database has them.
    Read(Definitions),
}

impl Planned {
    fn schema(&self) -> &TenantSchema {
        static STATIC: std::sync::OnceLock<TenantSchema> = std::sync::OnceLock::new();
        match self {
            Planned::Static => STATIC.get_or_init(TenantSchema::default),
            Planned::Recalled(d) | Planned::Read(d) => &d.schema,
        }
    }
}

/// `totalResults`: counted, or known from the cursor (counted on the walk's first page).
pub enum Total {
    Count(Query<i64>),
    Known(i64),
}

/// The queries of a list, and what reading their answer needs.
pub struct Plan {
    pub total: Total,
    /// The page (none for `count=0`).
    pub page: Option<Query<Vec<ListedUser>>>,
    paging: Paging,
    /// The fingerprint of the query, for its cursors.
    query: String,
    /// Cursor paging: where the page starts (`None` for the first page).
    anchor: Option<CursorPos>,
}

/// The filter of a query, parsed (400 `invalidFilter` with the position and what was expected).
pub fn parse(params: &ListParams) -> Result<Option<Filter>, ScimError> {
    params
        .filter
        .as_deref()
        .map(|text| {
            parse_filter(text, &FILTER_LIMITS)
                .map_err(|e| ScimError::InvalidFilter(format!("Invalid filter {e}")))
        })
        .transpose()
}

/// The queries that answer a list, resolved against `schema`; `hash` is the token's.
pub fn plan(
    params: &ListParams,
    filter: Option<&Filter>,
    schema: &TenantSchema,
    hash: &TokenHash,
) -> Result<Plan, ScimError> {
    let paging = params.paging()?;
    let (resolved, sort) = prepare(filter, params, schema)?;
    let order = Order::new(&sort)?;
    let query = fingerprint(filter, &sort);
    let (page, anchor, known) = match &paging {
        Paging::Index { start, count } => {
            let page = match *count > 0 {
                true => Some(list_page(
                    hash,
                    &Page {
                        filter: resolved.as_ref(),
                        order: &order,
                        after: None,
                        limit: *count,
                        // A start beyond any tenant is an empty page (and stays an integer D1
                        // binds exactly).
                        offset: (start - 1).min(MAX_OFFSET),
                    },
                )?),
                false => None,
            };
            (page, None, None)
        }
        Paging::Cursor { cursor, count } => {
            let cursor = cursor.as_deref().map(|c| decode(c, &query)).transpose()?;
            let anchor = cursor.as_ref().map(|c| c.pos.clone());
            // One more than the page, to know whether another page follows; `count=0` asks for
            // `totalResults` only.
            let page = match *count > 0 {
                true => Some(list_page(
                    hash,
                    &Page {
                        filter: resolved.as_ref(),
                        order: &order,
                        after: anchor.as_ref(),
                        limit: count + 1,
                        offset: 0,
                    },
                )?),
                false => None,
            };
            (page, anchor, cursor.and_then(|c| c.total))
        }
    };
    let total = match known {
        Some(total) => Total::Known(total),
        None => Total::Count(count_users(hash, resolved.as_ref())?),
    };
    Ok(Plan {
        total,
        page,
        paging,
        query,
        anchor,
    })
}

/// Runs a query and answers its ListResponse (RFC 7644 §3.4.2; RFC 9865 §2).
async fn run<S: Store>(
    params: ListParams,
    store: &S,
    ctx: &mut Ctx<'_>,
    call: &Call,
) -> Result<Response, ScimError> {
    params.paging()?;
    let parsed = parse(&params)?;
    let hash = &call.hash;
    // Names outside the static schema may be the company's own attributes: only then are their
    // definitions needed, the isolate's (`app::recent`) or read first. A query planned with
    // remembered definitions runs again when its batch finds them changed, and a query they
    // refuse is planned again with the database's before it is refused.
    let mut schema = Planned::Static;
    let (tenant, mut results, plan) = loop {
        let planned = plan(&params, parsed.as_ref(), schema.schema(), hash);
        let planned = match (planned, &schema) {
            (Ok(plan), _) => plan,
            (Err(ScimError::InvalidFilter(_) | ScimError::InvalidValue(_)), Planned::Static) => {
                schema = match recalled_definitions(ctx, hash) {
                    Some(known) => Planned::Recalled(known),
                    None => Planned::Read(tenancy::definitions_read(store, ctx, hash).await?),
                };
                continue;
            }
            (
                Err(ScimError::InvalidFilter(_) | ScimError::InvalidValue(_)),
                Planned::Recalled(_),
            ) => {
                schema = Planned::Read(tenancy::definitions_read(store, ctx, hash).await?);
                continue;
            }
            (Err(e), _) => return Err(e),
        };
        let Plan {
            total,
            page,
            paging,
            query,
            anchor,
        } = planned;
        let mut batch = ScimBatch::new(hash, ctx);
        let total = match total {
            Total::Count(q) => Err(batch.read(q)),
            Total::Known(n) => Ok(n),
        };
        let page = page.map(|p| batch.read(p));
        let (tenant, results) = batch.run(store, ctx).await?;
        if let Planned::Recalled(known) = &schema {
            if known.version != tenant.schema_version {
                schema = Planned::Read(Definitions {
                    version: tenant.schema_version,
                    schema: tenant.schema,
                });
                continue;
            }
        }
        break (tenant, results, (total, page, paging, query, anchor));
    };
    let (total, page, paging, query, anchor) = plan;
    let total = match total {
        Ok(n) => n,
        Err(counted) => results.take(counted)?,
    };
    let count = match paging {
        Paging::Index { count, .. } | Paging::Cursor { count, .. } => count,
    };
    let mut rows: Vec<ListedUser> = match page {
        Some(p) => results.take(p)?,
        None => Vec::new(),
    };
    let more = rows.len() as i64 > count;
    rows.truncate(usize::try_from(count).unwrap_or(0));
    if anchor.as_ref().is_some_and(|a| a.backward) {
        // A backward page was read in reverse, nearest first.
        rows.reverse();
    }

    // A look-up (Entra's `userName eq` before it PATCHes) is remembered for the write that
    // follows; a page of a walk is not, so that walking a tenant does not push out the users
    // an IdP is about to write.
    if rows.len() <= REMEMBERED_PAGE {
        for row in &rows {
            remember_user(ctx, hash, &row.user);
        }
    }
    let mut resources = Vec::with_capacity(rows.len());
    for row in &rows {
        let user = render(&row.user, &tenant.schema, &call.base);
        resources.push(params.projection.apply(user, &tenant.schema));
    }
    let mut body = Map::new();
    body.insert("schemas".into(), json!([LIST_RESPONSE]));
    body.insert("totalResults".into(), json!(total));
    match &paging {
        Paging::Index { start, .. } => {
            body.insert("startIndex".into(), json!(start));
        }
        Paging::Cursor { .. } => {
            let encode = |pos| encode(&query, total, pos);
            let (next, previous) = match *count_asked(&paging) > 0 {
                true => cursors(&encode, anchor.as_ref(), &rows, more),
                // Only `totalResults` was asked for: no page, so nothing to continue from.
                false => (None, None),
            };
            if let Some(next) = next {
                body.insert("nextCursor".into(), json!(next));
            }
            if let Some(previous) = previous {
                body.insert("previousCursor".into(), json!(previous));
            }
        }
    }
    body.insert("itemsPerPage".into(), json!(resources.len()));
    body.insert("Resources".into(), Value::Array(resources));
    Ok(scim_json(200, &Value::Object(body), call.answer))
}

/// The `nextCursor` and `previousCursor` of a cursor page (RFC 9865 §2): `nextCursor` on every
/// page but the last, `previousCursor` on every page but the first. `anchor` is where the page
/// was asked to start (`None` for the first page), `more` whether rows beyond the page exist in
/// its direction.
fn cursors(
    encode: &dyn Fn(CursorPos) -> String,
    anchor: Option<&CursorPos>,
    rows: &[ListedUser],
    more: bool,
) -> (Option<String>, Option<String>) {
    let (first, last) = (rows.first(), rows.last());
    let Some(anchor) = anchor else {
        return (
            more.then(|| last.map(|r| encode(position(r, false, false))))
                .flatten(),
            None,
        );
    };
    // From an empty page, the neighbours start at the anchor itself: the other side of it.
    let from_anchor = |backward: bool| {
        encode(CursorPos {
            backward,
            inclusive: !anchor.inclusive,
            ..anchor.clone()
        })
    };
    if anchor.backward {
        let next = last.map_or_else(|| from_anchor(false), |r| encode(position(r, false, false)));
        let previous = more
            .then(|| first.map(|r| encode(position(r, true, false))))
            .flatten();
        (Some(next), previous)
    } else {
        let next = more
            .then(|| last.map(|r| encode(position(r, false, false))))
            .flatten();
        let previous =
            first.map_or_else(|| from_anchor(true), |r| encode(position(r, true, false)));
        (next, Some(previous))
    }
}
