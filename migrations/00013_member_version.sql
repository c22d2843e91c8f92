-- Each channel's membership gets a version, so that a node can keep the
-- members it read and know when they still hold (application/fanout,
-- members cache): member_version grows with every membership added or
-- removed, on every path (the count trigger below covers users, the
-- system, cascades, the reconciler and shard moves), and every stored
-- message carries the version its channel had at its commit, read under
-- the channel's row lock like its seq. A move copies the version to the
-- new shard and raises it there (shard_copy.go), so it never repeats.
--
-- chat_append_messages changes its result, so it is dropped and created
-- again: as in 00012, plus the version (out_member_version, and
-- memberVersion in the message of the event), and each distinct sender's
-- proof checked once rather than once per send. A node of an earlier build
-- cannot read the new result: upgrade every node across this migration at
-- once (docs/operations.md, database roles).

-- +goose Up
ALTER TABLE channels ADD COLUMN member_version bigint NOT NULL DEFAULT 0;
-- 0 means unknown to the cache (events written before this migration carry
-- no version); channels that exist now start at 1 so their messages can be
-- served from it without waiting for a join or leave. FORCE would hide the
-- rows from the migrating owner, which has no policy (as in 00011).
ALTER TABLE channels NO FORCE ROW LEVEL SECURITY;
UPDATE channels SET member_version = 1;
ALTER TABLE channels FORCE ROW LEVEL SECURITY;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_count_members() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE channels SET member_count = member_count + 1, member_version = member_version + 1
        WHERE id = NEW.channel_id;
    ELSE
        UPDATE channels SET member_count = member_count - 1, member_version = member_version + 1
        WHERE id = OLD.channel_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP FUNCTION chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]);

-- +goose StatementBegin
CREATE FUNCTION chat_append_messages(p_users text[], p_proofs text[], p_channels uuid[], p_client_message_ids text[],
                                     p_bodies text[], p_statuses text[], p_origins text[])
    RETURNS TABLE (out_idx int, out_status text, out_id uuid, out_seq bigint, out_body text,
                   out_msg_status text, out_created_at timestamptz, out_member_version bigint)
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
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT usr, proof FROM unnest(p_users, p_proofs) AS t(usr, proof)) t
               WHERE NOT chat_actor_proven(t.usr, t.proof)) THEN
        RAISE EXCEPTION 'chat_append_messages: a sender comes without its proof' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM channels WHERE id = ANY (p_channels) ORDER BY id FOR NO KEY UPDATE;
    RETURN QUERY
    WITH items AS (
        SELECT t.idx::int AS idx, t.usr, t.ch, t.cmid, t.body, t.status, t.origin
        FROM unnest(p_users, p_channels, p_client_message_ids, p_bodies, p_statuses, p_origins)
             WITH ORDINALITY AS t(usr, ch, cmid, body, status, origin, idx)
    ), judged AS (
        SELECT i.*, c.last_seq, c.member_version, old.id AS old_id, old.seq AS old_seq, old.body AS old_body, old.status AS old_status,
               old.created_at AS old_created_at,
               CASE WHEN c.fenced THEN 'fenced'
                    WHEN c.id IS NULL OR (c.type <> 'group' AND m.user_id IS NULL) THEN 'not_found'
                    WHEN m.user_id IS NULL THEN 'not_member'
                    WHEN old.id IS NOT NULL THEN 'duplicate'
                    WHEN i.idx <> min(i.idx) OVER (PARTITION BY i.ch, i.usr, i.cmid) THEN 'repeat'
                    ELSE 'new' END AS verdict
        FROM items i
        LEFT JOIN LATERAL (SELECT ch.id, ch.type, ch.last_seq, ch.fenced, ch.member_version FROM channels ch WHERE ch.id = i.ch LIMIT 1) c ON true
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
                      'status', ins.status, 'createdAt', ins.created_at, 'memberVersion', n.member_version))
        FROM ins JOIN numbered n ON n.ch = ins.channel_id AND n.seq = ins.seq
        ORDER BY ins.channel_id, ins.seq
    )
    SELECT j.idx,
           CASE WHEN j.verdict = 'new' THEN 'stored' WHEN j.verdict = 'repeat' THEN 'duplicate' ELSE j.verdict END,
           COALESCE(ins.id, j.old_id), COALESCE(ins.seq, j.old_seq), COALESCE(ins.body, j.old_body),
           COALESCE(ins.status, j.old_status), COALESCE(ins.created_at, j.old_created_at), j.member_version
    FROM judged j
    LEFT JOIN ins ON j.verdict IN ('new', 'repeat') AND ins.channel_id = j.ch AND ins.sender_id = j.usr AND ins.client_message_id = j.cmid
    ORDER BY j.idx;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]) OWNER TO chat_system;
REVOKE ALL ON FUNCTION chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]) TO chat_app;

-- +goose Down
-- Not reversible, like 00012 before it: going back means going back past
-- the shards.
-- +goose StatementBegin
DO $$ BEGIN
    RAISE EXCEPTION 'migration 00013 (member versions) cannot be reverted';
END $$;
-- +goose StatementEnd
