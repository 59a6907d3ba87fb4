-- Company admins (DESIGN §3, §7): the operator issues a one-time sign-in link for an email at a
-- tenant; its confirmation exchanges it for a session (a cookie), scoped to that tenant. Both are
-- credentials of the format of DESIGN §3, stored only as their SHA-256. Every admin action
-- (operator's or admin's) is in the tenant's audit log, which never holds a secret.

CREATE TABLE sign_in_links (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  email      TEXT NOT NULL,
  created    TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- Set once, by the exchange that used it.
  used_at    TEXT
);
CREATE INDEX sign_in_links_by_tenant ON sign_in_links (tenant_id, created);

CREATE TABLE admin_sessions (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  email      TEXT NOT NULL,
  created    TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  -- The link it was exchanged for.
  link_id    TEXT NOT NULL
);
CREATE INDEX admin_sessions_by_tenant ON admin_sessions (tenant_id, created);

CREATE TABLE admin_audit (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  at         TEXT NOT NULL,
  request_id TEXT NOT NULL,
  -- 'operator', or the signed-in admin's email.
  actor      TEXT NOT NULL,
  session_id TEXT,
  action     TEXT NOT NULL,
  target     TEXT,
  detail     TEXT
);
CREATE INDEX admin_audit_by_tenant ON admin_audit (tenant_id, seq);
