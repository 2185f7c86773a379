-- The gateway's copy of the DaapTier and DaapDatabase custom resources (the Kubernetes API is
-- the source of truth), kept by its watch, used for listing, filtering, pagination and quota.
-- resource_version guards every write: an older event never overwrites a newer row.
-- Quantities are exact integers: cpu in millicores, memory and storage in bytes.

CREATE TABLE tiers (
    name varchar(253) PRIMARY KEY,
    uid text NOT NULL,
    generation bigint NOT NULL DEFAULT 0,
    resource_version bigint NOT NULL,
    description text NOT NULL DEFAULT '',
    postgres_version integer NOT NULL DEFAULT 0,
    instances integer NOT NULL DEFAULT 1,
    cpu_milli bigint NOT NULL DEFAULT 0,
    memory_bytes bigint NOT NULL DEFAULT 0,
    storage_bytes bigint NOT NULL DEFAULT 0,
    backup_enabled boolean NOT NULL DEFAULT false,
    destruction_strategy text NOT NULL DEFAULT '',
    max_databases bigint NOT NULL DEFAULT 0,
    max_cpu_milli bigint NOT NULL DEFAULT 0,
    max_memory_bytes bigint NOT NULL DEFAULT 0,
    max_storage_bytes bigint NOT NULL DEFAULT 0,
    spec jsonb NOT NULL DEFAULT '{}',
    status jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the DaapTier left Kubernetes; a tier recreated under the same name revives it.
    deleted_at timestamptz
);

CREATE TABLE databases (
    id uuid PRIMARY KEY,  -- metadata.uid, the REST id
    name varchar(63) NOT NULL,
    namespace varchar(253) NOT NULL,
    owner_team varchar(63) NOT NULL,
    purpose text NOT NULL DEFAULT '',
    tier varchar(63) NOT NULL,
    lifecycle text NOT NULL DEFAULT 'Active',
    phase text NOT NULL DEFAULT '',  -- status.phase; '' until the operator sets it
    generation bigint NOT NULL DEFAULT 0,
    observed_generation bigint NOT NULL DEFAULT 0,
    resource_version bigint NOT NULL,
    -- status.connection: where to connect and which Secrets to read; never a credential.
    host text,
    port integer,
    database text,
    secret_name text,
    ca_secret_name text,
    sslmode text,
    -- status.backup
    backup_enabled boolean NOT NULL DEFAULT false,
    last_successful_backup timestamptz,
    first_recoverability_point timestamptz,
    extensions jsonb NOT NULL DEFAULT '[]',
    conditions jsonb NOT NULL DEFAULT '[]',
    provisioned_tier jsonb,
    restore_source_id uuid,
    restore_target_time timestamptz,
    destroyed_at timestamptz,
    -- What the database allocates under its tier, and whether that counts now.
    cpu_milli bigint NOT NULL DEFAULT 0,
    memory_bytes bigint NOT NULL DEFAULT 0,
    storage_bytes bigint NOT NULL DEFAULT 0,
    counts_toward_quota boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,  -- metadata.creationTimestamp
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the DaapDatabase left Kubernetes (soft delete; the row is kept).
    deleted_at timestamptz
);

-- Names are unique among active databases. Kubernetes scopes a name to its namespace, and a
-- mirror must hold whatever the API server holds, so the constraint is per namespace; with
-- the gateway's one namespace per team it is the seeds' rule for every team.
CREATE UNIQUE INDEX databases_name_active_idx ON databases (namespace, name)
    WHERE deleted_at IS NULL;
-- Listing pages by (created_at, id); filters by owner team, status and tier, or name prefix.
CREATE INDEX databases_created_idx ON databases (created_at, id);
CREATE INDEX databases_owner_team_idx ON databases (owner_team, created_at, id);
CREATE INDEX databases_phase_idx ON databases (phase);
CREATE INDEX databases_tier_idx ON databases (tier) WHERE deleted_at IS NULL;
CREATE INDEX databases_name_prefix_idx ON databases (name text_pattern_ops);
