//! The engine's tables: RFC 7644 §3.5.2's User examples (named by section), what Okta and
//! Entra send, multi-valued semantics, and every refusal with its `scimType` and detail.

use super::*;
use crate::scim::schema::ENTERPRISE_USER as ENT;
use crate::scim::tenant::CustomType;
use serde_json::json;
use std::sync::Arc;

fn doc(v: Value) -> Doc {
    v.as_object().cloned().unwrap_or_default()
}

fn run_with(schema: &TenantSchema, start: &Value, ops: Value) -> Result<Value, ScimError> {
    let body = json!({ "schemas": [PATCH_OP], "Operations": ops });
    let ops = parse_request(body.as_object().unwrap())?;
    apply(&doc(start.clone()), &ops, schema).map(|p| Value::Object(p.doc))
}

fn run(start: &Value, ops: Value) -> Result<Value, ScimError> {
    run_with(&TenantSchema::default(), start, ops)
}

/// Babs Jensen of RFC 7643 §8.2, as the service stores her (abridged).
fn bjensen() -> Value {
    json!({
        "userName": "bjensen@example.com",
        "externalId": "bjensen",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA",
             "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood", "region": "CA",
             "postalCode": "91608", "country": "USA", "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"}
        ],
        "active": true
    })
}

/// `bjensen()` with `changes` applied: each key replaced (or removed when null).
fn bjensen_with(changes: Value) -> Value {
    let mut b = bjensen();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            b.as_object_mut().unwrap().remove(k);
        } else {
            b[k] = v.clone();
        }
    }
    b
}

#[test]
fn rfc7644_3_5_2_1_add_emails_and_nickname() {
    let ops = json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}}]);
    let want = bjensen_with(json!({
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
        "nickName": "Babs"
    }));
    assert_eq!(run(&bjensen(), ops.clone()), Ok(want.clone()));
    // "If the target location already contains the value specified, no changes SHOULD be made."
    assert_eq!(run(&want, ops), Ok(want));
}

#[test]
fn rfc7644_3_5_2_2_remove_work_emails_ending_in_example_com() {
    let start = bjensen_with(json!({"emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"}
    ]}));
    let ops =
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]);
    assert_eq!(
        run(&start, ops),
        Ok(bjensen_with(
            json!({"emails": [{"value": "babs@jensen.org", "type": "home"}]})
        ))
    );
}

#[test]
fn rfc7644_3_5_2_2_remove_every_value_of_an_attribute() {
    assert_eq!(
        run(&bjensen(), json!([{"op": "remove", "path": "emails"}])),
        Ok(bjensen_with(json!({"emails": null})))
    );
}

#[test]
fn rfc7644_3_5_2_3_replace_work_address() {
    let address = json!({
        "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood", "region": "CA",
        "postalCode": "91608", "country": "US", "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US", "primary": true
    });
    let ops = json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": address}]);
    let mut want = bjensen();
    want["addresses"][0] = address;
    assert_eq!(run(&bjensen(), ops), Ok(want));
}

#[test]
fn rfc7644_3_5_2_3_replace_work_street_address() {
    let ops = json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]);
    let mut want = bjensen();
    want["addresses"][0]["streetAddress"] = json!("1010 Broadway Ave");
    assert_eq!(run(&bjensen(), ops), Ok(want));
}

#[test]
fn rfc7644_3_5_2_3_replace_emails_and_nickname_without_path() {
    let emails = json!([{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}]);
    let ops = json!([{"op": "replace", "value": {"emails": emails, "nickname": "Babs"}}]);
    assert_eq!(
        run(&bjensen(), ops),
        Ok(bjensen_with(json!({"emails": emails, "nickName": "Babs"})))
    );
}

#[test]
fn okta_deactivates_and_reactivates_without_a_path() {
    let start = json!({"userName": "a", "active": true});
    let off = run(
        &start,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .unwrap();
    assert_eq!(off, json!({"userName": "a", "active": false}));
    assert_eq!(
        run(&off, json!([{"op": "replace", "value": {"active": true}}])),
        Ok(start)
    );
}

/// One line per payload Microsoft Entra ID sends (fixtures `entra-known-issues-scim-compliance`
/// and `entra-tutorial-user-operations`, DESIGN §6): operations → the user's changed attributes.
#[test]
fn entra_payloads() {
    let start = json!({
        "userName": "u@contoso.com", "active": true,
        "emails": [{"value": "u@contoso.com", "type": "work", "primary": true}],
        "name": {"givenName": "G", "familyName": "F"}
    });
    let table: Vec<(&str, Value, Value)> = vec![
        (
            "Replace with a string boolean",
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            json!({"active": false}),
        ),
        (
            "REMOVE in capitals",
            json!([{"op": "REMOVE", "path": "name.familyName"}]),
            json!({"name": {"givenName": "G"}}),
        ),
        (
            "Add of a single-valued attribute",
            json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
            json!({"nickName": "Babs"}),
        ),
        (
            "several capitalised Replace operations",
            json!([
                {"op": "Replace", "path": "displayName", "value": "Pvlo"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "T@test.microsoft.com"},
                {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
                {"op": "Replace", "path": "externalId", "value": "Eqpj"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "Eqpj"}
            ]),
            json!({
                "displayName": "Pvlo", "externalId": "Eqpj", "name": {"givenName": "Gtfd", "familyName": "F"},
                "emails": [{"value": "T@test.microsoft.com", "type": "work", "primary": true}],
                ENT: {"employeeNumber": "Eqpj"}
            }),
        ),
        (
            "path-less replace with dotted and URN keys (aadOptscim062020)",
            json!([{"op": "replace", "value": {
                "displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }}]),
            json!({"displayName": "Bjfe", "name": {"givenName": "Kkom", "familyName": "Unua"}, ENT: {"employeeNumber": "Aklq"}}),
        ),
        (
            "a work email where there is none creates it (DESIGN §6)",
            json!([{"op": "Remove", "path": "emails"}, {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@contoso.com"}]),
            json!({"emails": [{"type": "work", "value": "w@contoso.com"}]}),
        ),
        (
            "the manager as a bare id",
            json!([{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"}]),
            json!({ENT: {"manager": {"value": "m-1"}}}),
        ),
        (
            "the manager as {\"value\": id}",
            json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "m-2"}}]),
            json!({ENT: {"manager": {"value": "m-2"}}}),
        ),
        (
            "the manager as a one-element array (tutorial, Example 5)",
            json!([{"op": "Add", "path": "manager", "value": [{"$ref": "http://.../scim/Users/m-3", "value": "m-3"}]}]),
            json!({ENT: {"manager": {"value": "m-3", "$ref": "http://.../scim/Users/m-3"}}}),
        ),
        (
            "remove of the manager",
            json!([
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
                {"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}
            ]),
            json!({}),
        ),
        (
            "app roles are not kept: ignored",
            json!([{"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "User"}, {"op": "Replace", "path": "roles", "value": []}]),
            json!({}),
        ),
    ];
    for (name, ops, changes) in table {
        let mut want = start.clone();
        for (k, v) in changes.as_object().unwrap() {
            want[k] = v.clone();
        }
        assert_eq!(run(&start, ops), Ok(want), "{name}");
    }
}

/// Each attribute of the schema can be added, replaced and removed (what scim2-tester checks):
/// operation → the document afterwards, from a user with only a userName.
#[test]
fn every_attribute_can_be_added_replaced_and_removed() {
    let start = json!({"userName": "a"});
    let email = json!({"value": "a@x.com", "type": "work", "primary": true, "display": "A"});
    let address = json!({"formatted": "F", "streetAddress": "S", "locality": "L", "region": "R", "postalCode": "P", "country": "DK", "type": "home", "primary": true});
    let name = json!({"formatted": "F", "familyName": "Fa", "givenName": "G", "middleName": "M", "honorificPrefix": "Ms.", "honorificSuffix": "III"});
    let enterprise = json!({"employeeNumber": "1", "costCenter": "2", "organization": "3", "division": "4", "department": "5", "manager": {"value": "m", "$ref": "https://h/Users/m"}});
    let table: Vec<(&str, Value, Value)> = vec![
        ("externalId", json!("e-1"), json!({"externalId": "e-1"})),
        ("name", name.clone(), json!({"name": name})),
        ("displayName", json!("D"), json!({"displayName": "D"})),
        ("nickName", json!("N"), json!({"nickName": "N"})),
        (
            "profileUrl",
            json!("https://x.test"),
            json!({"profileUrl": "https://x.test"}),
        ),
        ("title", json!("T"), json!({"title": "T"})),
        (
            "userType",
            json!("Employee"),
            json!({"userType": "Employee"}),
        ),
        (
            "preferredLanguage",
            json!("da"),
            json!({"preferredLanguage": "da"}),
        ),
        ("locale", json!("da-DK"), json!({"locale": "da-DK"})),
        (
            "timezone",
            json!("Europe/Copenhagen"),
            json!({"timezone": "Europe/Copenhagen"}),
        ),
        ("active", json!(false), json!({"active": false})),
        ("emails", json!([email]), json!({"emails": [email]})),
        (
            "phoneNumbers",
            json!([{"value": "123", "type": "mobile", "primary": true}]),
            json!({"phoneNumbers": [{"value": "123", "type": "mobile", "primary": true}]}),
        ),
        (
            "ims",
            json!([{"value": "a", "type": "xmpp", "primary": false}]),
            json!({"ims": [{"value": "a", "type": "xmpp", "primary": false}]}),
        ),
        (
            "photos",
            json!([{"value": "https://p.test", "type": "photo"}]),
            json!({"photos": [{"value": "https://p.test", "type": "photo"}]}),
        ),
        (
            "addresses",
            json!([address]),
            json!({"addresses": [address]}),
        ),
        (
            ENT,
            json!({"schemas": [ENT], "employeeNumber": "1", "costCenter": "2", "organization": "3", "division": "4", "department": "5", "manager": {"value": "m", "$ref": "https://h/Users/m"}}),
            json!({ENT: enterprise}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            json!("1"),
            json!({ENT: {"employeeNumber": "1"}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
            json!("2"),
            json!({ENT: {"costCenter": "2"}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
            json!("3"),
            json!({ENT: {"organization": "3"}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
            json!("4"),
            json!({ENT: {"division": "4"}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            json!("5"),
            json!({ENT: {"department": "5"}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            json!({"value": "m", "$ref": "https://h/Users/m"}),
            json!({ENT: {"manager": {"value": "m", "$ref": "https://h/Users/m"}}}),
        ),
        (
            "name.givenName",
            json!("G"),
            json!({"name": {"givenName": "G"}}),
        ),
        (
            "emails.value",
            json!("a@x.com"),
            json!({"emails": [{"value": "a@x.com"}]}),
        ),
        (
            "addresses.locality",
            json!("L"),
            json!({"addresses": [{"locality": "L"}]}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            json!("m"),
            json!({ENT: {"manager": {"value": "m"}}}),
        ),
    ];
    for (path, value, added) in table {
        let mut want = start.clone();
        for (k, v) in added.as_object().unwrap() {
            want[k] = v.clone();
        }
        for op in ["add", "replace"] {
            let got = run(&start, json!([{"op": op, "path": path, "value": value}]));
            assert_eq!(got, Ok(want.clone()), "{op} {path}");
        }
        assert_eq!(
            run(&want, json!([{"op": "remove", "path": path}])),
            Ok(start.clone()),
            "remove {path}"
        );
    }
}

/// Multi-valued attributes (RFC 7644 §3.5.2.1–3): from `start`, operations → `emails` after.
#[test]
fn multi_valued_semantics() {
    let start = json!({"userName": "a", "emails": [
        {"value": "w@x.com", "type": "work", "primary": true},
        {"value": "h@x.com", "type": "home"}
    ]});
    let table: Vec<(&str, Value, Value)> = vec![
        (
            "add appends",
            json!([{"op": "add", "path": "emails", "value": [{"value": "o@x.com", "type": "other"}]}]),
            json!([{"value": "w@x.com", "type": "work", "primary": true}, {"value": "h@x.com", "type": "home"}, {"value": "o@x.com", "type": "other"}]),
        ),
        (
            "add of a value present (ignoring case) merges into it",
            json!([{"op": "add", "path": "emails", "value": {"value": "H@X.COM", "type": "Home", "display": "Home"}}]),
            json!([{"value": "w@x.com", "type": "work", "primary": true}, {"value": "H@X.COM", "type": "Home", "display": "Home"}]),
        ),
        (
            "a new primary value unsets the old one",
            json!([{"op": "add", "path": "emails", "value": [{"value": "o@x.com", "type": "other", "primary": "True"}]}]),
            json!([{"value": "w@x.com", "type": "work", "primary": false}, {"value": "h@x.com", "type": "home"}, {"value": "o@x.com", "type": "other", "primary": true}]),
        ),
        (
            "primary set through a filter",
            json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
            json!([{"value": "w@x.com", "type": "work", "primary": false}, {"value": "h@x.com", "type": "home", "primary": true}]),
        ),
        (
            "replace without a filter replaces every value",
            json!([{"op": "replace", "path": "emails", "value": [{"value": "n@x.com"}]}]),
            json!([{"value": "n@x.com"}]),
        ),
        (
            "replace through a filter replaces the selected values",
            json!([{"op": "replace", "path": "emails[value eq \"H@x.com\"]", "value": {"value": "n@x.com", "type": "home"}}]),
            json!([{"value": "w@x.com", "type": "work", "primary": true}, {"value": "n@x.com", "type": "home"}]),
        ),
        (
            "remove of a sub-attribute of the selected values",
            json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
            json!([{"value": "w@x.com", "type": "work"}, {"value": "h@x.com", "type": "home"}]),
        ),
        (
            "remove of a sub-attribute of every value",
            json!([{"op": "remove", "path": "emails.type"}]),
            json!([{"value": "w@x.com", "primary": true}, {"value": "h@x.com"}]),
        ),
        (
            "remove with listed values removes those",
            json!([{"op": "remove", "path": "emails", "value": [{"value": "h@x.com", "type": "home"}]}]),
            json!([{"value": "w@x.com", "type": "work", "primary": true}]),
        ),
        (
            "filters with or select several values",
            json!([{"op": "remove", "path": "emails[type eq \"work\" or type eq \"home\"]"}, {"op": "add", "path": "emails", "value": [{"value": "z@x.com"}]}]),
            json!([{"value": "z@x.com"}]),
        ),
    ];
    for (name, ops, emails) in table {
        let got = run(&start, ops).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got["emails"], emails, "{name}");
    }
}

#[test]
fn complex_values_merge_their_sub_attributes() {
    let start = json!({"userName": "a", "name": {"givenName": "G", "familyName": "F"}});
    let table = [
        (
            json!([{"op": "replace", "path": "name", "value": {"givenName": "H"}}]),
            json!({"givenName": "H", "familyName": "F"}),
        ),
        (
            json!([{"op": "add", "value": {"name": {"middleName": "M"}}}]),
            json!({"givenName": "G", "familyName": "F", "middleName": "M"}),
        ),
        (
            json!([{"op": "replace", "value": {"name": {"familyName": null}}}]),
            json!({"givenName": "G"}),
        ),
        (
            json!([{"op": "replace", "path": "name.givenName", "value": null}]),
            json!({"familyName": "F"}),
        ),
        (
            json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:User": {"name": {"givenName": "X"}}}}]),
            json!({"givenName": "X", "familyName": "F"}),
        ),
    ];
    for (ops, name) in table {
        assert_eq!(run(&start, ops.clone()).unwrap()["name"], name, "{ops}");
    }
    let gone = run(&start, json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}])).unwrap();
    assert_eq!(
        gone,
        json!({"userName": "a"}),
        "a complex attribute without sub-attributes is unassigned"
    );
}

#[test]
fn the_manager_is_its_value_with_the_clients_ref() {
    let m = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    let start =
        json!({"userName": "a", ENT: {"manager": {"value": "m1", "$ref": "https://h/Users/m1"}}});
    let table = [
        (
            json!([{"op": "replace", "path": format!("{m}.value"), "value": "m2"}]),
            json!({"value": "m2", "$ref": "https://h/Users/m1"}),
        ),
        (
            json!([{"op": "replace", "path": format!("{m}.$ref"), "value": "https://h/Users/m9"}]),
            json!({"value": "m1", "$ref": "https://h/Users/m9"}),
        ),
        (
            json!([{"op": "remove", "path": format!("{m}.$ref")}]),
            json!({"value": "m1"}),
        ),
        (
            json!([{"op": "replace", "path": m, "value": "m3"}]),
            json!({"value": "m3"}),
        ),
        (
            json!([{"op": "replace", "path": m, "value": {"displayName": "ignored"}}]),
            json!({"value": "m1", "$ref": "https://h/Users/m1"}),
        ),
    ];
    for (ops, manager) in table {
        assert_eq!(
            run(&start, ops.clone()).unwrap()[ENT]["manager"],
            manager,
            "{ops}"
        );
    }
    for ops in [
        json!([{"op": "remove", "path": format!("{m}.value")}]),
        json!([{"op": "replace", "path": m, "value": ""}]),
    ] {
        assert_eq!(
            run(&start, ops.clone()),
            Ok(json!({"userName": "a"})),
            "{ops}"
        );
    }
    assert_eq!(
        run(
            &json!({"userName": "a"}),
            json!([{"op": "add", "path": format!("{m}.$ref"), "value": "x"}])
        ),
        Err(ScimError::InvalidValue(format!(
            "Operation 0: {m}.$ref belongs to a manager: set the manager's value first"
        )))
    );
}

#[test]
fn extensions_are_merged_and_removed_whole() {
    let start = json!({"userName": "a", ENT: {"department": "D", "costCenter": "C"}});
    let merged = run(&start, json!([{"op": "add", "path": ENT, "value": {"division": "V", "department": null, "shoeSize": 44}}])).unwrap();
    assert_eq!(merged[ENT], json!({"costCenter": "C", "division": "V"}));
    assert_eq!(
        run(&start, json!([{"op": "remove", "path": ENT}])),
        Ok(json!({"userName": "a"}))
    );
    let emptied = run(
        &start,
        json!([{"op": "remove", "path": "department"}, {"op": "remove", "path": "costCenter"}]),
    )
    .unwrap();
    assert_eq!(
        emptied,
        json!({"userName": "a"}),
        "an empty extension is dropped"
    );
}

#[test]
fn ignored_unknown_and_read_only_in_path_less_values() {
    let start = json!({"userName": "a"});
    let ops = json!([{"op": "replace", "value": {
        "schemas": [CORE_URN], "id": "x", "meta": {"version": "W/\"9\""}, "password": "p", "groups": [],
        "shoeSize": 44, "name.nope": "x", "title": "T"
    }}]);
    assert_eq!(run(&start, ops), Ok(json!({"userName": "a", "title": "T"})));
}

const CORE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// Every refusal: operations → the error (with the failing operation's index).
#[test]
fn refusals_name_the_operation_and_use_rfc_7644_scim_types() {
    let start = json!({"userName": "a", "emails": [{"value": "w@x.com", "type": "work"}], "name": {"givenName": "G"}});
    let table: Vec<(Value, ScimError)> = vec![
        (json!([{"op": "replace", "path": "active", "value": false}, {"op": "replace", "path": "nope", "value": 1}]), ScimError::InvalidPath("Operation 1: Unknown attribute \"nope\"".into())),
        (json!([{"op": "add", "path": "name.nope", "value": 1}]), ScimError::InvalidPath("Operation 0: Unknown attribute \"name.nope\"".into())),
        (json!([{"op": "add", "path": "emails[type eq \"work\"].nope", "value": 1}]), ScimError::InvalidPath("Operation 0: Unknown attribute \"emails.nope\"".into())),
        (json!([{"op": "add", "path": "emails[type eq", "value": 1}]), ScimError::InvalidPath("Operation 0: \"emails[type eq\" is not a valid path (at character 14: expected a value (a string, number, true, false or null), found end of input)".into())),
        (json!([{"op": "add", "path": "emails[nope eq \"x\"]", "value": {}}]), ScimError::InvalidPath("Operation 0: \"emails[nope eq \"x\"]\": Unknown attribute \"emails.nope\"".into())),
        (json!([{"op": "add", "path": "name[givenName eq \"G\"]", "value": {}}]), ScimError::InvalidPath("Operation 0: \"name[givenName eq \"G\"]\": \"name\" is not a multi-valued complex attribute; value filters select values of one".into())),
        (json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x.com"}}]), ScimError::NoTarget("Operation 0: No value of emails matches \"emails[type eq \"home\"]\"".into())),
        (json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]), ScimError::NoTarget("Operation 0: No value of emails matches \"emails[type eq \"home\"]\"".into())),
        (json!([{"op": "remove", "path": "emails[type eq \"home\"].value"}]), ScimError::NoTarget("Operation 0: No value of emails matches \"emails[type eq \"home\"].value\"".into())),
        (json!([{"op": "replace", "path": "emails[value eq \"h@x.com\"].type", "value": "home"}]), ScimError::NoTarget("Operation 0: No value of emails matches \"emails[value eq \"h@x.com\"].type\"".into())),
        (json!([{"op": "replace", "path": "id", "value": "x"}]), ScimError::Mutability("Operation 0: \"id\" is read-only".into())),
        (json!([{"op": "remove", "path": "meta.version"}]), ScimError::Mutability("Operation 0: \"meta.version\" is read-only".into())),
        (json!([{"op": "add", "path": "manager.displayName", "value": "x"}]), ScimError::Mutability("Operation 0: \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName\" is read-only".into())),
        (json!([{"op": "replace", "path": "active", "value": "yes"}]), ScimError::InvalidValue("Operation 0: active must be of type boolean".into())),
        (json!([{"op": "replace", "path": "name", "value": "x"}]), ScimError::InvalidValue("Operation 0: name must be an object".into())),
        (json!([{"op": "replace", "value": {"name.givenName": 5}}]), ScimError::InvalidValue("Operation 0: name.givenName must be of type string".into())),
        (json!([{"op": "add", "path": "emails", "value": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}]), ScimError::InvalidValue("Operation 0: At most one of emails may have \"primary\": true".into())),
        (json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": [{"value": "a"}, {"value": "b"}]}]), ScimError::InvalidValue("Operation 0: \"emails[type eq \"work\"]\" selects values to replace with one value, not a list".into())),
        (json!([{"op": "replace", "value": true}]), ScimError::InvalidValue("Operation 0: Without a \"path\", the value of replace must be an object of attributes".into())),
        // RFC 7644 §3.5.2: removing a required attribute, or leaving it unassigned, is `mutability`.
        (json!([{"op": "remove", "path": "userName"}]), ScimError::Mutability("Operation 0: userName is required: it cannot be removed or left unassigned".into())),
        (json!([{"op": "replace", "path": "title", "value": "T"}, {"op": "replace", "value": {"userName": ""}}]), ScimError::Mutability("Operation 1: userName is required: it cannot be removed or left unassigned".into())),
        (json!([{"op": "replace", "path": "userName", "value": null}]), ScimError::Mutability("Operation 0: userName is required: it cannot be removed or left unassigned".into())),
        (json!([{"op": "replace", "value": {"urn:ietf:params:scim:schemas:core:2.0:User:userName": null}}]), ScimError::Mutability("Operation 0: userName is required: it cannot be removed or left unassigned".into())),
        // A value that cannot be a userName is the value's fault.
        (json!([{"op": "replace", "path": "userName", "value": "   "}]), ScimError::InvalidValue("Operation 0: userName must be a non-empty string".into())),
        (json!([{"op": "remove", "path": CORE_URN}]), ScimError::InvalidPath(format!("Operation 0: \"{CORE_URN}\" is the resource itself; remove its attributes"))),
        (json!([{"op": "add", "path": ENT, "value": "x"}]), ScimError::InvalidValue(format!("Operation 0: The value for \"{ENT}\" must be an object of its attributes"))),
        (json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Start", "value": "x"}]), ScimError::InvalidValue("Operation 0: Unknown attribute \"Start\" in urn:ietf:params:scim:schemas:extension:peakon:2.0:User; this tenant defines no custom attributes".into())),
    ];
    for (ops, err) in table {
        assert_eq!(run(&start, ops.clone()), Err(err), "{ops}");
    }
    // Removing userName and setting it again in one request is fine: the result counts.
    let renamed = run(&start, json!([{"op": "remove", "path": "userName"}, {"op": "add", "path": "userName", "value": "b"}])).unwrap();
    assert_eq!(renamed["userName"], json!("b"));
}

#[test]
fn malformed_requests_are_invalid_syntax() {
    let start = json!({"userName": "a"});
    let table = [
        (
            json!({"schemas": [PATCH_OP]}),
            ScimError::InvalidSyntax("A PATCH request needs an \"Operations\" array".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": []}),
            ScimError::InvalidSyntax("\"Operations\" is empty".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [1]}),
            ScimError::InvalidSyntax("Operation 0 is not an object".into()),
        ),
        (
            // RFC 7644 §3.12, Table 9: an unknown operation is `invalidValue` for PATCH.
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "x"}]}),
            ScimError::InvalidValue("Operation 0: \"op\" must be add, replace or remove".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"path": "x"}]}),
            ScimError::InvalidValue("Operation 0: \"op\" must be add, replace or remove".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": 1, "path": "x"}]}),
            ScimError::InvalidValue("Operation 0: \"op\" must be add, replace or remove".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": 5, "value": 1}]}),
            ScimError::InvalidSyntax("Operation 0: \"path\" must be a string".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active"}]}),
            ScimError::InvalidSyntax("Operation 0: \"value\" is required for replace".into()),
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]}),
            ScimError::NoTarget("Operation 0: remove needs a \"path\"".into()),
        ),
        (
            json!({"schemas": ["urn:x"], "Operations": [{"op": "remove", "path": "x"}]}),
            ScimError::InvalidSyntax(format!(
                "A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"]"
            )),
        ),
        // RFC 7644 §3.5.2: the body MUST carry the PatchOp schema.
        (
            json!({"Operations": [{"op": "remove", "path": "title"}]}),
            ScimError::InvalidSyntax(format!(
                "A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"]"
            )),
        ),
        (
            json!({"schemas": [], "Operations": [{"op": "remove", "path": "title"}]}),
            ScimError::InvalidSyntax(format!(
                "A PATCH request's \"schemas\" must be [\"{PATCH_OP}\"]"
            )),
        ),
    ];
    for (body, err) in table {
        let got = parse_request(body.as_object().unwrap()).and_then(|ops| {
            apply(&doc(start.clone()), &ops, &TenantSchema::default()).map(|p| p.doc)
        });
        assert_eq!(got, Err(err), "{body}");
    }
    let many: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|_| json!({"op": "remove", "path": "title"}))
        .collect();
    assert_eq!(
        parse_request(
            json!({"schemas": [PATCH_OP], "Operations": many})
                .as_object()
                .unwrap()
        ),
        Err(ScimError::InvalidValue(format!(
            "A PATCH request may carry at most {MAX_OPERATIONS} operations, not {}",
            MAX_OPERATIONS + 1
        )))
    );
    let most: Vec<Value> = (0..MAX_OPERATIONS)
        .map(|_| json!({"op": "remove", "path": "title"}))
        .collect();
    assert_eq!(
        parse_request(
            json!({"schemas": [PATCH_OP], "Operations": most})
                .as_object()
                .unwrap()
        )
        .map(|o| o.len()),
        Ok(MAX_OPERATIONS)
    );
}

#[test]
fn a_failing_request_changes_nothing() {
    let start = bjensen();
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "remove", "path": "emails"},
        {"op": "replace", "path": "emails[value eq \"x\"].type", "value": "home"}
    ]);
    let body = json!({"schemas": [PATCH_OP], "Operations": ops});
    let parsed = parse_request(body.as_object().unwrap()).unwrap();
    let before = doc(start.clone());
    assert!(apply(&before, &parsed, &TenantSchema::default()).is_err());
    assert_eq!(Value::Object(before), start, "apply works on a copy");
}

#[test]
fn custom_attributes_are_set_through_the_tenant_schema() {
    let active = Arc::new(CustomAttr {
        id: "att_1".into(),
        name: "Start Date".into(),
        scim_name: "Start_Date".into(),
        ty: CustomType::Text,
        options: None,
        aliases: vec![],
        active: true,
    });
    let retired = Arc::new(CustomAttr {
        id: "att_2".into(),
        name: "Old".into(),
        scim_name: "Old".into(),
        active: false,
        ..(*active).clone()
    });
    let schema = TenantSchema {
        attributes: vec![active, retired],
    };
    let start = json!({"userName": "a", TENANT_USER: {"att_1": "x", "att_2": "kept"}});
    // Removal needs no parsing of a value.
    let removed = run_with(&schema, &start, json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:peakon:2.0:User:Start_Date"}])).unwrap();
    assert_eq!(
        removed,
        json!({"userName": "a", TENANT_USER: {"att_2": "kept"}})
    );
    // Removing the whole extension keeps the deactivated attribute's value.
    let dropped = run_with(
        &schema,
        &start,
        json!([{"op": "remove", "path": TENANT_USER}]),
    )
    .unwrap();
    assert_eq!(
        dropped,
        json!({"userName": "a", TENANT_USER: {"att_2": "kept"}})
    );
    // A deactivated attribute is ignored, with a note.
    let ops = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "Old", "value": "new"}]});
    let parsed = parse_request(ops.as_object().unwrap()).unwrap();
    let out = apply(&doc(start.clone()), &parsed, &schema).unwrap();
    assert_eq!(Value::Object(out.doc), start);
    assert_eq!(
        out.notes,
        vec!["ignored the deactivated attribute \"Old\"".to_string()]
    );
}

/// `n` distinct emails, `i` numbering them from `from`.
fn emails(from: usize, n: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| json!({"value": format!("user.{i}@example.com"), "type": "work"}))
        .collect()
}

#[test]
fn limits_apply_to_what_a_patch_writes() {
    use crate::scim::limits::MAX_VALUES;
    let start = json!({"userName": "a", "emails": emails(0, 60)});
    // Up to the limit by add, in one operation or several.
    let full = run(
        &start,
        json!([{"op": "add", "path": "emails", "value": emails(60, 40)}]),
    )
    .unwrap();
    assert_eq!(full["emails"].as_array().unwrap().len(), MAX_VALUES);
    let split = run(
        &start,
        json!([
            {"op": "add", "path": "emails", "value": emails(60, 20)},
            {"op": "add", "value": {"emails": emails(80, 20)}},
        ]),
    )
    .unwrap();
    assert_eq!(split, full);
    // One more is refused, naming the operation that passed the limit.
    let table: Vec<(Value, ScimError)> = vec![
        (json!([{"op": "add", "path": "emails", "value": emails(60, 41)}]), ScimError::InvalidValue("Operation 0: emails may hold at most 100 values, not 101".into())),
        (json!([{"op": "add", "path": "emails", "value": emails(60, 40)}, {"op": "add", "path": "emails[type eq \"home\"].value", "value": "h@x.com"}]), ScimError::InvalidValue("Operation 1: emails may hold at most 100 values, not 101".into())),
        (json!([{"op": "replace", "path": "emails", "value": emails(0, 101)}]), ScimError::InvalidValue("Operation 0: emails may hold at most 100 values, not 101".into())),
        // The PATCH: 20,000 distinct emails in one add, refused before any is matched.
        (json!([{"op": "add", "path": "emails", "value": emails(0, 20_000)}]), ScimError::InvalidValue("Operation 0: emails may hold at most 100 values, not 20000".into())),
        (json!([{"op": "remove", "path": "emails", "value": emails(0, 101)}]), ScimError::InvalidValue("Operation 0: emails may hold at most 100 values, not 101".into())),
        (json!([{"op": "replace", "path": "displayName", "value": "x".repeat(1025)}]), ScimError::InvalidValue("Operation 0: displayName may hold at most 1024 characters, not 1025".into())),
        (json!([{"op": "replace", "value": {"name.givenName": "x".repeat(1025)}}]), ScimError::InvalidValue("Operation 0: name.givenName may hold at most 1024 characters, not 1025".into())),
        (json!([{"op": "replace", "path": "emails[value eq \"user.1@example.com\"].value", "value": "x".repeat(513)}]), ScimError::InvalidValue("Operation 0: emails.value may hold at most 512 characters, not 513".into())),
        (json!([{"op": "replace", "path": "userName", "value": "a\u{0}b"}]), ScimError::InvalidValue("Operation 0: userName may not contain control characters (found U+0000)".into())),
        (json!([{"op": "add", "path": "externalId", "value": "e\u{1b}"}]), ScimError::InvalidValue("Operation 0: externalId may not contain control characters (found U+001B)".into())),
        (json!([{"op": "replace", "path": "profileUrl", "value": " JavaScript:alert(1)"}]), ScimError::InvalidValue("Operation 0: profileUrl may not be a javascript: URI (javascript:, data: or vbscript: URIs are refused in references)".into())),
        (json!([{"op": "add", "path": "photos", "value": [{"value": "data:image/svg+xml,<svg onload=alert(1)>"}]}]), ScimError::InvalidValue("Operation 0: photos.value may not be a data: URI (javascript:, data: or vbscript: URIs are refused in references)".into())),
        (json!([{"op": "replace", "path": "manager", "value": {"value": "m", "$ref": "vbscript:x"}}]), ScimError::InvalidValue("Operation 0: manager.$ref may not be a vbscript: URI (javascript:, data: or vbscript: URIs are refused in references)".into())),
        (json!([{"op": "replace", "path": "manager", "value": "m"}, {"op": "add", "path": "manager.$ref", "value": "javascript:alert(1)"}]), ScimError::InvalidValue(format!("Operation 1: {ENT}:manager.$ref may not be a javascript: URI (javascript:, data: or vbscript: URIs are refused in references)"))),
    ];
    for (ops, err) in table {
        let shown = ops.to_string();
        assert_eq!(
            run(&start, ops),
            Err(err),
            "{}",
            &shown[..shown.len().min(200)]
        );
    }
    // A relative reference is one (RFC 7643 §2.3.7).
    let managed = run(&start, json!([{"op": "replace", "path": "manager", "value": {"value": "m", "$ref": "../Users/m"}}])).unwrap();
    assert_eq!(
        managed[ENT]["manager"],
        json!({"value": "m", "$ref": "../Users/m"})
    );
}

#[test]
fn a_patch_that_leaves_the_resource_too_large_is_refused() {
    use crate::scim::limits::MAX_RESOURCE_BYTES;
    let address =
        |i: usize| json!({"formatted": format!("{i} {}", "x".repeat(2000)), "type": "other"});
    let ops: Vec<Value> = (0..40)
        .map(|i| json!({"op": "add", "path": "addresses", "value": [address(i)]}))
        .collect();
    let got = run(&json!({"userName": "a"}), Value::Array(ops));
    assert!(
        matches!(&got, Err(ScimError::InvalidValue(d)) if d.ends_with(&format!("at most {MAX_RESOURCE_BYTES} are allowed"))),
        "{got:?}"
    );
}

#[test]
fn add_and_remove_match_values_canonically_and_without_case() {
    let start = json!({"userName": "a", "emails": [{"value": "José@Example.com", "type": "work"}]});
    // The same address in NFD and another case, and the same type in another case: one value.
    let merged = run(
        &start,
        json!([{"op": "add", "path": "emails", "value": [
            {"value": "JOSE\u{301}@example.COM", "type": "WORK", "primary": true}
        ]}]),
    )
    .unwrap();
    assert_eq!(
        merged["emails"],
        json!([{"value": "JOSE\u{301}@example.COM", "type": "WORK", "primary": true}])
    );
    // Another type is another value.
    let two = run(&start, json!([{"op": "add", "path": "emails", "value": [{"value": "josé@example.com", "type": "home"}]}])).unwrap();
    assert_eq!(two["emails"].as_array().unwrap().len(), 2);
    // Removing listed values finds them the same way.
    let removed = run(&two, json!([{"op": "remove", "path": "emails", "value": [{"value": "Jose\u{301}@EXAMPLE.com", "type": "Work"}]}])).unwrap();
    assert_eq!(
        removed["emails"],
        json!([{"value": "josé@example.com", "type": "home"}])
    );
    // A value filter selects canonically equivalent values too.
    let filtered = run(&start, json!([{"op": "replace", "path": "emails[value eq \"jose\u{301}@example.com\"].display", "value": "J"}])).unwrap();
    assert_eq!(filtered["emails"][0]["display"], json!("J"));
}

#[test]
fn the_largest_patch_the_limits_allow_merges_every_value() {
    use crate::scim::limits::MAX_VALUES;
    use crate::scim::patch::MAX_OPERATIONS;
    // Every operation adds the same MAX_VALUES emails, each in another case: after the first,
    // every value merges into one already there. (Its time is printed by
    // `cargo run --release --example largest_patch`.)
    let ops: Vec<Value> = (0..MAX_OPERATIONS)
        .map(|op| {
            let values: Vec<Value> = (0..MAX_VALUES)
                .map(|i| {
                    let v = format!("Åsa.{i}@Example.com");
                    json!({"value": if op % 2 == 0 { v.to_uppercase() } else { v }, "type": "work"})
                })
                .collect();
            json!({"op": "add", "path": "emails", "value": values})
        })
        .collect();
    let out = run(&json!({"userName": "a"}), Value::Array(ops)).unwrap();
    let emails = out["emails"].as_array().unwrap();
    assert_eq!(emails.len(), MAX_VALUES);
    // A merge keeps the spelling sent last (the last operation's, an odd one).
    assert_eq!(emails[0]["value"], json!("Åsa.0@Example.com"));
}
