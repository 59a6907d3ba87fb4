-- Tenants (customer companies) and their SCIM bearer tokens (DESIGN §3).
-- Times are RFC 3339 UTC strings with exactly three fractional digits ("2026-11-24T20:45:04.123Z"):
-- fixed width, so text order is time order.

CREATE TABLE tenants (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created    TEXT NOT NULL
);
-- Admin listing: newest first, keyset-paged on (created, id).
CREATE INDEX tenants_by_created ON tenants (created, id);

-- Only the SHA-256 of a token is stored (hex); a request's token is looked up by that hash.
CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  prefix     TEXT NOT NULL,
  label      TEXT,
  created    TEXT NOT NULL,
  last_used  TEXT,
  revoked_at TEXT
);
CREATE INDEX tokens_by_tenant ON tokens (tenant_id, created, id);
