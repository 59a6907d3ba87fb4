//! The numbers of bounded input (DESIGN §8), declared once: the attribute table
//! (`scim::schema`) gives each attribute its length from them, and `scim::limits` applies them
//! (its module doc says what each is for and why it is where it is).

/// Characters of a code: `locale`, `timezone`, `preferredLanguage`, `userType`, the `type` of a
/// multi-valued attribute's value, a postal code or country; and of a tenant's `option` value.
pub const CODE_CHARS: usize = 256;
/// Characters of an identifier: `userName`, `externalId`, `emails.value`, `manager.value`,
/// phone numbers, `employeeNumber`; and of a tenant's `employee` value (an email, userName or
/// id). Twice the longest email address RFC 5321 allows.
pub const IDENTIFIER_CHARS: usize = 512;
/// Characters of a name or other one-line text (`displayName`, `name.givenName`, `title`,
/// `department`, ...): every string attribute not named otherwise.
pub const NAME_CHARS: usize = 1024;
/// Characters of free text (`addresses.formatted`) and of a reference (`profileUrl`,
/// `photos.value`, `manager.$ref`); and of a tenant's `text` value (DESIGN §4).
pub const TEXT_CHARS: usize = 2048;
/// Values of one multi-valued attribute (`emails`, `phoneNumbers`, `ims`, `photos`,
/// `addresses`).
pub const MAX_VALUES: usize = 100;
/// Bytes of a stored User: its canonical JSON (the document the service keeps, without `id`,
/// `meta` and `schemas`). A typical employee takes 1 to 2 KiB.
pub const MAX_RESOURCE_BYTES: usize = 64 * 1024;

/// The URI schemes refused in references: a browser runs them when the value becomes a link
/// (the admin console shows the manager's `$ref` and the profile URL).
pub const SCRIPT_SCHEMES: [&str; 3] = ["javascript", "data", "vbscript"];

/// "javascript:, data: or vbscript:", for messages and documentation.
pub fn script_schemes_text() -> String {
    let [a, b, c] = SCRIPT_SCHEMES;
    format!("{a}:, {b}: or {c}:")
}
