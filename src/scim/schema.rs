//! The one table of attribute definitions (RFC 7643 §2.2, §4.1, §4.3, §7, §8.7.1): every
//! attribute the service keeps and advertises, declared once. `/Schemas`, input validation,
//! filter resolution, projection and the SQL all read it.
//!
//! Kept and advertised: RFC 7643 §4.1's User except `password`, `groups`, `roles`,
//! `entitlements` and `x509Certificates` (ignored on input: Okta sends `password` and
//! `groups: []`, Entra `roles: []`), and the enterprise extension of §4.3. The tenant's own
//! extension (`urn:ietf:params:scim:schemas:extension:peakon:2.0:User`) joins through
//! [`TenantSchema`].
//!
//! Each string and reference attribute carries its length limit (`max_chars`) and whether it
//! is an identifier (no control characters); the numbers are `scim::limits`', and `/Schemas`
//! states them in the attribute's `description`.

use super::sizes::{
    script_schemes_text, CODE_CHARS, IDENTIFIER_CHARS, MAX_VALUES, NAME_CHARS, TEXT_CHARS,
};
use serde_json::{json, Map, Value};

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const TENANT_USER: &str = "urn:ietf:params:scim:schemas:extension:peakon:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// Core attributes accepted on input and dropped: the service does not keep them.
pub const IGNORED_CORE: &[&str] = &[
    "password",
    "groups",
    "roles",
    "entitlements",
    "x509Certificates",
];

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl Type {
    pub fn as_str(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Decimal => "decimal",
            Type::Integer => "integer",
            Type::DateTime => "dateTime",
            Type::Binary => "binary",
            Type::Reference => "reference",
            Type::Complex => "complex",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition (RFC 7643 §7's characteristics). Where the service keeps a value
/// in a column of its own is the column table's to say (`scim::columns`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub description: &'static str,
    pub subs: &'static [Attr],
    /// The longest value, in characters (Unicode scalar values); 0 for types that are not text
    /// (`scim::limits`).
    pub max_chars: usize,
    /// An identifier by which employees are found: control characters are refused.
    pub identifier: bool,
}

const fn attr(name: &'static str, ty: Type, description: &'static str) -> Attr {
    Attr {
        name,
        ty,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical: &[],
        reference_types: &[],
        description,
        subs: &[],
        max_chars: match ty {
            Type::String => NAME_CHARS,
            Type::Reference | Type::Binary => TEXT_CHARS,
            // Date-times are parsed, and numbers, booleans and complex values are not text.
            Type::DateTime | Type::Boolean | Type::Decimal | Type::Integer | Type::Complex => 0,
        },
        identifier: false,
    }
}

const fn string(name: &'static str, description: &'static str) -> Attr {
    attr(name, Type::String, description)
}

const fn complex(name: &'static str, description: &'static str, subs: &'static [Attr]) -> Attr {
    Attr {
        subs,
        ..attr(name, Type::Complex, description)
    }
}

impl Attr {
    const fn multi(self) -> Attr {
        Attr {
            multi: true,
            ..self
        }
    }
    const fn required(self) -> Attr {
        Attr {
            required: true,
            ..self
        }
    }
    const fn case_exact(self) -> Attr {
        Attr {
            case_exact: true,
            ..self
        }
    }
    const fn read_only(self) -> Attr {
        Attr {
            mutability: Mutability::ReadOnly,
            ..self
        }
    }
    const fn returned(self, returned: Returned) -> Attr {
        Attr { returned, ..self }
    }
    const fn unique(self) -> Attr {
        Attr {
            uniqueness: Uniqueness::Server,
            ..self
        }
    }
    const fn canonical(self, canonical: &'static [&'static str]) -> Attr {
        Attr { canonical, ..self }
    }
    const fn refs(self, reference_types: &'static [&'static str]) -> Attr {
        Attr {
            reference_types,
            ..self
        }
    }
    /// A code (`locale`, a value's `type`): [`CODE_CHARS`].
    const fn code(self) -> Attr {
        Attr {
            max_chars: CODE_CHARS,
            ..self
        }
    }
    /// An identifier's length, [`IDENTIFIER_CHARS`], without the ban on control characters.
    const fn identifier_length(self) -> Attr {
        Attr {
            max_chars: IDENTIFIER_CHARS,
            ..self
        }
    }
    /// An identifier by which employees are found: [`IDENTIFIER_CHARS`], no control characters.
    const fn identifier(self) -> Attr {
        Attr {
            identifier: true,
            ..self.identifier_length()
        }
    }
    /// Free text, line breaks included: [`TEXT_CHARS`].
    const fn free_text(self) -> Attr {
        Attr {
            max_chars: TEXT_CHARS,
            ..self
        }
    }

    /// The sub-attribute named `name` (case-insensitively, RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&'static Attr> {
        self.subs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The description `/Schemas` gives: the attribute's own, then its limits (RFC 7643 §7 has
    /// no field for them).
    pub fn described(&self) -> String {
        let mut d = self.description.to_string();
        if self.max_chars > 0 && self.mutability != Mutability::ReadOnly {
            d.push_str(&format!(". At most {} characters", self.max_chars));
            if self.identifier {
                d.push_str(", no control characters");
            }
            if self.ty == Type::Reference {
                d.push_str(&format!("; not a {} URI", script_schemes_text()));
            }
        }
        if self.multi {
            d.push_str(&format!(". At most {MAX_VALUES} values"));
        }
        d
    }

    /// RFC 7643 §7's representation of this attribute, for `/Schemas`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.ty.as_str()));
        m.insert("multiValued".into(), json!(self.multi));
        m.insert("description".into(), json!(self.described()));
        m.insert("required".into(), json!(self.required));
        if matches!(self.ty, Type::String | Type::Reference | Type::Binary) {
            m.insert("caseExact".into(), json!(self.case_exact));
        }
        if !self.canonical.is_empty() {
            m.insert("canonicalValues".into(), json!(self.canonical));
        }
        if !self.reference_types.is_empty() {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        m.insert("mutability".into(), json!(self.mutability.as_str()));
        m.insert("returned".into(), json!(self.returned.as_str()));
        if self.ty != Type::Complex {
            m.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        }
        if !self.subs.is_empty() {
            m.insert(
                "subAttributes".into(),
                Value::Array(self.subs.iter().map(Attr::to_json).collect()),
            );
        }
        Value::Object(m)
    }
}

/// RFC 7643 §3.1 common attributes: not part of any schema's attribute list, but filterable,
/// sortable and projectable.
pub static ID: Attr = string(
    "id",
    "Unique identifier for the resource, assigned by the service provider",
)
.case_exact()
.read_only()
.returned(Returned::Always)
.unique()
.identifier();
pub static EXTERNAL_ID: Attr = string(
    "externalId",
    "Identifier of the resource in the provisioning client",
)
.case_exact()
.identifier()
// Unique within a tenant when present (a second user with it is a 409): an external identity
// names one employee.
.unique();
const META_SUBS: &[Attr] = &[
    string(
        "resourceType",
        "The name of the resource type of the resource",
    )
    .case_exact()
    .read_only()
    .code(),
    attr(
        "created",
        Type::DateTime,
        "When the resource was added to the service provider",
    )
    .read_only(),
    attr(
        "lastModified",
        Type::DateTime,
        "When the resource was last modified",
    )
    .read_only(),
    attr("location", Type::Reference, "The URI of the resource")
        .case_exact()
        .read_only()
        .refs(&["uri"]),
    string("version", "The version of the resource (a weak entity tag)")
        .case_exact()
        .read_only()
        .code(),
];
pub static META: Attr = complex("meta", "Resource metadata", META_SUBS).read_only();

const TYPE_DISPLAY_PRIMARY: [Attr; 3] = [
    string(
        "display",
        "A human-readable name, primarily used for display purposes",
    ),
    string("type", "A label indicating the attribute's function").code(),
    attr(
        "primary",
        Type::Boolean,
        "Whether this value is the preferred one",
    ),
];

macro_rules! multi_valued_subs {
    ($value:expr, $types:expr) => {
        &[
            $value,
            TYPE_DISPLAY_PRIMARY[0],
            TYPE_DISPLAY_PRIMARY[1].canonical($types),
            TYPE_DISPLAY_PRIMARY[2],
        ]
    };
}

/// RFC 7643 §4.1 and §8.7.1: the core User schema's attributes that the service keeps.
pub static CORE_ATTRS: &[Attr] = &[
    string(
        "userName",
        "Unique identifier for the User, typically used to sign in",
    )
    .required()
    .unique()
    .identifier(),
    complex(
        "name",
        "The components of the user's real name",
        &[
            string("formatted", "The full name, formatted for display"),
            string("familyName", "The family name (last name)"),
            string("givenName", "The given name (first name)"),
            string("middleName", "The middle name(s)"),
            string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'"),
            string("honorificSuffix", "The honorific suffix(es), e.g. 'III'"),
        ],
    ),
    string("displayName", "The name of the User, suitable for display"),
    string("nickName", "The casual way to address the user"),
    attr(
        "profileUrl",
        Type::Reference,
        "A URI of the User's online profile",
    )
    .refs(&["external"]),
    string("title", "The user's title, e.g. 'Vice President'"),
    string(
        "userType",
        "The relationship between the organization and the user, e.g. 'Employee'",
    )
    .code(),
    string(
        "preferredLanguage",
        "The preferred written or spoken language (RFC 7231 Accept-Language)",
    )
    .code(),
    string(
        "locale",
        "The default location for localizing, e.g. 'en-US'",
    )
    .code(),
    string(
        "timezone",
        "The time zone, in IANA Time Zone database format, e.g. 'Europe/Copenhagen'",
    )
    .code(),
    attr(
        "active",
        Type::Boolean,
        "Whether the user is active: inactive users are kept and get no surveys",
    ),
    complex(
        "emails",
        "Email addresses for the user",
        multi_valued_subs!(
            string("value", "An email address").identifier(),
            &["work", "home", "other"]
        ),
    )
    .multi(),
    complex(
        "phoneNumbers",
        "Phone numbers for the User",
        multi_valued_subs!(
            string("value", "A phone number").identifier_length(),
            &["work", "home", "mobile", "fax", "pager", "other"]
        ),
    )
    .multi(),
    complex(
        "ims",
        "Instant messaging addresses for the User",
        multi_valued_subs!(
            string("value", "An instant messaging address").identifier_length(),
            &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
        ),
    )
    .multi(),
    complex(
        "photos",
        "URLs of photos of the User",
        multi_valued_subs!(
            attr("value", Type::Reference, "The URL of a photo").refs(&["external"]),
            &["photo", "thumbnail"]
        ),
    )
    .multi(),
    complex(
        "addresses",
        "Physical mailing addresses for this User",
        &[
            string(
                "formatted",
                "The full mailing address, formatted for display",
            )
            .free_text(),
            string("streetAddress", "The full street address component"),
            string("locality", "The city or locality component"),
            string("region", "The state or region component"),
            string("postalCode", "The zip code or postal code component").code(),
            string("country", "The country name component (ISO 3166-1 alpha-2)").code(),
            TYPE_DISPLAY_PRIMARY[1].canonical(&["work", "home", "other"]),
            TYPE_DISPLAY_PRIMARY[2],
        ],
    )
    .multi(),
];

/// RFC 7643 §4.3: the enterprise User extension.
pub static ENTERPRISE_ATTRS: &[Attr] = &[
    string(
        "employeeNumber",
        "A string identifier of the user, assigned by the organization",
    )
    .identifier_length(),
    string("costCenter", "The name of a cost center"),
    string("organization", "The name of an organization"),
    string("division", "The name of a division"),
    string("department", "The name of a department"),
    complex(
        "manager",
        "The User's manager",
        &[
            string(
                "value",
                "The id of the SCIM resource representing the User's manager",
            )
            .identifier(),
            attr(
                "$ref",
                Type::Reference,
                "The URI of the SCIM resource representing the User's manager",
            )
            .refs(&["User"]),
            string("displayName", "The displayName of the User's manager").read_only(),
        ],
    ),
];

/// A schema: its URN, name, description and attributes.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attr],
}

pub static CORE_SCHEMA: Schema = Schema {
    id: CORE_USER,
    name: "User",
    description: "User Account",
    attributes: CORE_ATTRS,
};

pub static ENTERPRISE_SCHEMA: Schema = Schema {
    id: ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRS,
};

/// The core attribute named `name` (case-insensitively), among the kept ones.
pub fn core_attr(name: &str) -> Option<&'static Attr> {
    CORE_ATTRS
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The enterprise extension attribute named `name` (case-insensitively).
pub fn enterprise_attr(name: &str) -> Option<&'static Attr> {
    ENTERPRISE_ATTRS
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A schema URN the service knows, in its canonical spelling (URNs compare case-insensitively,
/// RFC 8141 §3.1 for the `urn:` and NID parts; SCIM clients vary in the rest).
pub fn known_schema(urn: &str) -> Option<&'static str> {
    [CORE_USER, ENTERPRISE_USER, TENANT_USER]
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(urn))
}

/// One schema's `/Schemas` representation (RFC 7643 §7).
pub fn schema_json(schema: &Schema, base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(Attr::to_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base_url}/Schemas/{}", schema.id),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_state_each_attributes_limits_in_its_description() {
        use crate::scim::limits::{
            CODE_CHARS, IDENTIFIER_CHARS, MAX_VALUES, NAME_CHARS, TEXT_CHARS,
        };
        let s = schema_json(&CORE_SCHEMA, "https://x/scim/v2");
        let attr = |name: &str| {
            s["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(
            attr("userName")["description"],
            json!(format!("Unique identifier for the User, typically used to sign in. At most {IDENTIFIER_CHARS} characters, no control characters"))
        );
        assert_eq!(
            attr("displayName")["description"],
            json!(format!(
                "The name of the User, suitable for display. At most {NAME_CHARS} characters"
            ))
        );
        assert_eq!(
            attr("profileUrl")["description"],
            json!(format!("A URI of the User's online profile. At most {TEXT_CHARS} characters; not a javascript:, data: or vbscript: URI"))
        );
        assert_eq!(
            attr("locale")["description"],
            json!(format!("The default location for localizing, e.g. 'en-US'. At most {CODE_CHARS} characters"))
        );
        assert_eq!(
            attr("emails")["description"],
            json!(format!(
                "Email addresses for the user. At most {MAX_VALUES} values"
            ))
        );
        assert_eq!(
            attr("emails")["subAttributes"][0]["description"],
            json!(format!(
                "An email address. At most {IDENTIFIER_CHARS} characters, no control characters"
            ))
        );
        // Read-only attributes take nothing from clients: no limits to state.
        assert_eq!(ID.described(), ID.description);
    }

    #[test]
    fn every_text_attribute_has_a_limit() {
        fn check(attrs: &[Attr]) {
            for a in attrs {
                let text = matches!(a.ty, Type::String | Type::Reference | Type::Binary);
                assert_eq!(text, a.max_chars > 0, "{}", a.name);
                assert!(!a.identifier || text, "{}", a.name);
                check(a.subs);
            }
        }
        check(CORE_ATTRS);
        check(ENTERPRISE_ATTRS);
        check(META_SUBS);
        check(&[ID, EXTERNAL_ID]);
    }

    #[test]
    fn ignored_core_attributes_are_not_advertised() {
        for name in IGNORED_CORE {
            assert!(core_attr(name).is_none(), "{name} must not be in the table");
        }
    }

    #[test]
    fn user_name_is_required_unique_and_case_insensitive() {
        let a = core_attr("USERNAME").unwrap();
        assert_eq!(a.name, "userName");
        assert!(a.required && !a.case_exact);
        assert_eq!(a.uniqueness, Uniqueness::Server);
    }

    #[test]
    fn attribute_names_are_unique_within_each_level() {
        fn check(attrs: &[Attr]) {
            for (i, a) in attrs.iter().enumerate() {
                assert!(
                    attrs[i + 1..]
                        .iter()
                        .all(|b| !b.name.eq_ignore_ascii_case(a.name)),
                    "{} twice",
                    a.name
                );
                check(a.subs);
            }
        }
        check(CORE_ATTRS);
        check(ENTERPRISE_ATTRS);
        check(META_SUBS);
    }

    #[test]
    fn only_complex_attributes_have_sub_attributes() {
        for a in CORE_ATTRS.iter().chain(ENTERPRISE_ATTRS) {
            assert_eq!(a.ty == Type::Complex, !a.subs.is_empty(), "{}", a.name);
        }
    }

    #[test]
    fn schema_representation_follows_rfc7643_section_7() {
        let s = schema_json(&CORE_SCHEMA, "https://x/scim/v2");
        assert_eq!(s["id"], json!(CORE_USER));
        let user_name = &s["attributes"][0];
        assert_eq!(user_name["name"], json!("userName"));
        assert_eq!(user_name["required"], json!(true));
        assert_eq!(user_name["caseExact"], json!(false));
        assert_eq!(user_name["uniqueness"], json!("server"));
        let emails = s["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "emails")
            .unwrap();
        assert_eq!(emails["multiValued"], json!(true));
        assert_eq!(
            emails["subAttributes"][2]["canonicalValues"],
            json!(["work", "home", "other"])
        );
        assert_eq!(
            s["meta"]["location"],
            json!(format!("https://x/scim/v2/Schemas/{CORE_USER}"))
        );
    }
}
