-- Employees (SCIM Users), their emails, their activation history and the activity log
-- (DESIGN §4, §5, §7). Every table is scoped by tenant_id; statements reach a tenant's rows
-- only through the request's token (store/tenancy.rs).

-- The whole resource as the client wrote it (canonical JSON in `resource`), the same with every
-- caseExact:false string folded (`folded`, read by filters and sorting), and the fields IdPs
-- look up and the product uses, as columns of their own.
CREATE TABLE users (
  tenant_id          TEXT NOT NULL,
  id                 TEXT NOT NULL,
  user_name          TEXT NOT NULL,
  user_name_fold     TEXT NOT NULL,
  external_id        TEXT,
  active             INTEGER NOT NULL CHECK (active IN (0, 1)),
  -- meta.version; bumped by every change.
  version            INTEGER NOT NULL,
  -- Random per write: lets the later statements of a batch tell whether its own write took
  -- effect (a version number alone could have been reached by a concurrent writer).
  write_id           TEXT NOT NULL,
  created            TEXT NOT NULL,
  last_modified      TEXT NOT NULL,
  email              TEXT,
  email_fold         TEXT,
  given_name         TEXT,
  family_name        TEXT,
  display_name       TEXT,
  employee_number    TEXT,
  locale             TEXT,
  preferred_language TEXT,
  timezone           TEXT,
  department         TEXT,
  manager_id         TEXT,
  resource           TEXT NOT NULL,
  folded             TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
-- userName is unique per tenant, compared with Unicode case folding (done in Rust).
CREATE UNIQUE INDEX users_by_user_name ON users (tenant_id, user_name_fold);
CREATE INDEX users_by_external_id ON users (tenant_id, external_id);
-- Listing order without sortBy: creation time, then id.
CREATE INDEX users_by_created ON users (tenant_id, created, id);
CREATE INDEX users_by_email ON users (tenant_id, email_fold);
CREATE INDEX users_by_employee_number ON users (tenant_id, employee_number);
CREATE INDEX users_by_manager ON users (tenant_id, manager_id);
CREATE INDEX users_by_department ON users (tenant_id, department);

-- One row per email of a user, for index-backed lookups (emails.value eq,
-- emails[type eq "work"].value eq).
CREATE TABLE user_emails (
  tenant_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  position   INTEGER NOT NULL,
  value      TEXT NOT NULL,
  value_fold TEXT NOT NULL,
  type_fold  TEXT,
  is_primary INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, user_id, position)
);
CREATE INDEX user_emails_by_value ON user_emails (tenant_id, value_fold);

-- Every creation, activation change and deletion, with its time: who was eligible for
-- surveys at any moment (DESIGN §4). Kept after the user is deleted.
CREATE TABLE activation (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  user_id   TEXT NOT NULL,
  at        TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('create', 'deactivate', 'reactivate', 'delete')),
  -- The user's state after the change (0 after a deletion).
  active    INTEGER NOT NULL CHECK (active IN (0, 1)),
  -- Snapshots, so that a roster of the past can name since-deleted employees.
  user_name TEXT NOT NULL,
  email     TEXT
);
CREATE INDEX activation_by_user ON activation (tenant_id, user_id, at);
CREATE INDEX activation_by_time ON activation (tenant_id, at);

-- The activity log: one entry per SCIM write request, successful or refused (DESIGN §7).
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  at         TEXT NOT NULL,
  request_id TEXT NOT NULL,
  operation  TEXT NOT NULL CHECK (operation IN ('create', 'replace', 'update', 'deactivate', 'reactivate', 'delete')),
  user_id    TEXT,
  user_name  TEXT,
  status     INTEGER NOT NULL,
  detail     TEXT,
  -- JSON list of {"path", "old", "new"} for successful writes; NULL for refused ones.
  changes    TEXT,
  client     TEXT,
  token_id   TEXT
);
CREATE INDEX events_by_tenant ON events (tenant_id, seq);
CREATE INDEX events_by_user ON events (tenant_id, user_id, seq);
CREATE INDEX events_by_time ON events (at);
