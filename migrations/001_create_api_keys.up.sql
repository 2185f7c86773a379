-- API keys: only a public prefix (to find the row) and a hash of the secret are stored; the
-- secret is shown once at creation and never kept.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prefix text NOT NULL,
    hash text NOT NULL,
    team text NOT NULL,
    role text NOT NULL CHECK (role IN ('platform-team', 'product-team')),
    description text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);

-- GET /api-keys pages by (created_at, id), optionally for one team.
CREATE INDEX api_keys_created_idx ON api_keys (created_at, id);
CREATE INDEX api_keys_team_idx ON api_keys (team, created_at, id);
-- Bootstrap asks whether any platform key is still active.
CREATE INDEX api_keys_active_role_idx ON api_keys (role) WHERE revoked_at IS NULL;
