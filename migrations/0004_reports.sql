-- What the roster and the activity log read (DESIGN §4, §7; app/reports.rs, store/reports.rs).

-- The folded userName (Unicode case folding, computed in Rust like users.user_name_fold) of each
-- history snapshot. The roster is ordered by userName ignoring case, and names an employee
-- deleted since by the snapshot of their deletion: this column orders them among the others.
ALTER TABLE activation ADD COLUMN user_name_fold TEXT;
-- Rows written before this column existed: the fold of employees who still exist; for the
-- deleted ones SQL cannot fold Unicode, so ASCII lower-casing is the best available.
UPDATE activation SET user_name_fold = coalesce(
  (SELECT u.user_name_fold FROM users u WHERE u.tenant_id = activation.tenant_id AND u.id = activation.user_id),
  lower(user_name)
);

-- An employee's state at time T is their history row with the highest seq among those at or
-- before T (seq is commit order, so the last row is the current state). This index answers
-- that per employee, and the roster's counts for the whole tenant, from the index alone
-- (seq is the rowid, in every index). It supersedes activation_by_user, its prefix.
CREATE INDEX activation_state ON activation (tenant_id, user_id, at, kind, active);
DROP INDEX activation_by_user;

-- Employees deleted since T, in userName order (the roster's second source besides users).
CREATE INDEX activation_deletions ON activation (tenant_id, user_name_fold, user_id, at)
  WHERE kind = 'delete';

-- The activity log's filters, each newest first: a userName as logged (refused creates have no
-- user id), an operation, failures (few, so a small partial index).
CREATE INDEX events_by_user_name ON events (tenant_id, user_name, seq);
CREATE INDEX events_by_operation ON events (tenant_id, operation, seq);
CREATE INDEX events_failed ON events (tenant_id, seq) WHERE status >= 400;
