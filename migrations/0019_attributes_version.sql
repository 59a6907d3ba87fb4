-- The version of a tenant's attribute definitions (issue 22): one more each time any of its
-- definitions is added, changed or removed, kept by the triggers below so that no write path
-- can forget it. A worker isolate keeps the definitions it last read with their version
-- (app::recent), uses them to read a request's body or filter before its batch, and every
-- write computed from them carries the version as a condition: a write made with definitions
-- that changed meanwhile does not happen, and is computed again from the batch's fresh ones.
ALTER TABLE tenants ADD COLUMN attributes_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER attributes_version_on_insert AFTER INSERT ON attributes
BEGIN
  UPDATE tenants SET attributes_version = attributes_version + 1 WHERE id = NEW.tenant_id;
END;

-- Only the columns a definition is made of: the attribute-health columns (last_received, ...)
-- change with every write that sends the attribute, and are no part of it.
CREATE TRIGGER attributes_version_on_update
AFTER UPDATE OF tenant_id, id, name, scim_name, type, options, aliases, active ON attributes
BEGIN
  UPDATE tenants SET attributes_version = attributes_version + 1
  WHERE id IN (OLD.tenant_id, NEW.tenant_id);
END;

CREATE TRIGGER attributes_version_on_delete AFTER DELETE ON attributes
BEGIN
  UPDATE tenants SET attributes_version = attributes_version + 1 WHERE id = OLD.tenant_id;
END;
