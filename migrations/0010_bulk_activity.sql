-- POST /Bulk (RFC 7644 §3.7): a Bulk request refused whole by the per-token rate limit leaves
-- one activity-log entry of its own, operation 'bulk' (each performed operation of a Bulk
-- request is logged as the single request would be). SQLite cannot change a CHECK constraint
-- in place: the table is rebuilt with the same columns, rows and indexes.
CREATE TABLE events_0010 (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  at         TEXT NOT NULL,
  request_id TEXT NOT NULL,
  operation  TEXT NOT NULL CHECK (operation IN ('create', 'replace', 'update', 'deactivate', 'reactivate', 'delete', 'restore', 'purge', 'bulk')),
  user_id    TEXT,
  user_name  TEXT,
  status     INTEGER NOT NULL,
  detail     TEXT,
  -- JSON list of {"path", "old", "new"} for successful writes; NULL for refused ones.
  changes    TEXT,
  client     TEXT,
  token_id   TEXT
);
INSERT INTO events_0010 (seq, tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id)
  SELECT seq, tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id FROM events;
DROP TABLE events;
ALTER TABLE events_0010 RENAME TO events;
CREATE INDEX events_by_tenant ON events (tenant_id, seq);
CREATE INDEX events_by_user ON events (tenant_id, user_id, seq);
CREATE INDEX events_by_time ON events (at);
CREATE INDEX events_by_user_name ON events (tenant_id, user_name, seq);
CREATE INDEX events_by_operation ON events (tenant_id, operation, seq);
CREATE INDEX events_failed ON events (tenant_id, seq) WHERE status >= 400;
