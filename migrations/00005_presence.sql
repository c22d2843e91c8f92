-- Presence: gateway node liveness for the crash sweeper, and the index the
-- sweeper and a restarting node use to find the online users of a node.
--
-- A node upserts its row when it starts and then every few seconds
-- (heartbeat_at, by the database clock). A node whose row is older than the
-- grace period is presumed dead: the sweeper marks offline, and announces,
-- the users still online under it (user_presences.node_id), then deletes the
-- row. Users that came back on another node have that node's id by then,
-- so they are left alone.

-- +goose Up
CREATE TABLE nodes (
    node_id      text PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- Only system work (liveness, the sweeper, admin) touches nodes; chat_app
-- has no grant and no policy, so it sees nothing.
ALTER TABLE nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY system_all ON nodes TO chat_system USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON nodes TO chat_system;

-- Online users by owning node: the sweeper's batches and a restarting
-- node's takeover are range scans of this partial index, whose size
-- follows the online users, not everyone ever seen.
CREATE INDEX user_presences_online_node ON user_presences (node_id, user_id) WHERE status = 'online';

-- +goose Down
DROP INDEX user_presences_online_node;
REVOKE ALL ON nodes FROM chat_system;
DROP POLICY system_all ON nodes;
DROP TABLE nodes;
