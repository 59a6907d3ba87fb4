-- A tenant of shard 0 from before shards and the credential format (tests/e2e/shards.rs): its
-- id has no shard mark, and its token is of the old format (`scim_` + 43 characters, no version,
-- no shard, no check value), as Okta and Entra still hold them. `scripts/test.sh` loads it into
-- shard 0's local D1 (DB) before `wrangler dev` starts. The token is
-- scim_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM (the bytes 100..131), stored as its SHA-256.

INSERT INTO tenants (id, name, active, created)
VALUES ('tnt_e2e_legacy_shard0', 'Before shards (e2e)', 1, '2026-01-01T00:00:00.000Z');

INSERT INTO tokens (id, tenant_id, hash, prefix, label, created, format)
VALUES ('tok_e2e_legacy', 'tnt_e2e_legacy_shard0',
        'c941a3db48d2322387d5e65b2b75609bf99f45828dd39d1c67c2dc7e31eb78c4', 'scim_ZGVmZ2h',
        'old format', '2026-01-01T00:00:00.000Z', 0);
