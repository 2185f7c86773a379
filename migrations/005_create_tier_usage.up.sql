-- What each tier's live databases hold, kept as it changes so that admitting a database reads a
-- few rows instead of summing every database of its tier (15 ms at 12,000 databases, under the
-- tier's admission lock). A trigger on databases appends one signed change per row that starts
-- or stops counting; nothing updates a shared row, so concurrent mirror writes never wait on
-- one another here. Admission folds a tier's changes into one row, under its advisory lock.
CREATE TABLE tier_usage_changes (
    tier varchar(63) NOT NULL,
    databases bigint NOT NULL,
    cpu_milli bigint NOT NULL,
    memory_bytes bigint NOT NULL,
    storage_bytes bigint NOT NULL
);

CREATE INDEX tier_usage_changes_tier_idx ON tier_usage_changes (tier);

CREATE FUNCTION databases_usage_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted_before boolean := false;
    counted_after boolean := false;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        counted_before := OLD.deleted_at IS NULL AND OLD.counts_toward_quota;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        counted_after := NEW.deleted_at IS NULL AND NEW.counts_toward_quota;
    END IF;
    IF counted_before AND counted_after AND OLD.tier = NEW.tier
        AND OLD.cpu_milli = NEW.cpu_milli AND OLD.memory_bytes = NEW.memory_bytes
        AND OLD.storage_bytes = NEW.storage_bytes THEN
        RETURN NULL;  -- A status change: what the row holds is the same.
    END IF;
    IF counted_before THEN
        INSERT INTO tier_usage_changes
        VALUES (OLD.tier, -1, -OLD.cpu_milli, -OLD.memory_bytes, -OLD.storage_bytes);
    END IF;
    IF counted_after THEN
        INSERT INTO tier_usage_changes
        VALUES (NEW.tier, 1, NEW.cpu_milli, NEW.memory_bytes, NEW.storage_bytes);
    END IF;
    RETURN NULL;
END
$$;

-- No mirror write may slip between the backfill and the trigger.
LOCK TABLE databases IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER databases_usage
    AFTER INSERT OR UPDATE OR DELETE ON databases
    FOR EACH ROW EXECUTE FUNCTION databases_usage_change();

INSERT INTO tier_usage_changes
SELECT tier, count(*), sum(cpu_milli), sum(memory_bytes), sum(storage_bytes)
FROM databases
WHERE deleted_at IS NULL AND counts_toward_quota
GROUP BY tier;
