-- What the console's admin API reads (issue 23): roster search, attribute health, connection
-- status. Numbered 0016: 0010–0015 are taken or reserved by other branches.

-- Roster search (`GET .../employees?q=`). `search` holds the words an employee is found by,
-- each preceded by a space (`' jose nunez jose.nunez@example.com'`): given and family name,
-- display name, userName and emails, case-folded and with accents removed (`scim::fold::
-- search_key`, computed in Rust: SQLite cannot fold Unicode). A prefix search of one word is
-- `instr(search, ' ' || word) > 0`.
ALTER TABLE users ADD COLUMN search TEXT;
-- Existing users get theirs from the refold job (`app::maintenance`), a bounded step per run
-- of the Cron Trigger: every row is marked as stale here, and the refold rewrites its folds,
-- now including `search`.
UPDATE users SET fold_stale = 1 WHERE fold_stale = 0;

-- The same words, kept with a deletion, so that the roster of an earlier time finds employees
-- deleted since. Deletions recorded before this column: their userName and email, lower-cased
-- as ASCII (SQL cannot fold Unicode or drop accents; the best available, as 0004 did).
ALTER TABLE activation ADD COLUMN search TEXT;
UPDATE activation SET search = ' ' || lower(user_name) || coalesce(' ' || lower(email), '')
  WHERE kind = 'delete' AND user_name IS NOT NULL;

-- Attribute health. When an attribute's value was last received (written at most once an hour
-- per attribute, from the batch of the write that received it), and the last refusal of one
-- of its values, with the reason the IdP was given.
ALTER TABLE attributes ADD COLUMN last_received TEXT;
ALTER TABLE attributes ADD COLUMN last_refused TEXT;
ALTER TABLE attributes ADD COLUMN refused_reason TEXT;
ALTER TABLE attributes ADD COLUMN refused_count INTEGER NOT NULL DEFAULT 0;

-- Names sent under the tenant extension that matched no attribute (the request was refused),
-- one row per folded name, written in the batch that logs the refusal. Bounded per tenant:
-- the same batch keeps the most recently seen 200 (`store::health::MAX_UNMATCHED`).
CREATE TABLE attribute_misses (
  tenant_id  TEXT NOT NULL,
  name_fold  TEXT NOT NULL,
  -- As last sent.
  name       TEXT NOT NULL,
  count      INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen  TEXT NOT NULL,
  -- The User-Agent of the last request that sent it.
  client     TEXT,
  PRIMARY KEY (tenant_id, name_fold)
);
CREATE INDEX attribute_misses_by_time ON attribute_misses (tenant_id, last_seen);

-- Connection status: the client (User-Agent) of a token's last request, written with
-- `last_used` (at most every five minutes).
ALTER TABLE tokens ADD COLUMN last_client TEXT;
