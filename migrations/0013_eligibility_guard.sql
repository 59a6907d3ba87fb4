-- The mass-deactivation guard on survey eligibility (DESIGN §4): when more of a tenant's
-- eligible employees leave eligibility within a window than its threshold allows, the guard
-- trips and holds those changes (the employees count as eligible) until an admin applies or
-- dismisses them, or they apply by themselves after the tenant's period. SCIM is not affected.

-- A history row that makes an eligible employee ineligible: a deactivation, or a deletion of an
-- employee who was eligible (active, or kept eligible by a hold). What the guard counts.
ALTER TABLE activation ADD COLUMN loss INTEGER NOT NULL DEFAULT 0 CHECK (loss IN (0, 1));
-- What the guard made of the row: NULL (nothing), 'held' (the employee still counts as eligible,
-- waiting for a decision), 'applied' (it took effect at its time, as if never held), 'dismissed'
-- (an admin kept the employee eligible: "overridden"), 'cleared' (the IdP reactivated or an admin
-- restored the employee while held: eligible throughout).
ALTER TABLE activation ADD COLUMN hold TEXT CHECK (hold IN ('held', 'applied', 'dismissed', 'cleared'));
-- The trip that held it.
ALTER TABLE activation ADD COLUMN trip_id INTEGER;
-- The losses of a window (the count of a trip check), and the rows still held.
CREATE INDEX activation_losses ON activation (tenant_id, at, user_id) WHERE loss = 1;
CREATE INDEX activation_held ON activation (tenant_id, kind, user_id) WHERE hold = 'held';
-- The roster reads the state row's hold with its kind and active: the covering index gains it.
DROP INDEX activation_state;
CREATE INDEX activation_state ON activation (tenant_id, user_id, at, kind, active, hold);

-- A trip: when, the window it counted, how many left eligibility out of how many eligible at the
-- window's start, the IdP clients behind those changes, when it applies by itself (NULL: never),
-- and when and how it ended (every held change applied, dismissed or cleared).
CREATE TABLE guard_trips (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id       TEXT NOT NULL,
  tripped_at      TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  window_start    TEXT NOT NULL,
  losses          INTEGER NOT NULL,
  eligible_before INTEGER NOT NULL,
  clients         TEXT NOT NULL,
  auto_apply_at   TEXT,
  ended_at        TEXT
);
-- At most one open trip per tenant.
CREATE UNIQUE INDEX guard_trips_open ON guard_trips (tenant_id) WHERE ended_at IS NULL;
CREATE INDEX guard_trips_by_tenant ON guard_trips (tenant_id, id);
CREATE INDEX guard_trips_due ON guard_trips (auto_apply_at) WHERE ended_at IS NULL;

-- The tenant's guard (NULL: the default): on or off (1), the share of the eligible employees
-- (10 %) and the least number (20) that trip it within the window (60 minutes), and the days
-- after which held changes apply by themselves (7; 0: never).
ALTER TABLE tenants ADD COLUMN guard_enabled INTEGER CHECK (guard_enabled IN (0, 1));
ALTER TABLE tenants ADD COLUMN guard_percent INTEGER;
ALTER TABLE tenants ADD COLUMN guard_minimum INTEGER;
ALTER TABLE tenants ADD COLUMN guard_window_minutes INTEGER;
ALTER TABLE tenants ADD COLUMN guard_auto_apply_days INTEGER;

-- The activity log's operations gain the guard's: `guard` (a trip), `apply` and `dismiss` (an
-- admin's decision, or the automatic application, per employee). Rebuilt as 0009 did, keeping
-- every row with its seq and every index.
CREATE TABLE events_rebuilt (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  at         TEXT NOT NULL,
  request_id TEXT NOT NULL,
  operation  TEXT NOT NULL CHECK (operation IN ('create', 'replace', 'update', 'deactivate', 'reactivate', 'delete', 'restore', 'purge', 'bulk', 'guard', 'apply', 'dismiss')),
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
