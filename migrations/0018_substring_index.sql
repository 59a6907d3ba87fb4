-- The substring index (issue 22; src/store/substrings.rs says how filters use it): `co`, `sw`
-- and `ew` filters of three characters and more on userName, emails, the name's parts,
-- displayName and employeeNumber find their candidates here, by trigram, instead of reading every
-- employee of the tenant; the filter's own comparison then decides on each candidate, so the
-- answer is the one a scan gives. An FTS5 table with SQLite's trigram tokenizer (3.34 and later,
-- which D1, the host tests' bundled SQLite and Python's all have):
--
-- * External content: the index stores no copy of the values. Its content is the view below,
--   computed from `users` (`rebuild` and `integrity-check` read it); nothing else reads it.
-- * Kept by the triggers below, in the statement that changes the user's row: the write path's
--   SQL is unchanged and the index is never behind it. An update changes the index only when an
--   indexed value changed (most PATCHes change none).
-- * `case_sensitive 1`: the values are folded already (the folded document, the filters' own
--   folding), so the index compares what the filters compare, character for character.
-- * `detail=column`: which column holds a trigram, no positions (a third of the size of
--   `detail=full`); a pattern's trigrams are looked up together and the comparison checks their
--   order. `columnsize=0`: no per-row sizes (nothing ranks).
-- * The `tenant` column holds a tag of the tenant: the last four characters of its id, so that a
--   trigram common in other tenants costs a small tenant nothing. The tag only narrows the
--   candidates, rows of `users`: the statement keeps those whose tenant_id is its tenant's.
--
-- A deleted row's trigrams stay in the index's older segments until they are merged away: the
-- purge jobs owe the index a compaction (`user_substrings_compaction`), which the erasure job
-- runs (src/app/compaction.rs), so that nothing of a purged employee is left in it.
--
-- The view and the triggers compute each column with the same expression; `integrity-check`
-- with rank 1 compares the index with the view (a host test runs it after every kind of write).

CREATE VIRTUAL TABLE user_substrings USING fts5(
  tenant, user_name, given_name, middle_name, family_name, formatted, display_name,
  employee_number, emails,
  content = '',
  tokenize = 'trigram case_sensitive 1', detail = column, columnsize = 0
);

CREATE TRIGGER user_substrings_insert AFTER INSERT ON users BEGIN
  INSERT INTO user_substrings (
    rowid, tenant, user_name, given_name, middle_name, family_name, formatted, display_name,
    employee_number, emails
  ) VALUES (
    new.rowid,
    substr('____' || new.tenant_id, -4),
    new.user_name_fold,
    json_extract(new.folded, '$."name"."givenName"'),
    json_extract(new.folded, '$."name"."middleName"'),
    json_extract(new.folded, '$."name"."familyName"'),
    json_extract(new.folded, '$."name"."formatted"'),
    json_extract(new.folded, '$."displayName"'),
    json_extract(new.folded, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"'),
    (SELECT group_concat(json_extract(e.value, '$."value"'), char(10)) FROM json_each(new.folded, '$."emails"') e)
  );
END;

CREATE TRIGGER user_substrings_delete AFTER DELETE ON users BEGIN
  INSERT INTO user_substrings (
    user_substrings, rowid, tenant, user_name, given_name, middle_name, family_name, formatted,
    display_name, employee_number, emails
  ) VALUES (
    'delete',
    old.rowid,
    substr('____' || old.tenant_id, -4),
    old.user_name_fold,
    json_extract(old.folded, '$."name"."givenName"'),
    json_extract(old.folded, '$."name"."middleName"'),
    json_extract(old.folded, '$."name"."familyName"'),
    json_extract(old.folded, '$."name"."formatted"'),
    json_extract(old.folded, '$."displayName"'),
    json_extract(old.folded, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"'),
    (SELECT group_concat(json_extract(e.value, '$."value"'), char(10)) FROM json_each(old.folded, '$."emails"') e)
  );
END;

-- Only when an indexed value changed: one json_extract of every indexed path on each side
-- (the emails compared whole).
CREATE TRIGGER user_substrings_update AFTER UPDATE OF tenant_id, user_name_fold, folded ON users
WHEN old.tenant_id IS NOT new.tenant_id
  OR old.user_name_fold IS NOT new.user_name_fold
  OR json_extract(old.folded, '$."name"."givenName"', '$."name"."middleName"', '$."name"."familyName"',
       '$."name"."formatted"', '$."displayName"',
       '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"', '$."emails"')
     IS NOT json_extract(new.folded, '$."name"."givenName"', '$."name"."middleName"', '$."name"."familyName"',
       '$."name"."formatted"', '$."displayName"',
       '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"', '$."emails"')
BEGIN
  INSERT INTO user_substrings (
    user_substrings, rowid, tenant, user_name, given_name, middle_name, family_name, formatted,
    display_name, employee_number, emails
  ) VALUES (
    'delete',
    old.rowid,
    substr('____' || old.tenant_id, -4),
    old.user_name_fold,
    json_extract(old.folded, '$."name"."givenName"'),
    json_extract(old.folded, '$."name"."middleName"'),
    json_extract(old.folded, '$."name"."familyName"'),
    json_extract(old.folded, '$."name"."formatted"'),
    json_extract(old.folded, '$."displayName"'),
    json_extract(old.folded, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"'),
    (SELECT group_concat(json_extract(e.value, '$."value"'), char(10)) FROM json_each(old.folded, '$."emails"') e)
  );
  INSERT INTO user_substrings (
    rowid, tenant, user_name, given_name, middle_name, family_name, formatted, display_name,
    employee_number, emails
  ) VALUES (
    new.rowid,
    substr('____' || new.tenant_id, -4),
    new.user_name_fold,
    json_extract(new.folded, '$."name"."givenName"'),
    json_extract(new.folded, '$."name"."middleName"'),
    json_extract(new.folded, '$."name"."familyName"'),
    json_extract(new.folded, '$."name"."formatted"'),
    json_extract(new.folded, '$."displayName"'),
    json_extract(new.folded, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"'),
    (SELECT group_concat(json_extract(e.value, '$."value"'), char(10)) FROM json_each(new.folded, '$."emails"') e)
  );
END;

-- A compaction the index owes (one row, or none): a purge deleted employees whose trigrams are
-- still in older segments. Written in the purge's own batch; removed by the compaction step that
-- leaves the index in one segment, which holds no deleted row (src/app/compaction.rs).
CREATE TABLE user_substrings_compaction (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  owed_since TEXT NOT NULL
);

-- The employees there are now (the insert trigger's values, for every row).
INSERT INTO user_substrings (
  rowid, tenant, user_name, given_name, middle_name, family_name, formatted, display_name,
  employee_number, emails
) SELECT
  u.rowid,
  substr('____' || u.tenant_id, -4),
  u.user_name_fold,
  json_extract(u.folded, '$."name"."givenName"'),
  json_extract(u.folded, '$."name"."middleName"'),
  json_extract(u.folded, '$."name"."familyName"'),
  json_extract(u.folded, '$."name"."formatted"'),
  json_extract(u.folded, '$."displayName"'),
  json_extract(u.folded, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."employeeNumber"'),
  (SELECT group_concat(json_extract(e.value, '$."value"'), char(10)) FROM json_each(u.folded, '$."emails"') e)
FROM users u;
