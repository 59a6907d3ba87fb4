-- Unique externalIds, the stored size of each user, and each tenant's quota and usage
-- (the bounded-input issue; scim/columns.rs declares the users columns, store/users.rs keeps
-- the usage counters right in every write batch).

-- externalId is unique within a tenant when present (several users may have none: SQLite
-- treats NULLs as distinct in a unique index). `make dev` and `make deploy` list existing
-- duplicates before this migration runs (scripts/migrations.sh) and stop, rather than letting
-- it fail or merging anyone.
DROP INDEX users_by_external_id;
CREATE UNIQUE INDEX users_by_external_id ON users (tenant_id, external_id);

-- The bytes a user's row stores in its documents (the canonical and the folded JSON), as the
-- write that produced it measured them. A tenant's stored_bytes is the sum of its users' size.
ALTER TABLE users ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE users SET size = length(CAST(resource AS BLOB)) + length(CAST(folded AS BLOB));

-- A tenant's quota (NULL: the service's defaults, store/tenants.rs) and its usage.
ALTER TABLE tenants ADD COLUMN max_employees INTEGER;
ALTER TABLE tenants ADD COLUMN max_bytes INTEGER;
ALTER TABLE tenants ADD COLUMN employees INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE tenants SET
  employees = (SELECT count(*) FROM users u WHERE u.tenant_id = tenants.id),
  stored_bytes = (SELECT coalesce(sum(u.size), 0) FROM users u WHERE u.tenant_id = tenants.id);

-- Rows whose folded copies predate the current case folding (NFC before folding): 1 until the
-- refold job (app/maintenance.rs, run by the Cron Trigger) rewrites them in bounded steps; 2 for
-- a user whose userName now folds equal to another user's: reported, left as it was, never
-- merged. New writes store 0.
ALTER TABLE users ADD COLUMN fold_stale INTEGER NOT NULL DEFAULT 0;
UPDATE users SET fold_stale = 1;
CREATE INDEX users_fold_stale ON users (tenant_id, fold_stale) WHERE fold_stale > 0;
