-- Every request that reached a handler, allowed or denied. Append-only; key_id has no foreign
-- key so the log outlives anything it mentions.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    time timestamptz NOT NULL DEFAULT now(),
    request_id text NOT NULL DEFAULT '',
    team text NOT NULL DEFAULT '',
    key_id uuid,
    role text NOT NULL DEFAULT '',
    action text NOT NULL,
    resource_type text NOT NULL DEFAULT '',
    resource_id text NOT NULL DEFAULT '',
    outcome integer NOT NULL
);

-- Queries read newest first by (time, id), filtered by team, action or resource.
CREATE INDEX audit_log_time_idx ON audit_log (time DESC, id DESC);
CREATE INDEX audit_log_team_idx ON audit_log (team, time DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, time DESC, id DESC);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id, time DESC, id DESC);
