-- A tenant's own employee attributes (DESIGN §4): definitions, the names they answer to, and
-- the employee references their values make.

CREATE TABLE attributes (
  tenant_id TEXT NOT NULL,
  id        TEXT NOT NULL,
  -- The display name (spaces allowed); may be renamed.
  name      TEXT NOT NULL,
  -- Derived once from the first display name; never changes (RFC 7643 §2.1 ATTRNAME).
  scim_name TEXT NOT NULL,
  type      TEXT NOT NULL CHECK (type IN ('text', 'option', 'date', 'number', 'employee')),
  -- JSON array of the allowed values of an `option` attribute, or NULL for any value.
  options   TEXT,
  -- JSON array of further ATTRNAMEs the attribute answers to.
  aliases   TEXT NOT NULL DEFAULT '[]',
  active    INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX attributes_by_created ON attributes (tenant_id, created, id);

-- Every name an attribute answers to (display name, SCIM name, aliases), folded: one namespace
-- per tenant, so that a name never resolves to two attributes (409 on a clash).
CREATE TABLE attribute_names (
  tenant_id    TEXT NOT NULL,
  name_fold    TEXT NOT NULL,
  attribute_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name_fold)
);
CREATE INDEX attribute_names_by_attribute ON attribute_names (tenant_id, attribute_id);

-- Values of `employee` attributes: a reference to another employee of the tenant, resolved
-- (target_id) or pending until an employee with that email or userName exists.
CREATE TABLE employee_refs (
  tenant_id    TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  attribute_id TEXT NOT NULL,
  target_id    TEXT,
  pending      TEXT,
  pending_fold TEXT,
  PRIMARY KEY (tenant_id, user_id, attribute_id)
);
CREATE INDEX employee_refs_by_target ON employee_refs (tenant_id, target_id);
CREATE INDEX employee_refs_by_pending ON employee_refs (tenant_id, pending_fold);
