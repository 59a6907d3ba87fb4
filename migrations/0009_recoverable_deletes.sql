-- Recoverable deletes (DESIGN §4): a SCIM DELETE moves the employee out of `users` into
-- `deleted_users`, where the product keeps it for the tenant's retention (default 30 days),
-- restorable by an admin; then it is purged, and its personal data erased.

-- What a restore needs (the canonical document and the server's own facts; every other column
-- of `users` is computed again from the document by the write that restores it), and who
-- deleted it. Its userName and externalId no longer hold the unique indexes of `users`.
CREATE TABLE deleted_users (
  tenant_id    TEXT NOT NULL,
  id           TEXT NOT NULL,
  resource     TEXT NOT NULL,
  version      INTEGER NOT NULL,
  created      TEXT NOT NULL,
  user_name    TEXT NOT NULL,
  email        TEXT,
  -- Whether the employee was active when deleted (a restore brings that state back).
  active       INTEGER NOT NULL CHECK (active IN (0, 1)),
  deleted_at   TEXT NOT NULL,
  -- When the retention purges it: deleted_at plus the tenant's retention, moved when an admin
  -- changes the retention.
  purge_at     TEXT NOT NULL,
  request_id   TEXT NOT NULL,
  token_id     TEXT,
  client       TEXT,
  PRIMARY KEY (tenant_id, id)
);
-- The admin list (newest first) and the purge of a tenant's expired ones.
CREATE INDEX deleted_users_by_time ON deleted_users (tenant_id, deleted_at, id);
-- The purge Cron Trigger's sweep: the tenants with employees due, then each one's due first.
CREATE INDEX deleted_users_due ON deleted_users (purge_at);
CREATE INDEX deleted_users_due_by_tenant ON deleted_users (tenant_id, purge_at);

-- A reference to an employee who is deleted shows nothing, and its value leaves the
-- referencing document (so no filter finds it either); the value is held here, as sent and
-- folded, until a restore puts it back or the purge drops the row.
ALTER TABLE employee_refs ADD COLUMN held TEXT;
ALTER TABLE employee_refs ADD COLUMN held_fold TEXT;

-- Days a deleted employee stays restorable (NULL: 30).
ALTER TABLE tenants ADD COLUMN deleted_retention_days INTEGER;

-- The activation history gains `restore` (the employee exists again, in the state it had when
-- deleted), and a purge erases the names and emails of an employee's snapshots (NULL), keeping
-- its id and times. SQLite changes a CHECK or a NOT NULL only by rebuilding the table.
CREATE TABLE activation_rebuilt (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id      TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  at             TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('create', 'deactivate', 'reactivate', 'delete', 'restore')),
  active         INTEGER NOT NULL CHECK (active IN (0, 1)),
  user_name      TEXT,
  email          TEXT,
  user_name_fold TEXT
);
INSERT INTO activation_rebuilt (seq, tenant_id, user_id, at, kind, active, user_name, email, user_name_fold)
  SELECT seq, tenant_id, user_id, at, kind, active, user_name, email, user_name_fold FROM activation;
DROP TABLE activation;
ALTER TABLE activation_rebuilt RENAME TO activation;
CREATE INDEX activation_by_time ON activation (tenant_id, at);
CREATE INDEX activation_state ON activation (tenant_id, user_id, at, kind, active);
CREATE INDEX activation_deletions ON activation (tenant_id, user_name_fold, user_id, at)
  WHERE kind = 'delete';

-- The activity log's operations gain `restore` and `purge` (DESIGN §7). Both rebuilt tables
-- keep every row with its seq, so AUTOINCREMENT goes on from the highest seq kept (the log's
-- cursors stay valid), and get back every index they had.
CREATE TABLE events_rebuilt (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  at         TEXT NOT NULL,
  request_id TEXT NOT NULL,
  operation  TEXT NOT NULL CHECK (operation IN ('create', 'replace', 'update', 'deactivate', 'reactivate', 'delete', 'restore', 'purge')),
  user_id    TEXT,
  user_name  TEXT,
  status     INTEGER NOT NULL,
  detail     TEXT,
  changes    TEXT,
  client     TEXT,
  token_id   TEXT
);
INSERT INTO events_rebuilt (seq, tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id)
  SELECT seq, tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id FROM events;
DROP TABLE events;
ALTER TABLE events_rebuilt RENAME TO events;
CREATE INDEX events_by_tenant ON events (tenant_id, seq);
CREATE INDEX events_by_user ON events (tenant_id, user_id, seq);
CREATE INDEX events_by_time ON events (at);
CREATE INDEX events_by_user_name ON events (tenant_id, user_name, seq);
CREATE INDEX events_by_operation ON events (tenant_id, operation, seq);
CREATE INDEX events_failed ON events (tenant_id, seq) WHERE status >= 400;
