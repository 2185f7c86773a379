DROP TRIGGER IF EXISTS databases_usage ON databases;
DROP FUNCTION IF EXISTS databases_usage_change();
DROP TABLE IF EXISTS tier_usage_changes;
