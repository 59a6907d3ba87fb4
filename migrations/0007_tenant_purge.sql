-- Tenants being purged (DESIGN §3, §7). `DELETE /admin/v1/tenants/{tenant}` deletes the tenant's
-- row and records it here, in one batch: from then on no token of the tenant passes the token
-- check (which joins `tenants`), no SCIM statement reaches its rows, and the admin API answers 404.
-- Its rows in every table of `store::tenants::TENANT_TABLES` are then deleted in bounded steps
-- (app/purge.rs): first within the request, then by the purge Cron Trigger until none is left;
-- this entry is deleted last, in the same statement that checks that none is left.
CREATE TABLE tenant_purges (
  -- The tenant's id. Not named `tenant_id`: this row is the purge's bookkeeping, not the
  -- tenant's data (a host test reads every table with a `tenant_id` as the tenant's data).
  id        TEXT PRIMARY KEY,
  requested TEXT NOT NULL
);
-- Pending purges, oldest first.
CREATE INDEX tenant_purges_by_requested ON tenant_purges (requested, id);
