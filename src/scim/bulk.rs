//! Bulk requests (RFC 7644 §3.7), the protocol's part, pure: the BulkRequest envelope and its
//! operations as read from JSON, the limits a request is held to (§3.7.4), `bulkId` references
//! (§3.7.2) found in and substituted into an operation's `path` and `data`, and the order in
//! which the operations run ([`plan`]): an operation that refers to a `bulkId` runs after the
//! operation that creates it, even when that one comes later in the request, and a circular
//! reference (§3.7.1) is broken by creating first and setting the reference afterwards.
//!
//! Running the operations, each exactly as the single request would run, is
//! `app::scim_api::bulk`. Left out: Bulk requests for resource types other than Users (there
//! are none), and GET operations (RFC 7644 §3.7 lists POST, PUT, PATCH and DELETE).

use super::error::ScimError;
use serde_json::{Map, Value};
use std::collections::HashMap;

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// `maxOperations` (RFC 7644 §3.7.4): the most operations one Bulk request may carry. Their D1
/// statements, each operation as costly as an operation can be (30), stay below D1's 1,000
/// queries per Worker invocation (3 + 30 × 30 = 903; `app::scim_api::bulk` asserts it at
/// compile time and says why the limit is not raised to the 33 that would fit, and a host test
/// counts the statements of such requests).
pub const MAX_OPERATIONS: usize = 30;

/// `maxPayloadSize` (RFC 7644 §3.7.4), in bytes: the request body limit of every request.
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;

/// What a reference looks like: `bulkId:<the bulkId>` (RFC 7644 §3.7.2).
pub const REFERENCE_PREFIX: &str = "bulkId:";

/// The methods a Bulk operation may have (RFC 7644 §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// A method named in any letter case.
    pub fn parse(name: &str) -> Option<Method> {
        [Method::Post, Method::Put, Method::Patch, Method::Delete]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

/// A BulkRequest whose envelope is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// Stop once this many operations failed (`None`: attempt every operation).
    pub fail_on_errors: Option<usize>,
    pub operations: Vec<BulkOperation>,
}

/// One operation as the request wrote it. What is wrong with it alone (no method, no path, an
/// unknown method) is its `problem`, answered for that operation only.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    /// The method as sent (echoed in the answer), and what it names.
    pub method_text: Option<String>,
    pub method: Option<Method>,
    pub bulk_id: Option<String>,
    /// The ETag the operation is conditional on (`If-Match` of the single request).
    pub version: Option<String>,
    pub path: Option<String>,
    pub data: Option<Value>,
    pub problem: Option<ScimError>,
}

/// The value of `key` in `obj`, whatever the case of the key (SCIM attribute names are
/// case-insensitive, RFC 7643 §2.1).
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// How many operations a body carries, read cheaply for the rate limiter (each counts once):
/// `None` when the body is no BulkRequest with an `Operations` array.
pub fn operation_count(body: &[u8]) -> Option<usize> {
    let value: Value = serde_json::from_slice(body).ok()?;
    field(value.as_object()?, "Operations")?
        .as_array()
        .map(Vec::len)
}

/// Reads a BulkRequest's envelope: 400 when it is malformed (no BulkRequest schema,
/// `Operations` not an array, `failOnErrors` not a positive integer), 413 when it carries more
/// than [`MAX_OPERATIONS`] operations. In both cases nothing is performed.
pub fn parse(body: &Map<String, Value>) -> Result<BulkRequest, ScimError> {
    let schemas = field(body, "schemas").and_then(Value::as_array);
    let declared = schemas.is_some_and(|s| {
        s.iter().any(|u| {
            u.as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(BULK_REQUEST))
        })
    });
    if !declared {
        return Err(ScimError::InvalidValue(format!(
            "A Bulk request must list \"{BULK_REQUEST}\" in \"schemas\"; nothing was performed"
        )));
    }
    let Some(ops) = field(body, "Operations").and_then(Value::as_array) else {
        return Err(ScimError::InvalidSyntax(
            "A Bulk request needs \"Operations\", an array; nothing was performed".into(),
        ));
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(too_many_operations(ops.len()));
    }
    let fail_on_errors = match field(body, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                return Err(ScimError::InvalidValue(
                    "\"failOnErrors\" must be a positive integer; nothing was performed".into(),
                ))
            }
        },
    };
    let mut operations: Vec<BulkOperation> = ops.iter().map(operation).collect();
    // A bulkId names one new resource (RFC 7644 §3.7: unique within the request); a later
    // operation that declares it again is refused, and references name the first.
    let mut seen: Vec<String> = Vec::new();
    for op in operations.iter_mut() {
        if op.problem.is_some() {
            continue;
        }
        if let (Some(Method::Post), Some(id)) = (op.method, &op.bulk_id) {
            if seen.contains(id) {
                op.problem = Some(ScimError::InvalidValue(format!(
                    "bulkId \"{id}\" is declared by an earlier operation of this request; each \
                     POST needs a bulkId of its own"
                )));
            } else {
                seen.push(id.clone());
            }
        }
    }
    Ok(BulkRequest {
        fail_on_errors,
        operations,
    })
}

/// 413 for a request with `n` operations (RFC 7644 §3.7.4: the answer names the limit).
pub fn too_many_operations(n: usize) -> ScimError {
    ScimError::ContentTooLarge(format!(
        "The Bulk request has {n} operations, more than maxOperations ({MAX_OPERATIONS}); \
         nothing was performed"
    ))
}

/// 413 for a body larger than [`MAX_PAYLOAD_BYTES`].
pub fn payload_too_large() -> ScimError {
    ScimError::ContentTooLarge(format!(
        "The size of the Bulk request exceeds maxPayloadSize ({MAX_PAYLOAD_BYTES} bytes); \
         nothing was performed"
    ))
}

fn operation(value: &Value) -> BulkOperation {
    let mut op = BulkOperation {
        method_text: None,
        method: None,
        bulk_id: None,
        version: None,
        path: None,
        data: None,
        problem: None,
    };
    let Some(obj) = value.as_object() else {
        op.problem = Some(ScimError::InvalidSyntax(
            "A Bulk operation must be a JSON object".into(),
        ));
        return op;
    };
    let text = |key: &str| field(obj, key).and_then(Value::as_str).map(str::to_string);
    op.method_text = text("method");
    op.method = op.method_text.as_deref().and_then(Method::parse);
    op.bulk_id = text("bulkId");
    op.version = text("version");
    op.path = text("path");
    op.data = field(obj, "data").filter(|d| !d.is_null()).cloned();
    let wrong_type = |key: &str| field(obj, key).is_some_and(|v| !v.is_null() && !v.is_string());
    op.problem = if op.method.is_none() {
        Some(ScimError::InvalidValue(match &op.method_text {
            None => "A Bulk operation needs \"method\": POST, PUT, PATCH or DELETE".into(),
            Some(m) => {
                format!("Unknown Bulk method \"{m}\": the methods are POST, PUT, PATCH and DELETE")
            }
        }))
    } else if op.path.is_none() {
        Some(ScimError::InvalidValue(
            "A Bulk operation needs \"path\" (e.g. \"/Users\" or \"/Users/{id}\")".into(),
        ))
    } else if let Some(key) = ["bulkId", "version"].into_iter().find(|k| wrong_type(k)) {
        Some(ScimError::InvalidValue(format!(
            "\"{key}\" must be a string"
        )))
    } else if op.method == Some(Method::Post) && op.bulk_id.as_deref().is_none_or(str::is_empty) {
        // RFC 7644 §3.7: bulkId is REQUIRED when "method" is "POST".
        Some(ScimError::InvalidValue(
            "A POST operation needs a \"bulkId\" (RFC 7644 §3.7)".into(),
        ))
    } else {
        None
    };
    op
}

/// Whether `c` ends a bulkId inside a reference: references stand in paths (`/Users/bulkId:x`),
/// `$ref` URLs, filters (`[value eq "bulkId:x"]`) and whole values, so a bulkId is read up to
/// the next character that ends a path segment, a quoted value or a list.
fn ends_bulk_id(c: char) -> bool {
    matches!(
        c,
        '/' | '?' | '#' | '"' | '\'' | '[' | ']' | '(' | ')' | ',' | '&'
    ) || c.is_whitespace()
}

/// The bulkIds a text refers to, in order.
fn references_in(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(at) = rest.find(REFERENCE_PREFIX) {
        let after = &rest[at + REFERENCE_PREFIX.len()..];
        let end = after.find(ends_bulk_id).unwrap_or(after.len());
        if end > 0 && !out.iter().any(|r| r == &after[..end]) {
            out.push(after[..end].to_string());
        }
        rest = &after[end..];
    }
}

/// The bulkIds a JSON value refers to, in any string inside it (keys are names, never
/// references), in order, each once.
pub fn references(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => references_in(s, out),
        Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// Every bulkId an operation refers to, in its path and its data.
pub fn operation_references(op: &BulkOperation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &op.path {
        references_in(p, &mut out);
    }
    if let Some(d) = &op.data {
        collect(d, &mut out);
    }
    out
}

/// `text` with every reference replaced by the id `resolve` gives; `Err(bulkId)` for the first
/// reference it cannot resolve.
pub fn substitute_text(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(REFERENCE_PREFIX) {
        let after = &rest[at + REFERENCE_PREFIX.len()..];
        let end = after.find(ends_bulk_id).unwrap_or(after.len());
        out.push_str(&rest[..at]);
        if end == 0 {
            out.push_str(REFERENCE_PREFIX);
        } else {
            let id = &after[..end];
            out.push_str(&resolve(id).ok_or_else(|| id.to_string())?);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `value` with every reference in its strings replaced (see [`substitute_text`]).
pub fn substitute(
    value: &Value,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute_text(s, resolve)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| substitute(v, resolve))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            // A loop, not `collect`: each `collect` into a map instantiates a sort.
            let mut out = Map::new();
            for (k, v) in o {
                out.insert(k.clone(), substitute(v, resolve)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// An attribute a create leaves out because it refers to a resource that does not exist yet
/// (a circular reference), set by a PATCH `replace` at `path` once it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub path: String,
    pub value: Value,
}

/// Attributes a create cannot go without: a reference in them cannot wait.
const NOT_DEFERRABLE: &[&str] = &["schemas", "userName"];

/// Splits a create's `data` into what it is created with and the attributes that refer to any
/// of `ids` ([`Deferred`], set afterwards): top-level attributes by name, attributes of an
/// extension (`urn:...`) by `<urn>:<name>`, the paths a PATCH takes. `Err(attribute)` when an
/// attribute the create needs refers to one of them.
pub fn split_deferred(data: &Value, ids: &[String]) -> Result<(Value, Vec<Deferred>), String> {
    let refers = |v: &Value| references(v).iter().any(|r| ids.contains(r));
    let Some(obj) = data.as_object() else {
        return Ok((data.clone(), Vec::new()));
    };
    let mut kept = Map::new();
    let mut deferred = Vec::new();
    for (key, value) in obj {
        if !refers(value) {
            kept.insert(key.clone(), value.clone());
            continue;
        }
        if NOT_DEFERRABLE.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(key.clone());
        }
        match value.as_object() {
            Some(ext) if key.to_ascii_lowercase().starts_with("urn:") => {
                let mut ext_kept = Map::new();
                for (sub, v) in ext {
                    if refers(v) {
                        deferred.push(Deferred {
                            path: format!("{key}:{sub}"),
                            value: v.clone(),
                        });
                    } else {
                        ext_kept.insert(sub.clone(), v.clone());
                    }
                }
                kept.insert(key.clone(), Value::Object(ext_kept));
            }
            _ => deferred.push(Deferred {
                path: key.clone(),
                value: value.clone(),
            }),
        }
    }
    Ok((Value::Object(kept), deferred))
}

/// One step of a Bulk request's run.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Perform operation `op`; a create leaves out the attributes that refer to the bulkIds in
    /// `defer` (resources of a cycle that do not exist yet).
    Run { op: usize, defer: Vec<String> },
    /// Set the attributes operation `op` left out, now that what they refer to exists.
    Set { op: usize },
}

/// The order of a request's steps, and the operations that fail before they run because a
/// circular reference through them cannot be broken (409).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub problems: HashMap<usize, ScimError>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    New,
    Running,
    Done,
}

/// The steps of a request (RFC 7644 §3.7.1, §3.7.2). Operations run in request order, except
/// that an operation referring to a bulkId runs after the POST that declares it, even a later
/// one (a forward reference). A reference back to a POST that is itself waiting for this
/// operation closes a cycle: this operation, a POST, is created without the attributes that
/// refer to it, and they are set (a [`Step::Set`]) right after that POST ran. A cycle that
/// runs through something a create cannot leave out (a path, `userName`) cannot be broken: the
/// operation fails with 409. A reference to a bulkId that no POST declares is left for the
/// run to refuse (409), as is one whose POST failed.
pub fn plan(ops: &[BulkOperation]) -> Plan {
    let mut declarers: HashMap<&str, usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        if let (None, Some(Method::Post), Some(id)) = (&op.problem, op.method, &op.bulk_id) {
            declarers.entry(id.as_str()).or_insert(i);
        }
    }
    let mut planner = Planner {
        ops,
        declarers,
        state: vec![State::New; ops.len()],
        defer: vec![Vec::new(); ops.len()],
        waiting: Vec::new(),
        plan: Plan::default(),
    };
    for i in 0..ops.len() {
        if planner.state[i] == State::New {
            planner.visit(i);
        }
    }
    planner.plan
}

struct Planner<'a> {
    ops: &'a [BulkOperation],
    declarers: HashMap<&'a str, usize>,
    state: Vec<State>,
    defer: Vec<Vec<String>>,
    /// Operations with deferred attributes whose Set has not been planned yet.
    waiting: Vec<usize>,
    plan: Plan,
}

impl Planner<'_> {
    fn visit(&mut self, i: usize) {
        self.state[i] = State::Running;
        let op = &self.ops[i];
        if op.problem.is_none() {
            for b in operation_references(op) {
                let Some(&j) = self.declarers.get(b.as_str()) else {
                    continue;
                };
                match self.state[j] {
                    State::Done => {}
                    State::New => self.visit(j),
                    State::Running => {
                        if let Err(what) = self.deferrable(i, &b) {
                            self.plan.problems.insert(
                                i,
                                ScimError::Conflict(format!(
                                    "Circular reference through bulkId \"{b}\" in {what}, which \
                                     cannot be set after the user is created; nothing was done \
                                     for this operation"
                                )),
                            );
                        } else if !self.defer[i].contains(&b) {
                            self.defer[i].push(b);
                        }
                    }
                }
            }
        }
        let defer = match self.plan.problems.contains_key(&i) {
            true => Vec::new(),
            false => self.defer[i].clone(),
        };
        if !defer.is_empty() {
            self.waiting.push(i);
        }
        self.plan.steps.push(Step::Run { op: i, defer });
        self.state[i] = State::Done;
        // Sets whose references all exist now, in the order they began waiting.
        let ready: Vec<usize> = self
            .waiting
            .iter()
            .copied()
            .filter(|&k| {
                self.defer[k].iter().all(|b| {
                    self.declarers
                        .get(b.as_str())
                        .is_some_and(|&j| self.state[j] == State::Done)
                })
            })
            .collect();
        self.waiting.retain(|k| !ready.contains(k));
        self.plan
            .steps
            .extend(ready.into_iter().map(|op| Step::Set { op }));
    }

    /// Whether operation `i` can be created without what refers to `b`: `Err` names what
    /// cannot wait.
    fn deferrable(&self, i: usize, b: &str) -> Result<(), String> {
        let op = &self.ops[i];
        if op.method != Some(Method::Post) {
            return Err("an operation that is not a create".into());
        }
        let mut in_path = Vec::new();
        references_in(op.path.as_deref().unwrap_or_default(), &mut in_path);
        if in_path.iter().any(|r| r == b) {
            return Err("its path".into());
        }
        let data = op.data.clone().unwrap_or(Value::Null);
        split_deferred(&data, &[b.to_string()])
            .map(|_| ())
            .map_err(|attr| format!("\"{attr}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(body: Value) -> Vec<BulkOperation> {
        parse(body.as_object().unwrap()).unwrap().operations
    }

    fn post(bulk_id: &str, data: Value) -> Value {
        json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data})
    }

    fn request(operations: Vec<Value>) -> Value {
        json!({"schemas": [BULK_REQUEST], "Operations": operations})
    }

    fn run(op: usize) -> Step {
        Step::Run {
            op,
            defer: Vec::new(),
        }
    }

    #[test]
    fn malformed_envelopes_are_refused_whole() {
        let table: &[(Value, u16, &str)] = &[
            (json!({"Operations": []}), 400, "schemas"),
            (
                json!({"schemas": ["urn:x"], "Operations": []}),
                400,
                "schemas",
            ),
            (json!({"schemas": [BULK_REQUEST]}), 400, "Operations"),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": {}}),
                400,
                "Operations",
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [], "failOnErrors": 0}),
                400,
                "failOnErrors",
            ),
            (
                json!({"schemas": [BULK_REQUEST], "Operations": [], "failOnErrors": "1"}),
                400,
                "failOnErrors",
            ),
            (
                request(vec![json!({}); MAX_OPERATIONS + 1]),
                413,
                "maxOperations (30)",
            ),
        ];
        for (body, status, word) in table {
            let e = parse(body.as_object().unwrap()).unwrap_err();
            assert_eq!(e.status(), *status, "{body}");
            assert!(e.detail().contains(word), "{}", e.detail());
        }
        // At the limit, and with the keys in any case, the envelope is fine.
        let body = json!({"SCHEMAS": [BULK_REQUEST], "operations": vec![json!({}); MAX_OPERATIONS], "FailOnErrors": 2});
        let r = parse(body.as_object().unwrap()).unwrap();
        assert_eq!(r.operations.len(), MAX_OPERATIONS);
        assert_eq!(r.fail_on_errors, Some(2));
    }

    #[test]
    fn operations_with_a_problem_of_their_own_keep_it() {
        let all = ops(request(vec![
            json!({"method": "GET", "path": "/Users"}),
            json!({"path": "/Users"}),
            json!({"method": "DELETE"}),
            json!({"method": "POST", "path": "/Users", "data": {}}),
            post("a", json!({})),
            post("a", json!({})),
            json!({"method": "delete", "path": "/Users/1", "version": "W/\"1\""}),
            json!(7),
        ]));
        let details: Vec<Option<String>> = all
            .iter()
            .map(|o| o.problem.as_ref().map(ScimError::detail))
            .collect();
        assert!(details[0]
            .as_deref()
            .unwrap()
            .contains("Unknown Bulk method \"GET\""));
        assert!(details[1].as_deref().unwrap().contains("needs \"method\""));
        assert!(details[2].as_deref().unwrap().contains("needs \"path\""));
        assert!(details[3]
            .as_deref()
            .unwrap()
            .contains("needs a \"bulkId\""));
        assert_eq!(details[4], None);
        assert!(details[5]
            .as_deref()
            .unwrap()
            .contains("declared by an earlier"));
        assert_eq!(details[6], None);
        assert_eq!(all[6].method, Some(Method::Delete));
        assert_eq!(all[6].version.as_deref(), Some("W/\"1\""));
        assert!(details[7].as_deref().unwrap().contains("JSON object"));
    }

    #[test]
    fn references_are_found_in_values_paths_filters_and_refs() {
        let data = json!({
            "manager": {"value": "bulkId:boss", "$ref": "https://h/scim/v2/Users/bulkId:boss2"},
            "bulkId:not-a-key": "x",
            "urn:ietf:params:scim:schemas:extension:peakon:2.0:User": {"Mentor": "bulkId:m"},
            "Operations": [{"path": "members[value eq \"bulkId:f\"].display"}],
            "plain": "no reference; bulkId: alone is none",
        });
        // In the order of the document's keys (serde_json sorts them), each once.
        assert_eq!(references(&data), ["f", "boss2", "boss", "m"]);
        let ids: HashMap<&str, &str> =
            [("boss", "u1"), ("boss2", "u2"), ("m", "u3"), ("f", "u4")].into();
        let resolve = |b: &str| ids.get(b).map(|s| s.to_string());
        let done = substitute(&data, &resolve).unwrap();
        assert_eq!(done["manager"]["value"], "u1");
        assert_eq!(done["manager"]["$ref"], "https://h/scim/v2/Users/u2");
        assert_eq!(
            done["urn:ietf:params:scim:schemas:extension:peakon:2.0:User"]["Mentor"],
            "u3"
        );
        assert_eq!(
            done["Operations"][0]["path"],
            "members[value eq \"u4\"].display"
        );
        assert_eq!(done["bulkId:not-a-key"], "x");
        assert_eq!(done["plain"], data["plain"]);
        assert_eq!(
            substitute_text("/Users/bulkId:nobody", &resolve),
            Err("nobody".to_string())
        );
    }

    #[test]
    fn forward_references_run_their_creates_first() {
        let all = ops(request(vec![
            json!({"method": "PATCH", "path": "/Users/bulkId:b", "data": {}}),
            post("a", json!({"userName": "a", "manager": "bulkId:b"})),
            post("b", json!({"userName": "b"})),
            json!({"method": "DELETE", "path": "/Users/bulkId:nobody"}),
        ]));
        let p = plan(&all);
        assert_eq!(p.steps, [run(2), run(0), run(1), run(3)]);
        assert!(p.problems.is_empty());
    }

    #[test]
    fn a_cycle_of_creates_is_broken_by_setting_the_reference_after() {
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let all = ops(request(vec![
            post(
                "a",
                json!({"userName": "a", enterprise: {"manager": {"value": "bulkId:b"}, "department": "x"}}),
            ),
            post(
                "b",
                json!({"userName": "b", enterprise: {"manager": {"value": "bulkId:a"}}}),
            ),
            post("self", json!({"userName": "s", "nickName": "bulkId:self"})),
        ]));
        let p = plan(&all);
        assert_eq!(
            p.steps,
            [
                Step::Run {
                    op: 1,
                    defer: vec!["a".into()]
                },
                run(0),
                Step::Set { op: 1 },
                Step::Run {
                    op: 2,
                    defer: vec!["self".into()]
                },
                Step::Set { op: 2 },
            ]
        );
        let (kept, deferred) =
            split_deferred(all[1].data.as_ref().unwrap(), &["a".into()]).unwrap();
        assert_eq!(kept, json!({"userName": "b", enterprise: {}}));
        assert_eq!(
            deferred,
            [Deferred {
                path: format!("{enterprise}:manager"),
                value: json!({"value": "bulkId:a"})
            }]
        );
    }

    #[test]
    fn a_cycle_through_what_a_create_needs_cannot_be_broken() {
        let all = ops(request(vec![
            post("a", json!({"userName": "bulkId:b"})),
            post("b", json!({"userName": "b", "title": "bulkId:a"})),
        ]));
        let p = plan(&all);
        // a waits for b, b for a: b can wait (its title), so it is b that is set afterwards.
        assert_eq!(p.problems.len(), 0);
        assert_eq!(
            p.steps,
            [
                Step::Run {
                    op: 1,
                    defer: vec!["a".into()]
                },
                run(0),
                Step::Set { op: 1 },
            ]
        );
        let all = ops(request(vec![
            post("a", json!({"userName": "bulkId:b"})),
            post("b", json!({"userName": "bulkId:a"})),
        ]));
        let p = plan(&all);
        assert_eq!(p.steps, [run(1), run(0)]);
        let e = &p.problems[&1];
        assert_eq!(e.status(), 409);
        assert!(
            e.detail().contains("bulkId \"a\" in \"userName\""),
            "{}",
            e.detail()
        );
    }

    #[test]
    fn operation_counts_for_the_rate_limiter() {
        assert_eq!(
            operation_count(br#"{"schemas":[],"Operations":[{},{},{}]}"#),
            Some(3)
        );
        assert_eq!(operation_count(br#"{"operations":[]}"#), Some(0));
        assert_eq!(operation_count(b"not json"), None);
        assert_eq!(operation_count(br#"{"Operations":{}}"#), None);
    }
}
