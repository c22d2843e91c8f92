-- A read position marked while its channel moves between shards was lost:
-- chat_mark_read (00011) neither looked at channels.fenced nor took a lock
-- the mover's fence waits for, so a mark could commit on the old copy
-- after the mover had read it (docs/consistent-hashing.md). Now a mark
-- takes FOR KEY SHARE on its channel's row and answers 'fenced' on a
-- fenced channel, which the sharded store retries on the channel's new
-- shard like a send. The fence takes FOR UPDATE, the one row lock that
-- conflicts with KEY SHARE (shard_move.go): it waits for the marks in
-- flight to commit, and marks after it see the fence. KEY SHARE does not
-- conflict with the NO KEY UPDATE of sends and joins, so marks and sends
-- to a busy channel still do not wait for each other. A node of an
-- earlier build reads 'fenced' as not found: during a move its marks fail
-- (the client marks again) instead of being lost.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_mark_read(p_channel uuid, p_seq bigint, p_origin text)
    RETURNS TABLE (out_status text, out_last_read_seq bigint, out_grew boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_actor  text := chat_current_user();
    v_type   text;
    v_last   bigint;
    v_fenced boolean;
    v_old    bigint;
    v_new    bigint;
BEGIN
    IF v_actor IS NULL THEN
        RAISE EXCEPTION 'chat_mark_read: no proven acting user' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT c.type, c.last_seq, c.fenced INTO v_type, v_last, v_fenced FROM channels c WHERE c.id = p_channel
    FOR KEY SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, 0::bigint, false;
        RETURN;
    END IF;
    IF v_fenced THEN
        RETURN QUERY SELECT 'fenced'::text, 0::bigint, false;
        RETURN;
    END IF;
    SELECT m.last_read_seq INTO v_old FROM memberships m
    WHERE m.channel_id = p_channel AND m.user_id = v_actor FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT CASE WHEN v_type = 'group' THEN 'not_member' ELSE 'not_found' END, 0::bigint, false;
        RETURN;
    END IF;
    v_new := least(greatest(p_seq, 0), v_last);
    IF v_new <= v_old THEN
        RETURN QUERY SELECT 'ok'::text, v_old, false;
        RETURN;
    END IF;
    UPDATE memberships SET last_read_seq = v_new WHERE channel_id = p_channel AND user_id = v_actor;
    INSERT INTO outbox (channel_id, actor_id, event)
    VALUES (p_channel, v_actor,
            jsonb_build_object('type', 'read_updated', 'channelId', p_channel, 'userId', v_actor, 'lastReadSeq', v_new)
            || CASE WHEN coalesce(p_origin, '') <> '' THEN jsonb_build_object('originSession', p_origin) ELSE '{}'::jsonb END);
    RETURN QUERY SELECT 'ok'::text, v_new, true;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Nothing to undo: the function above serves the schema of 00013 as well
-- (channels.fenced is from 00012), and a node of that build reads its one
-- new answer as not found.
SELECT 1;
