//! The golden fixtures (`tests/fixtures/`, see `common::fixtures`) on the host: every file is
//! well formed and in the list both suites run (`common::scenarios::shared_tests!`, which
//! replays each file, host and end-to-end); and the fixture engine's own tests.

use crate::common::fixtures;
use crate::common::scenarios::FIXTURE_FILES;

#[test]
fn every_fixture_file_is_well_formed_and_has_a_test() {
    let mut listed: Vec<&str> = FIXTURE_FILES.to_vec();
    listed.sort_unstable();
    assert_eq!(
        fixtures::files(),
        listed,
        "a fixture file missing from `shared_tests!` (tests/common/scenarios/mod.rs), or listed \
         there without its file"
    );
    for file in FIXTURE_FILES {
        if let Err(e) = fixtures::validate(&fixtures::load(file)) {
            panic!("{file}: {e}");
        }
    }
}

/// The engine: patterns, templates, and a run against a scripted client.
mod engine {
    use crate::common::fixtures::{
        encode_uri, eval_vars, is_rfc3339, match_pattern, render, run_fixture, validate, Vars,
    };
    use crate::common::{Client, Reply, Tenant};
    use serde_json::{json, Value};
    use std::cell::RefCell;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    fn check(pattern: Value, actual: Value) -> Result<(), String> {
        match_pattern(&pattern, Some(&actual), &vars(&[("id", "u1")]), "")
    }

    #[test]
    fn objects_match_as_subsets_and_arrays_element_wise() {
        assert!(check(json!({"a": 1}), json!({"a": 1, "b": 2})).is_ok());
        assert!(check(
            json!({"a": {"b": true}}),
            json!({"a": {"b": true, "c": null}})
        )
        .is_ok());
        let e = check(json!({"a": {"b": true}}), json!({"a": {"b": false}})).unwrap_err();
        assert_eq!(e, "at /a/b: expected true, got false");
        let e = check(json!({"a": 1}), json!({"b": 1})).unwrap_err();
        assert_eq!(e, "at /a: expected 1, got nothing (absent)");
        assert!(check(json!([1, {"x": 2}]), json!([1, {"x": 2, "y": 3}])).is_ok());
        let e = check(json!([1]), json!([1, 2])).unwrap_err();
        assert_eq!(e, "at /: expected 1 element(s), got 2: [1,2]");
        let e = check(
            json!({"r": [{"x": 1}, {"x": 2}]}),
            json!({"r": [{"x": 1}, {"x": 3}]}),
        )
        .unwrap_err();
        assert_eq!(e, "at /r/1/x: expected 2, got 3");
        // Literals are typed: Runscope's "true" is not JSON true, 1 is not 1.0.
        assert!(check(json!(true), json!("true")).is_err());
        assert!(check(json!(1), json!(1.0)).is_err());
        assert!(check(json!(null), json!(null)).is_ok());
        assert!(check(json!({"a": null}), json!({})).is_err());
        // Keys with '/' are escaped in the pointer.
        let e = check(json!({"a/b": 1}), json!({"a/b": 2})).unwrap_err();
        assert_eq!(e, "at /a~1b: expected 1, got 2");
    }

    #[test]
    fn contains_and_one_of() {
        let schemas = json!({"$contains": ["urn:b"]});
        assert!(check(schemas.clone(), json!(["urn:a", "urn:b"])).is_ok());
        assert!(check(schemas.clone(), json!(["urn:a"])).is_err());
        assert!(check(schemas, json!("urn:b")).is_err());
        assert!(check(
            json!({"$contains": [{"type": "work"}]}),
            json!([{"type": "home"}, {"type": "work", "value": "x"}])
        )
        .is_ok());
        let groups = json!({"g": {"$oneOf": [[], "{{absent}}"]}});
        assert!(check(groups.clone(), json!({})).is_ok());
        assert!(check(groups.clone(), json!({"g": []})).is_ok());
        let e = check(groups, json!({"g": [1]})).unwrap_err();
        assert!(e.starts_with("at /g: none of $oneOf matched:"), "{e}");
        assert!(check(
            json!({"$oneOf": [{"value": "{{id}}"}, "{{id}}"]}),
            json!("u1")
        )
        .is_ok());
        assert!(check(
            json!({"$oneOf": [{"value": "{{id}}"}, "{{id}}"]}),
            json!({"value": "u1", "$ref": "x"})
        )
        .is_ok());
    }

    #[test]
    fn each_placeholder() {
        assert!(check(json!({"a": "{{any}}"}), json!({"a": false})).is_ok());
        assert!(check(json!({"a": "{{any}}"}), json!({"a": null})).is_err());
        assert!(check(json!({"a": "{{any}}"}), json!({})).is_err());
        assert!(check(json!({"a": "{{nonempty}}"}), json!({"a": "x"})).is_ok());
        for empty in [json!(""), json!([]), json!({}), json!(null)] {
            assert!(check(json!({"a": "{{nonempty}}"}), json!({ "a": empty })).is_err());
        }
        assert!(check(json!({"a": "{{absent}}"}), json!({})).is_ok());
        let e = check(json!({"a": "{{absent}}"}), json!({"a": null})).unwrap_err();
        assert_eq!(e, "at /a: expected {{absent}}, got null");
        assert!(check(json!("{{number}}"), json!(20)).is_ok());
        assert!(check(json!("{{number}}"), json!("20")).is_err());
        assert!(check(
            json!("{{uuid}}"),
            json!("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
        )
        .is_ok());
        assert!(check(json!("{{uuid}}"), json!("48af03ac28ad4fb88478")).is_err());
        assert!(check(json!("{{rfc3339}}"), json!("2018-03-27T19:59:26.000Z")).is_ok());
        for good in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05+01:00",
            "2026-01-02t03:04:05.1z",
        ] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "2026-01-02",
            "2026-01-02 03:04:05Z",
            "2026-13-02T03:04:05Z",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05.Z",
            "2026-01-02T03:04:05+0100",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
        // Variables and the {{*}} wildcard inside a string.
        assert!(check(json!("{{id}}"), json!("u1")).is_ok());
        let e = check(json!("{{id}}"), json!("u2")).unwrap_err();
        assert_eq!(e, "at /: expected \"u1\", got \"u2\"");
        assert!(check(
            json!("https://{{*}}/Users/{{id}}"),
            json!("https://h.example/scim/v2/Users/u1")
        )
        .is_ok());
        assert!(check(
            json!("application/scim+json{{*}}"),
            json!("application/scim+json; charset=utf-8")
        )
        .is_ok());
        assert!(check(
            json!("application/scim+json{{*}}"),
            json!("application/json")
        )
        .is_err());
        assert!(check(json!("a{{*}}b{{*}}c"), json!("a-b-c")).is_ok());
        assert!(check(json!("a{{*}}b{{*}}c"), json!("a-c-b")).is_err());
        assert!(check(json!("ab{{*}}ba"), json!("aba")).is_err());
        // An undefined variable is an error of the fixture, said as such.
        let e = check(json!("{{nope}}"), json!("x")).unwrap_err();
        assert!(e.contains("{{nope}} is not defined"), "{e}");
    }

    #[test]
    fn templates_generators_and_vars() {
        let v = vars(&[("user", "Runscope1Abc@atko.com")]);
        assert_eq!(
            render("{{user|upper}}", &v, true).unwrap(),
            "RUNSCOPE1ABC@ATKO.COM"
        );
        assert_eq!(
            render("x {{ user | lower }} y", &v, true).unwrap(),
            "x runscope1abc@atko.com y"
        );
        let a = render("{{random}}", &v, true).unwrap();
        let b = render("{{random}}", &v, true).unwrap();
        assert_eq!(a.len(), 10);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{a}"
        );
        assert_ne!(a, b, "each occurrence is fresh");
        let g = render("{{guid}}", &v, true).unwrap();
        assert!(check(json!("{{uuid}}"), json!(g)).is_ok(), "{g}");
        assert_eq!(&g[14..15], "4", "version 4: {g}");
        assert!(
            render("{{random}}", &v, false).is_err(),
            "generators are for requests only"
        );
        // vars are evaluated in dependency order, whatever their order in the file.
        let defs = json!({"caps": "{{email|upper}}", "email": "{{given}}@atko.com", "given": "Runscope{{random}}"});
        let mut out = Vars::new();
        eval_vars(defs.as_object().unwrap(), &mut out).unwrap();
        let email = out["email"].as_str().unwrap().to_string();
        assert!(
            email.starts_with("Runscope") && email.ends_with("@atko.com"),
            "{email}"
        );
        assert_eq!(out["given"].as_str().unwrap(), &email[..email.len() - 9]);
        assert_eq!(out["caps"].as_str().unwrap(), email.to_uppercase());
        let circular = json!({"a": "{{b}}", "b": "{{a}}"});
        assert!(eval_vars(circular.as_object().unwrap(), &mut Vars::new()).is_err());
    }

    #[test]
    fn paths_are_percent_encoded_as_uris_need() {
        assert_eq!(
            encode_uri("/Users?filter=userName eq \"a@b.c\""),
            "/Users?filter=userName%20eq%20%22a@b.c%22"
        );
        assert_eq!(
            encode_uri("/Users?filter=emails[type eq \"work\"].value eq \"x\""),
            "/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22x%22"
        );
        assert_eq!(
            encode_uri("/Users?filter=userName%20eq%20%22x%22&count=1"),
            "/Users?filter=userName%20eq%20%22x%22&count=1"
        );
        assert_eq!(encode_uri("/Users/é"), "/Users/%C3%A9");
    }

    #[test]
    fn validation_names_what_is_wrong() {
        let ok = json!({"source": "Doc — https://example.com", "steps": [
            {"name": "s", "request": {"method": "GET", "path": "/Users"}, "expect": {"status": 200}, "capture": {"id": "/id"}},
            {"name": "t", "request": {"method": "GET", "path": "/Users/{{id}}"}, "expect": {"status": 200, "body": {"id": "{{id}}"}}}
        ]});
        assert_eq!(validate(&ok), Ok(()));
        let cases = [
            (
                json!({"name": "s", "request": {"method": "GET", "path": "/Users/{{id}}"}, "expect": {"status": 200}}),
                "{{id}} is not defined before this point",
            ),
            (
                json!({"name": "s", "request": {"method": "GET", "path": "Users"}, "expect": {"status": 200}}),
                "must start with '/'",
            ),
            (
                json!({"name": "s", "request": {"method": "GET", "path": "/Users"}, "expect": {"stauts": 200}}),
                "unknown key \"stauts\"",
            ),
            (
                json!({"name": "s", "request": {"method": "GET", "path": "/Users"}, "expect": {"status": 200, "body": {"a": "{{random}}"}}}),
                "cannot be expected",
            ),
            (
                json!({"name": "s", "request": {"method": "GET", "path": "/Users"}, "expect": {"status": 200, "body": {"a": "x{{any}}"}}}),
                "matches a whole value",
            ),
            (
                json!({"name": "s", "request": {"method": "GET", "path": "/Users"}, "expect": {"status": 200, "body": {"$has": [1]}}}),
                "unknown operator $has",
            ),
            (
                json!({"name": "s", "request": {"method": "GET", "path": "/Users"}, "expect": {"status": 200}, "capture": {"id": "id"}}),
                "JSON pointer",
            ),
        ];
        for (step, want) in cases {
            let fixture = json!({"source": "Doc — https://example.com", "steps": [step]});
            let e = validate(&fixture).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want})");
        }
        assert!(validate(&json!({"source": "no address", "steps": []}))
            .unwrap_err()
            .contains("URL"));
    }

    /// A request as the client got it: method, path, headers, body.
    type Sent = (String, String, Vec<(String, String)>, Option<String>);

    /// Answers from a script; records what it was sent.
    struct Scripted {
        replies: RefCell<Vec<Reply>>,
        sent: RefCell<Vec<Sent>>,
    }

    impl Scripted {
        fn new(replies: Vec<(u16, &str, &str)>) -> Scripted {
            let replies = replies
                .into_iter()
                .rev()
                .map(|(status, content_type, body)| Reply {
                    status,
                    headers: if content_type.is_empty() {
                        vec![]
                    } else {
                        vec![("content-type".into(), content_type.into())]
                    },
                    body: body.into(),
                })
                .collect();
            Scripted {
                replies: RefCell::new(replies),
                sent: RefCell::new(vec![]),
            }
        }
    }

    impl Client for Scripted {
        fn send(
            &self,
            method: &str,
            path: &str,
            headers: &[(&str, &str)],
            body: Option<&[u8]>,
        ) -> Reply {
            self.sent.borrow_mut().push((
                method.into(),
                path.into(),
                headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body.map(|b| String::from_utf8(b.to_vec()).unwrap()),
            ));
            self.replies
                .borrow_mut()
                .pop()
                .expect("a scripted reply for every request")
        }
        fn admin_token(&self) -> &str {
            "adm"
        }
        fn origin(&self) -> String {
            "http://scripted.test".into()
        }
        fn is_e2e(&self) -> bool {
            false
        }
        /// A script has no clock; fixtures never wait.
        fn tick(&self, _ms: u64) {}
        fn new_tenant(&self, _name: &str) -> Tenant {
            Tenant {
                id: "tnt_1".into(),
                token: "scim_tok".into(),
                token_id: "tok_1".into(),
            }
        }
    }

    const SCIM: &str = "application/scim+json; charset=utf-8";

    fn fixture() -> Value {
        json!({
            "source": "A test document — https://example.com/doc",
            "vars": {"user": "Runscope{{random}}@atko.com", "auth": "Bearer {{token}}"},
            "steps": [
                {
                    "name": "Create",
                    "request": {"method": "POST", "path": "/Users", "headers": {"Content-Type": null, "User-Agent": "Okta SCIM Client 1.0.0"},
                                "body": {"userName": "{{user}}", "active": true}},
                    "expect": {"status": 201, "headers": {"content-type": "application/scim+json{{*}}"}, "body": {"userName": "{{user}}"}},
                    "capture": {"id": "/id"}
                },
                {
                    "name": "Find, upper-cased",
                    "request": {"method": "GET", "path": "/Users?filter=userName eq \"{{user|upper}}\"", "headers": {"Authorization": "{{auth}}"}},
                    "expect": {"status": 200, "body": {"Resources": [{"id": "{{id}}"}]}}
                },
                {
                    "name": "Deactivate",
                    "request": {"method": "PATCH", "path": "/Users/{{id}}", "body": {"Operations": [{"op": "replace", "value": {"active": false}}]}},
                    "expect": [{"status": 200, "body": {"active": false}}, {"status": 204, "body": "{{absent}}"}]
                },
                {
                    "name": "Check status 401",
                    "request": {"method": "GET", "path": "/Users", "headers": {"Authorization": "non-token"}},
                    "expect": {"status": 401, "body": {"detail": "{{nonempty}}"}}
                }
            ]
        })
    }

    #[test]
    fn a_run_sends_what_the_steps_say_and_carries_captures() {
        let client = Scripted::new(vec![
            (201, SCIM, r#"{"id": "u-1", "userName": "x"}"#),
            (200, SCIM, r#"{"Resources": [{"id": "u-1"}]}"#),
            (204, "", ""),
            (
                401,
                SCIM,
                r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401", "detail": "no"}"#,
            ),
        ]);
        // The answer's userName is not the generated one: the run stops at the first step.
        let e = run_fixture(&client, "t.json", &fixture()).unwrap_err();
        assert!(e.contains("step 1/4: \"Create\""), "{e}");
        assert_eq!(client.sent.borrow().len(), 1);
        let body: Value =
            serde_json::from_str(client.sent.borrow()[0].3.as_deref().unwrap()).unwrap();
        let generated = body["userName"].as_str().unwrap();
        assert!(
            generated.starts_with("Runscope") && generated.ends_with("@atko.com"),
            "{generated}"
        );

        // With a fixed userName, the scripted answers echo it and every step passes.
        let mut fx = fixture();
        fx["vars"]["user"] = json!("Runscope1abc@atko.com");
        let client = Scripted::new(vec![
            (
                201,
                SCIM,
                r#"{"id": "u-1", "userName": "Runscope1abc@atko.com"}"#,
            ),
            (200, SCIM, r#"{"Resources": [{"id": "u-1"}]}"#),
            (204, "", ""),
            (
                401,
                SCIM,
                r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401", "detail": "no"}"#,
            ),
        ]);
        run_fixture(&client, "t.json", &fx).unwrap();
        let sent = client.sent.borrow();
        let header = |i: usize, name: &str| -> Option<String> {
            sent[i]
                .2
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        // 1: the default Authorization, Content-Type removed, User-Agent added, body rendered.
        assert_eq!(
            (sent[0].0.as_str(), sent[0].1.as_str()),
            ("POST", "/scim/v2/Users")
        );
        assert_eq!(
            header(0, "authorization").as_deref(),
            Some("Bearer scim_tok")
        );
        assert_eq!(header(0, "content-type"), None);
        assert_eq!(
            header(0, "user-agent").as_deref(),
            Some("Okta SCIM Client 1.0.0")
        );
        assert_eq!(
            sent[0].3.as_deref(),
            Some(r#"{"active":true,"userName":"Runscope1abc@atko.com"}"#)
        );
        // 2: the path rendered, filtered and encoded; an explicit Authorization; no body, no type.
        assert_eq!(
            sent[1].1,
            "/scim/v2/Users?filter=userName%20eq%20%22RUNSCOPE1ABC@ATKO.COM%22"
        );
        assert_eq!(
            header(1, "authorization").as_deref(),
            Some("Bearer scim_tok")
        );
        assert_eq!(header(1, "content-type"), None);
        assert_eq!(sent[1].3, None);
        // 3: the captured id in the path; a body gets the SCIM type by default.
        assert_eq!(sent[2].1, "/scim/v2/Users/u-1");
        assert_eq!(
            header(2, "content-type").as_deref(),
            Some("application/scim+json")
        );
        // 4: the step's Authorization replaces the default one.
        assert_eq!(header(3, "authorization").as_deref(), Some("non-token"));
        assert_eq!(
            sent[3]
                .2
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .count(),
            1
        );
    }

    #[test]
    fn a_mismatch_names_the_fixture_the_step_what_differed_and_the_answer() {
        let mut fx = fixture();
        fx["vars"]["user"] = json!("Runscope1abc@atko.com");
        let client = Scripted::new(vec![
            (
                201,
                SCIM,
                r#"{"id": "u-1", "userName": "Runscope1abc@atko.com"}"#,
            ),
            (200, SCIM, r#"{"Resources": [{"id": "u-2"}]}"#),
        ]);
        let e = run_fixture(&client, "okta-x.json", &fx).unwrap_err();
        assert_eq!(
            e,
            "fixture okta-x.json (A test document)\n  \
             step 2/4: \"Find, upper-cased\"\n  \
             request: GET /scim/v2/Users?filter=userName%20eq%20%22RUNSCOPE1ABC@ATKO.COM%22\n  \
             mismatch: body at /Resources/0/id: expected \"u-1\", got \"u-2\"\n  \
             answer: 200 {\"Resources\": [{\"id\": \"u-2\"}]}"
        );
    }

    #[test]
    fn alternatives_list_why_each_failed() {
        let mut fx = fixture();
        fx["vars"]["user"] = json!("a@b.c");
        let client = Scripted::new(vec![
            (201, SCIM, r#"{"id": "u-1", "userName": "a@b.c"}"#),
            (200, SCIM, r#"{"Resources": [{"id": "u-1"}]}"#),
            (200, SCIM, r#"{"active": "False"}"#),
        ]);
        let e = run_fixture(&client, "t.json", &fx).unwrap_err();
        assert!(e.contains("no allowed answer matched:\n    answer 1: body at /active: expected false, got \"False\"\n    answer 2: status: expected 204, got 200"), "{e}");
    }

    #[test]
    fn error_answers_must_be_scim_errors() {
        let mut fx = fixture();
        fx["vars"]["user"] = json!("a@b.c");
        let ok = |last: &str| {
            Scripted::new(vec![
                (201, SCIM, r#"{"id": "u-1", "userName": "a@b.c"}"#),
                (200, SCIM, r#"{"Resources": [{"id": "u-1"}]}"#),
                (204, "", ""),
                (401, SCIM, Box::leak(last.to_string().into_boxed_str())),
            ])
        };
        let e =
            run_fixture(&ok(r#"{"status": "401", "detail": "no"}"#), "t.json", &fx).unwrap_err();
        assert!(
            e.contains("SCIM error (RFC 7644 §3.12): at /schemas: expected an array containing"),
            "{e}"
        );
        let e = run_fixture(&ok(r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": 401, "detail": "no"}"#), "t.json", &fx)
            .unwrap_err();
        assert!(
            e.contains("status as a string: at /status: expected \"401\", got 401"),
            "{e}"
        );
        let e = run_fixture(&ok("Unauthorized"), "t.json", &fx).unwrap_err();
        assert!(e.contains("body: not JSON"), "{e}");
        assert!(e.contains("answer: 401 Unauthorized"), "{e}");
    }

    #[test]
    fn headers_and_empty_bodies_are_checked() {
        let mut fx = fixture();
        fx["vars"]["user"] = json!("a@b.c");
        let client = Scripted::new(vec![(
            201,
            "application/json",
            r#"{"id": "u-1", "userName": "a@b.c"}"#,
        )]);
        let e = run_fixture(&client, "t.json", &fx).unwrap_err();
        assert!(e.contains("mismatch: header content-type: expected \"application/scim+json{{*}}\", got \"application/json\""), "{e}");
        let client = Scripted::new(vec![(201, "", r#"{"id": "u-1", "userName": "a@b.c"}"#)]);
        let e = run_fixture(&client, "t.json", &fx).unwrap_err();
        assert!(e.contains("header content-type: expected \"application/scim+json{{*}}\", got nothing (absent)"), "{e}");
        let client = Scripted::new(vec![
            (201, SCIM, r#"{"id": "u-1", "userName": "a@b.c"}"#),
            (200, SCIM, r#"{"Resources": [{"id": "u-1"}]}"#),
            (204, "", "{}"),
        ]);
        let e = run_fixture(&client, "t.json", &fx).unwrap_err();
        assert!(e.contains("answer 2: body: expected none"), "{e}");
    }

    #[test]
    fn a_capture_that_finds_nothing_fails_the_step() {
        let mut fx = fixture();
        fx["vars"]["user"] = json!("a@b.c");
        let client = Scripted::new(vec![(201, SCIM, r#"{"userName": "a@b.c"}"#)]);
        let e = run_fixture(&client, "t.json", &fx).unwrap_err();
        assert!(e.contains("capture id: nothing at /id"), "{e}");
    }
}
