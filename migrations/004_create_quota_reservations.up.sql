-- Quota admitted by the gateway but not yet visible in the mirror: made before the DaapDatabase
-- is written, released if that write fails, settled (deleted) when the mirror sees the
-- database, ignored once expired.
CREATE TABLE quota_reservations (
    id bigserial PRIMARY KEY,
    tier varchar(63) NOT NULL,
    namespace varchar(253) NOT NULL,
    database_name varchar(63) NOT NULL,
    databases integer NOT NULL DEFAULT 1,
    cpu_milli bigint NOT NULL DEFAULT 0,
    memory_bytes bigint NOT NULL DEFAULT 0,
    storage_bytes bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX quota_reservations_tier_idx ON quota_reservations (tier, expires_at);
CREATE INDEX quota_reservations_database_idx ON quota_reservations (namespace, database_name);
