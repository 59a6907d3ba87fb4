-- The mass-deactivation guard's count, kept (issue 22; src/store/guard.rs says how the trip
-- check uses it). Once a window holds the guard's minimum of losses, every further loss compares
-- them with the tenant's employees eligible at the window's start. Counted from the whole
-- history, that read every employee's rows on every such write (O(employees): 7.4 times slower
-- at 100,000 employees than at 1,000). Each count is now kept on the tenant's row: the next one
-- starts from it and reads only the history between the two window starts (the employees who
-- changed since), which the index `activation_by_time` finds.
--
-- The window start the count was taken at, and the count: the tenant's employees eligible
-- then (the roster's rule, holds counted: src/store/eligibility.rs). NULL (both): no count
-- kept; the next trip check counts from the whole history, as before this migration, and
-- keeps that. Existing tenants start so.
ALTER TABLE tenants ADD COLUMN guard_counted_at TEXT;
ALTER TABLE tenants ADD COLUMN guard_counted INTEGER;

-- A kept count is true of its time only while the history up to that time is unchanged: rows
-- are added after it and never before in the ordinary course, but a request stamped before the
-- count's time may commit after it, the guard's holds and an admin's decisions change `hold`,
-- and a purge deletes rows. These triggers drop the count (NULL) when a row at or before its
-- time is added, changed in a column the count reads, or deleted, in the statement that does
-- it, so that no write path can forget it. Rows after the count's time do not touch it (the
-- holds of a trip, taken since its window's start, and the decisions on them leave the count of
-- that start standing). Each costs a write one lookup of its tenant's row.
CREATE TRIGGER guard_count_on_insert AFTER INSERT ON activation
WHEN NEW.at <= (SELECT guard_counted_at FROM tenants WHERE id = NEW.tenant_id)
BEGIN
  UPDATE tenants SET guard_counted_at = NULL, guard_counted = NULL WHERE id = NEW.tenant_id;
END;

CREATE TRIGGER guard_count_on_update
AFTER UPDATE OF tenant_id, user_id, at, kind, active, hold ON activation
WHEN (OLD.tenant_id IS NOT NEW.tenant_id OR OLD.user_id IS NOT NEW.user_id OR OLD.at IS NOT NEW.at
      OR OLD.kind IS NOT NEW.kind OR OLD.active IS NOT NEW.active OR OLD.hold IS NOT NEW.hold)
  AND (OLD.at <= (SELECT guard_counted_at FROM tenants WHERE id = OLD.tenant_id)
       OR NEW.at <= (SELECT guard_counted_at FROM tenants WHERE id = NEW.tenant_id))
BEGIN
  UPDATE tenants SET guard_counted_at = NULL, guard_counted = NULL
  WHERE id IN (OLD.tenant_id, NEW.tenant_id);
END;

CREATE TRIGGER guard_count_on_delete AFTER DELETE ON activation
WHEN OLD.at <= (SELECT guard_counted_at FROM tenants WHERE id = OLD.tenant_id)
BEGIN
  UPDATE tenants SET guard_counted_at = NULL, guard_counted = NULL WHERE id = OLD.tenant_id;
END;
