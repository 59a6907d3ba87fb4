-- The change feed (DESIGN §7, issue 19): an outbox of employee events, read by the admin API's
-- events list and pushed to each tenant's webhook endpoints through a Cloudflare Queue.

-- The activity log was called `events`; with a second kind of event beside it, the names say
-- which is which: the log of SCIM write requests is `activity` (its admin API path already is),
-- the change feed `employee_events`. SQLite keeps every row, the AUTOINCREMENT counter and the
-- indexes across a rename; the indexes are renamed with it.
ALTER TABLE events RENAME TO activity;
DROP INDEX events_by_tenant;
DROP INDEX events_by_user;
DROP INDEX events_by_time;
DROP INDEX events_by_user_name;
DROP INDEX events_by_operation;
DROP INDEX events_failed;
CREATE INDEX activity_by_tenant ON activity (tenant_id, seq);
CREATE INDEX activity_by_user ON activity (tenant_id, user_id, seq);
CREATE INDEX activity_by_time ON activity (at);
CREATE INDEX activity_by_user_name ON activity (tenant_id, user_name, seq);
CREATE INDEX activity_by_operation ON activity (tenant_id, operation, seq);
CREATE INDEX activity_failed ON activity (tenant_id, seq) WHERE status >= 400;

-- One row per committed change to an employee, written in the batch of the change, under the
-- condition that makes the change happen (store/outbox.rs). `seq` is the feed's order: D1 runs
-- one write transaction at a time, so a row's AUTOINCREMENT value is assigned in commit order,
-- and a reader that sees seq N has seen every smaller one of the tenant (cursor paging never
-- skips or repeats). `eligible` and `held` are the employee's survey eligibility after the
-- change, as the roster counts it (store/guard.rs).
CREATE TABLE employee_events (
  -- Also the event's id (`evt_<seq>`: unique, never reused, the same in the events API and
  -- in every delivery of it, the webhook-id).
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  at         TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('employee.created', 'employee.updated', 'employee.deactivated',
               'employee.reactivated', 'employee.deleted', 'employee.restored', 'employee.purged',
               'employee.held', 'employee.hold_applied', 'employee.hold_dismissed')),
  user_id    TEXT NOT NULL,
  -- NULL once the employee is purged (personal data erased).
  user_name  TEXT,
  email      TEXT,
  active     INTEGER NOT NULL CHECK (active IN (0, 1)),
  eligible   INTEGER NOT NULL CHECK (eligible IN (0, 1)),
  held       INTEGER NOT NULL CHECK (held IN (0, 1)),
  -- JSON list of {"path", "old", "new"}, bounded as in the activity log; NULL when none.
  changes    TEXT,
  request_id TEXT NOT NULL
);
CREATE INDEX employee_events_by_tenant ON employee_events (tenant_id, seq);
CREATE INDEX employee_events_by_user ON employee_events (tenant_id, user_id, seq);
CREATE INDEX employee_events_by_time ON employee_events (at);

-- A tenant's webhook endpoints. The secrets are sealed (XChaCha20-Poly1305 under a key derived
-- from the Worker secret WEBHOOK_SECRET_KEY), never stored in the clear; after a rotation the
-- previous one signs too until `previous_until`. `fanned_seq`: every event of the tenant up to
-- this seq has its delivery row (or was not wanted).
CREATE TABLE webhook_endpoints (
  tenant_id       TEXT NOT NULL,
  id              TEXT NOT NULL,
  url             TEXT NOT NULL,
  description     TEXT,
  -- JSON array of the event types wanted; NULL: all.
  event_types     TEXT,
  secret          TEXT NOT NULL,
  previous_secret TEXT,
  previous_until  TEXT,
  state           TEXT NOT NULL CHECK (state IN ('active', 'disabled', 'failing')),
  created         TEXT NOT NULL,
  state_changed   TEXT NOT NULL,
  fanned_seq      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX webhook_endpoints_by_id ON webhook_endpoints (id);
CREATE INDEX webhook_endpoints_by_created ON webhook_endpoints (tenant_id, created, id);

-- What is still to be delivered, per endpoint and event; a row goes once delivered. Per
-- employee, only the lowest seq of an endpoint is ever sent (the employee's order), so an
-- earlier event still being retried holds the employee's later ones back.
CREATE TABLE webhook_deliveries (
  tenant_id     TEXT NOT NULL,
  endpoint_id   TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  user_id       TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  first_attempt TEXT,
  next_attempt  TEXT NOT NULL,
  -- Handed to the queue (or being sent) until then: not handed again before.
  leased_until  TEXT,
  PRIMARY KEY (endpoint_id, seq)
);
CREATE INDEX webhook_deliveries_by_user ON webhook_deliveries (endpoint_id, user_id, seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt);
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (tenant_id, endpoint_id);

-- The delivery log: one row per attempt (no secret, no payload).
CREATE TABLE webhook_attempts (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id   TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  event_seq   INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  at          TEXT NOT NULL,
  -- The receiver's HTTP status; NULL when none came (refused, timed out).
  status      INTEGER,
  latency_ms  INTEGER NOT NULL,
  error       TEXT
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (tenant_id, endpoint_id, seq);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (at);
