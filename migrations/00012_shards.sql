-- Channels partitioned over shards (docs/consistent-hashing.md, the shard
-- ring). Every database of a deployment runs every migration: the
-- directory (DATABASE_URL) and each shard have the same tables, roles and
-- policies, and use what their part needs.
--
-- The directory keeps the shard map and an index of every channel and its
-- memberships in its own channels and memberships tables, so the policies
-- that ask "do these users share a channel" (users, presence) keep working
-- there. channels.shard_id says where a channel's data (seq, messages,
-- read state, outbox) lives; NULL means in this database, which is every
-- row of a shard and every channel of a directory that is its own shard.
--
-- A change of membership is written to the directory first, then to the
-- shard. channels.pending_since marks an index row the shard may not match
-- yet; the directory's reconciler makes the shard match the index for
-- marks older than a grace period (chatd died between the two writes) and
-- clears them. See infrastructure/postgres/sharded_store.go.

-- +goose Up
CREATE TABLE shards (
    id         text PRIMARY KEY CONSTRAINT shards_id_format CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    -- Empty for the directory's own database.
    url        text NOT NULL DEFAULT '',
    weight     integer NOT NULL CONSTRAINT shards_weight CHECK (weight BETWEEN 1 AND 1000),
    state      text NOT NULL CONSTRAINT shards_state CHECK (state IN ('active', 'draining')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the system role reads or changes the map (admin, every node's
-- router); chat_app has no grant and no policy, so it sees nothing.
ALTER TABLE shards ENABLE ROW LEVEL SECURITY;
ALTER TABLE shards FORCE ROW LEVEL SECURITY;
CREATE POLICY system_all ON shards TO chat_system USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON shards TO chat_system;

-- Every database of a deployment gets an identity of its own at
-- migration, so that adding a shard can refuse the directory or a shard
-- already in the map under another URL.
CREATE TABLE chat_database (
    singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT chat_database_single CHECK (singleton),
    id        uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO chat_database DEFAULT VALUES;
ALTER TABLE chat_database ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_database FORCE ROW LEVEL SECURITY;
CREATE POLICY system_read ON chat_database FOR SELECT TO chat_system USING (true);
GRANT SELECT ON chat_database TO chat_system;

-- chat_app's UPDATE grant on channels stays last_seq alone: placement and
-- pending marks change only through the functions below or as chat_system.
ALTER TABLE channels ADD COLUMN shard_id text;
ALTER TABLE channels ADD COLUMN pending_since timestamptz;
CREATE INDEX channels_pending ON channels (pending_since) WHERE pending_since IS NOT NULL;
CREATE INDEX channels_shard ON channels (shard_id, id) WHERE shard_id IS NOT NULL;

GRANT CREATE ON SCHEMA public TO chat_system;

-- chat_create_channel with the id, placement and creation time given (a
-- NULL id or time: a fresh one): the directory chooses the id and shard
-- and writes its index row, then the shard stores the same channel under
-- the same id and time. For a direct
-- pair that has a channel already, the existing one is returned (its id and
-- placement win) and whoever of the pair had left is re-added. p_shard set
-- marks the row pending until the shard confirms (chat_index_settled).
-- +goose StatementBegin
CREATE FUNCTION chat_create_channel(p_id uuid, p_shard text, p_type text, p_name text, p_members text[],
        p_created_at timestamptz)
    RETURNS TABLE (out_channel_id uuid, out_created boolean, out_readded text[], out_shard_id text,
        out_created_at timestamptz, out_pending_since timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_actor   text := chat_current_user();
    v_key     text;
    v_id      uuid;
    v_readded text[] := '{}';
    v_created boolean := true;
    v_pending timestamptz := CASE WHEN p_shard IS NULL THEN NULL ELSE clock_timestamp() END;
    v_new_id  uuid := coalesce(p_id, gen_random_uuid());
    v_created_at timestamptz := coalesce(p_created_at, date_trunc('milliseconds', clock_timestamp()));
BEGIN
    IF v_actor IS NULL OR NOT (v_actor = ANY (p_members)) THEN
        RAISE EXCEPTION 'the acting user must be a member of the channel it creates'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (SELECT count(DISTINCT m) FROM unnest(p_members) AS m) <> cardinality(p_members) THEN
        RAISE EXCEPTION 'channel members must be distinct' USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT count(*) FROM users WHERE id = ANY (p_members)) <> cardinality(p_members) THEN
        RAISE EXCEPTION 'unknown user among channel members' USING ERRCODE = 'no_data_found';
    END IF;

    IF p_type = 'direct' THEN
        IF cardinality(p_members) <> 2 THEN
            RAISE EXCEPTION 'a direct channel has exactly 2 members' USING ERRCODE = 'check_violation';
        END IF;
        v_key := chat_direct_key(p_members[1], p_members[2]);
        -- A concurrent create of the same pair waits here for the first to
        -- commit, then finds its channel below.
        INSERT INTO channels (id, type, direct_key, created_at, shard_id, pending_since)
        VALUES (v_new_id, 'direct', v_key, v_created_at, p_shard, v_pending)
        ON CONFLICT (direct_key) DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            v_created := false;
            SELECT id INTO STRICT v_id FROM channels WHERE direct_key = v_key FOR NO KEY UPDATE;
            -- Whoever of the pair had left is back; the caller announces it.
            WITH readded AS (
                INSERT INTO memberships (channel_id, user_id)
                SELECT v_id, m FROM unnest(p_members) AS m
                ON CONFLICT DO NOTHING
                RETURNING user_id
            )
            SELECT coalesce(array_agg(user_id), '{}') INTO v_readded FROM readded;
            IF cardinality(v_readded) > 0 THEN
                UPDATE channels SET pending_since = clock_timestamp()
                WHERE id = v_id AND shard_id IS NOT NULL;
            END IF;
        END IF;
    ELSE
        -- The id exists when the reconciler completed this creation on
        -- the shard first (the request outlived the grace period): the
        -- channel is there, with its members and event.
        INSERT INTO channels (id, type, name, created_at, shard_id, pending_since)
        VALUES (v_new_id, p_type, nullif(p_name, ''), v_created_at, p_shard, v_pending)
        ON CONFLICT (id) DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            v_id := v_new_id;
            v_created := false;
        END IF;
    END IF;

    IF v_created THEN
        INSERT INTO memberships (channel_id, user_id)
        SELECT v_id, m FROM unnest(p_members) AS m;
    END IF;
    RETURN QUERY SELECT c.id, v_created, v_readded, c.shard_id, c.created_at, c.pending_since
        FROM channels c WHERE c.id = v_id;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_create_channel(uuid, text, text, text, text[], timestamptz) OWNER TO chat_system;
REVOKE ALL ON FUNCTION chat_create_channel(uuid, text, text, text, text[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_create_channel(uuid, text, text, text, text[], timestamptz) TO chat_app;

-- The three-argument form is gone: chatd always names the id, so that a
-- directory and its shard store a channel under one id.
DROP FUNCTION chat_create_channel(text, text, text[]);

-- chat_index_pending marks a directory index row whose shard is about to
-- change: the acting user's join or leave. It stamps only rows placed on
-- another database and only for a member (a join marks after its insert, a
-- leave before its delete), so a session can do no more with it than make
-- the reconciler compare a channel it belongs to.
-- +goose StatementBegin
CREATE FUNCTION chat_index_pending(p_channel uuid) RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_stamp timestamptz;
BEGIN
    IF NOT chat_is_member(p_channel) THEN
        RETURN NULL;
    END IF;
    UPDATE channels SET pending_since = clock_timestamp()
    WHERE id = p_channel AND shard_id IS NOT NULL
    RETURNING pending_since INTO v_stamp;
    RETURN v_stamp;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_index_pending(uuid) OWNER TO chat_system;
REVOKE ALL ON FUNCTION chat_index_pending(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_index_pending(uuid) TO chat_app;

-- A channel moving to another shard is fenced on the shard it leaves:
-- from the moment the mover sets fenced until it deletes the old copy,
-- that copy takes no change. chat_append_messages answers 'fenced' for
-- its sends (and only its: the other channels of a batch are stored), and
-- the store tries them again on the channel's new shard; joins and leaves
-- check the flag under the row lock (ChatStore). chat_app cannot set it
-- (its UPDATE grant is last_seq alone).
ALTER TABLE channels ADD COLUMN fenced boolean NOT NULL DEFAULT false;

-- Moves in progress, journalled in the directory so that a mover that
-- dies mid-move is finished by the next one (ShardMover). Shard ids are
-- the map's; '' is the directory when it is not in the map. switched: the
-- index points at to_shard already; only the old copy is left to delete.
CREATE TABLE shard_moves (
    channel_id uuid PRIMARY KEY,
    from_shard text NOT NULL,
    to_shard   text NOT NULL,
    switched   boolean NOT NULL DEFAULT false,
    started_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE shard_moves ENABLE ROW LEVEL SECURITY;
ALTER TABLE shard_moves FORCE ROW LEVEL SECURITY;
CREATE POLICY system_all ON shard_moves TO chat_system USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON shard_moves TO chat_system;

-- chat_append_messages as in 00010, with one change: a fenced channel's
-- sends come back 'fenced', nothing stored.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_append_messages(p_users text[], p_proofs text[], p_channels uuid[], p_client_message_ids text[],
                                     p_bodies text[], p_statuses text[], p_origins text[])
    RETURNS TABLE (out_idx int, out_status text, out_id uuid, out_seq bigint, out_body text,
                   out_msg_status text, out_created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_count int := cardinality(p_users);
BEGIN
    IF cardinality(p_proofs) <> v_count OR cardinality(p_channels) <> v_count
       OR cardinality(p_client_message_ids) <> v_count OR cardinality(p_bodies) <> v_count
       OR cardinality(p_statuses) <> v_count OR cardinality(p_origins) <> v_count THEN
        RAISE EXCEPTION 'chat_append_messages: arrays of different lengths';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_users, p_proofs) AS t(usr, proof) WHERE NOT chat_actor_proven(t.usr, t.proof)) THEN
        RAISE EXCEPTION 'chat_append_messages: a sender comes without its proof' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM channels WHERE id = ANY (p_channels) ORDER BY id FOR NO KEY UPDATE;
    RETURN QUERY
    WITH items AS (
        SELECT t.idx::int AS idx, t.usr, t.ch, t.cmid, t.body, t.status, t.origin
        FROM unnest(p_users, p_channels, p_client_message_ids, p_bodies, p_statuses, p_origins)
             WITH ORDINALITY AS t(usr, ch, cmid, body, status, origin, idx)
    ), judged AS (
        SELECT i.*, c.last_seq, old.id AS old_id, old.seq AS old_seq, old.body AS old_body, old.status AS old_status,
               old.created_at AS old_created_at,
               CASE WHEN c.fenced THEN 'fenced'
                    WHEN c.id IS NULL OR (c.type <> 'group' AND m.user_id IS NULL) THEN 'not_found'
                    WHEN m.user_id IS NULL THEN 'not_member'
                    WHEN old.id IS NOT NULL THEN 'duplicate'
                    WHEN i.idx <> min(i.idx) OVER (PARTITION BY i.ch, i.usr, i.cmid) THEN 'repeat'
                    ELSE 'new' END AS verdict
        FROM items i
        LEFT JOIN LATERAL (SELECT ch.id, ch.type, ch.last_seq, ch.fenced FROM channels ch WHERE ch.id = i.ch LIMIT 1) c ON true
        LEFT JOIN LATERAL (SELECT mb.user_id FROM memberships mb
                           WHERE mb.channel_id = i.ch AND mb.user_id = i.usr LIMIT 1) m ON true
        LEFT JOIN LATERAL (SELECT o.id, o.seq, o.body, o.status, o.created_at FROM messages o
                           WHERE o.channel_id = i.ch AND o.sender_id = i.usr AND o.client_message_id = i.cmid
                           LIMIT 1) old ON true
    ), numbered AS (
        SELECT j.*, j.last_seq + row_number() OVER (PARTITION BY j.ch ORDER BY j.idx) AS seq
        FROM judged j WHERE j.verdict = 'new'
    ), ins AS (
        INSERT INTO messages (channel_id, seq, sender_id, client_message_id, body, status, created_at)
        SELECT n.ch, n.seq, n.usr, n.cmid, n.body, n.status, date_trunc('milliseconds', clock_timestamp())
        FROM numbered n ORDER BY n.ch, n.seq
        RETURNING *
    ), upd AS (
        UPDATE channels c SET last_seq = n.max_seq
        FROM (SELECT ch, max(seq) AS max_seq FROM numbered GROUP BY ch) n
        WHERE c.id = n.ch AND c.id = ANY (p_channels)
    ), ob AS (
        INSERT INTO outbox (channel_id, actor_id, event)
        SELECT ins.channel_id, ins.sender_id,
               jsonb_build_object('type', 'message_created', 'channelId', ins.channel_id)
               || CASE WHEN n.origin <> '' THEN jsonb_build_object('originSession', n.origin) ELSE '{}'::jsonb END
               || jsonb_build_object('message', jsonb_build_object(
                      'id', ins.id, 'channelId', ins.channel_id, 'senderId', ins.sender_id,
                      'clientMessageId', ins.client_message_id, 'body', ins.body, 'seq', ins.seq,
                      'status', ins.status, 'createdAt', ins.created_at))
        FROM ins JOIN numbered n ON n.ch = ins.channel_id AND n.seq = ins.seq
        ORDER BY ins.channel_id, ins.seq
    )
    SELECT j.idx,
           CASE WHEN j.verdict = 'new' THEN 'stored' WHEN j.verdict = 'repeat' THEN 'duplicate' ELSE j.verdict END,
           COALESCE(ins.id, j.old_id), COALESCE(ins.seq, j.old_seq), COALESCE(ins.body, j.old_body),
           COALESCE(ins.status, j.old_status), COALESCE(ins.created_at, j.old_created_at)
    FROM judged j
    LEFT JOIN ins ON j.verdict IN ('new', 'repeat') AND ins.channel_id = j.ch AND ins.sender_id = j.usr AND ins.client_message_id = j.cmid
    ORDER BY j.idx;
END
$$;
-- +goose StatementEnd

REVOKE CREATE ON SCHEMA public FROM chat_system;

-- +goose Down
-- Not reversible: by now channels may live on other databases than this
-- one, which no migration of this database can bring back.
-- +goose StatementBegin
DO $$ BEGIN
    RAISE EXCEPTION 'migration 00012 (shards) cannot be reverted';
END $$;
-- +goose StatementEnd
