-- Which credential format a token was issued in (DESIGN §3): 0 for the tokens issued before the
-- format with a version, a shard and a check value ("scim_" + 43 characters: these rows get 0),
-- 1 for version 1 ("scim_1_<shard>_<random>_<check>"). The admin API reports each tenant's live
-- format-0 tokens so that operators can rotate them.
ALTER TABLE tokens ADD COLUMN format INTEGER NOT NULL DEFAULT 0;

-- The live format-0 tokens, and only those: no token of that format is issued any more, so this
-- index only shrinks, and counting them (per tenant, or for a page of tenants) reads it alone.
CREATE INDEX tokens_legacy_live ON tokens (tenant_id) WHERE format = 0 AND revoked_at IS NULL;
