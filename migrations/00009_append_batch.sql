-- Group commit of concurrent sends, set-based: chat_append_messages stores
-- a batch of sends in one transaction and a fixed number of statements,
-- however many sends the batch holds. It replaces chat_append_message
-- (00007), which stored one send with six statements of its own.
--
-- Why: measured with pgbench on this 2-core machine (CPU of PostgreSQL per
-- stored message, batches of 10 over distinct channels): one send per
-- transaction 640 to 750 us; ten sends per transaction, each through
-- chat_append_message, 350 to 400 us; this function 175 us. What a send
-- costs is mostly fixed per statement (executor start-up, the policy
-- checks, the constraint expressions read back per statement) and per
-- transaction (snapshot, commit record, WAL flush), and a sender in a busy
-- channel used to hold the channel's row lock until its commit was
-- flushed. The store gathers the sends that arrive while earlier ones are
-- in flight (infrastructure/postgres/append_batch.go).
--
-- Security. A set-based statement cannot run as each sender in turn, and
-- the row-level security policies judge rows by the one acting user
-- (app.user_id), so this function is SECURITY DEFINER (owned by
-- chat_system, search_path pinned) and applies the policies' rules itself,
-- per send, as the sender named in p_users:
--   * a channel that does not exist, or a direct channel the sender is not
--     a member of, is 'not_found' (the app_select/app_update policies of
--     channels hide it);
--   * a group the sender is not a member of is 'not_member' (the
--     app_insert policy of messages requires membership);
--   * the message's sender and the outbox row's actor are that user.
-- chat_app may name any user here, as it may set app.user_id to anyone:
-- the database protects users from a handler that asks for the wrong
-- channel, not from a compromised service. The tests in
-- infrastructure/postgres (append_batch_test.go, rls_test.go) mix members'
-- and outsiders' sends in one batch to show no send borrows another's
-- rights.
--
-- Order and duplicates. The channels are locked in id order, so two batches
-- cannot deadlock. Within a channel the sends take seqs in the order given
-- (the store passes them in arrival order), so a channel's seq stays dense
-- and its outbox rows stay in seq order. A send whose (channel, sender,
-- client message id) is stored already, or appears earlier in the same
-- batch, is a 'duplicate' and returns the stored message.
--
-- The result has one row per send: out_idx is its 1-based position in the
-- arrays, out_status one of 'stored', 'duplicate', 'not_found',
-- 'not_member'. Any error fails the whole batch and stores nothing; the
-- store then retries each send alone, so only the faulty one fails.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION chat_append_messages(p_users text[], p_channels uuid[], p_client_message_ids text[],
                                     p_bodies text[], p_statuses text[], p_events jsonb[])
    RETURNS TABLE (out_idx int, out_status text, out_id uuid, out_seq bigint, out_body text,
                   out_msg_status text, out_created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_count int := cardinality(p_users);
BEGIN
    IF cardinality(p_channels) <> v_count OR cardinality(p_client_message_ids) <> v_count
       OR cardinality(p_bodies) <> v_count OR cardinality(p_statuses) <> v_count OR cardinality(p_events) <> v_count THEN
        RAISE EXCEPTION 'chat_append_messages: arrays of different lengths';
    END IF;
    -- The row locks that serialise every change of a channel, in id order.
    PERFORM 1 FROM channels WHERE id = ANY (p_channels) ORDER BY id FOR NO KEY UPDATE;
    -- One plan for the connection's life (plan_cache_mode above), made
    -- without knowing the arrays: left to choose, PostgreSQL planned this
    -- statement again on every call (a third of its CPU at 1,500 sends/s).
    -- For such a plan, the lookups are LATERAL ... LIMIT 1 and the update
    -- names its rows by id = ANY: with plain joins the plan used hash joins
    -- over sequential scans of channels, memberships and messages (most of
    -- the function's time, growing with the tables). These forms leave it
    -- index lookups per send.
    RETURN QUERY
    WITH items AS (
        SELECT t.idx::int AS idx, t.usr, t.ch, t.cmid, t.body, t.status, t.event
        FROM unnest(p_users, p_channels, p_client_message_ids, p_bodies, p_statuses, p_events)
             WITH ORDINALITY AS t(usr, ch, cmid, body, status, event, idx)
    ), judged AS (
        SELECT i.*, c.last_seq, old.id AS old_id, old.seq AS old_seq, old.body AS old_body, old.status AS old_status,
               old.created_at AS old_created_at,
               CASE WHEN c.id IS NULL OR (c.type <> 'group' AND m.user_id IS NULL) THEN 'not_found'
                    WHEN m.user_id IS NULL THEN 'not_member'
                    WHEN old.id IS NOT NULL THEN 'duplicate'
                    WHEN i.idx <> min(i.idx) OVER (PARTITION BY i.ch, i.usr, i.cmid) THEN 'repeat'
                    ELSE 'new' END AS verdict
        FROM items i
        LEFT JOIN LATERAL (SELECT ch.id, ch.type, ch.last_seq FROM channels ch WHERE ch.id = i.ch LIMIT 1) c ON true
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
               jsonb_set(jsonb_set(jsonb_set(n.event, '{message,id}', to_jsonb(ins.id)),
                         '{message,seq}', to_jsonb(ins.seq)), '{message,createdAt}', to_jsonb(ins.created_at))
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
ALTER FUNCTION chat_append_messages(text[], uuid[], text[], text[], text[], jsonb[]) OWNER TO chat_system;
REVOKE ALL ON FUNCTION chat_append_messages(text[], uuid[], text[], text[], text[], jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_append_messages(text[], uuid[], text[], text[], text[], jsonb[]) TO chat_app;

DROP FUNCTION chat_append_message(text, uuid, text, text, text, jsonb);

-- +goose Down
DROP FUNCTION chat_append_messages(text[], uuid[], text[], text[], text[], jsonb[]);

-- +goose StatementBegin
CREATE FUNCTION chat_append_message(p_user text, p_channel uuid, p_client_message_id text,
                                    p_body text, p_status text, p_event jsonb)
    RETURNS TABLE (out_status text, out_id uuid, out_seq bigint, out_body text,
                   out_msg_status text, out_created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp
AS $$
DECLARE
    v_seq bigint;
    v_msg messages%ROWTYPE;
BEGIN
    PERFORM set_config('app.user_id', p_user, true);
    -- The row lock that serialises every change of the channel: seq stays
    -- dense and outbox rows of a channel stay in seq order.
    PERFORM 1 FROM channels WHERE id = p_channel FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::uuid, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz;
        RETURN;
    END IF;
    IF NOT chat_is_member(p_channel) THEN
        RETURN QUERY SELECT 'not_member'::text, NULL::uuid, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT * INTO v_msg FROM messages m
        WHERE m.channel_id = p_channel AND m.sender_id = p_user AND m.client_message_id = p_client_message_id;
    IF FOUND THEN
        RETURN QUERY SELECT 'duplicate'::text, v_msg.id, v_msg.seq, v_msg.body, v_msg.status, v_msg.created_at;
        RETURN;
    END IF;
    UPDATE channels SET last_seq = last_seq + 1 WHERE id = p_channel RETURNING last_seq INTO v_seq;
    INSERT INTO messages (channel_id, seq, sender_id, client_message_id, body, status, created_at)
        VALUES (p_channel, v_seq, p_user, p_client_message_id, p_body, p_status,
                date_trunc('milliseconds', clock_timestamp()))
        RETURNING * INTO v_msg;
    INSERT INTO outbox (channel_id, actor_id, event)
        VALUES (p_channel, p_user,
                jsonb_set(jsonb_set(jsonb_set(p_event,
                    '{message,id}', to_jsonb(v_msg.id)),
                    '{message,seq}', to_jsonb(v_msg.seq)),
                    '{message,createdAt}', to_jsonb(v_msg.created_at)));
    RETURN QUERY SELECT 'stored'::text, v_msg.id, v_msg.seq, v_msg.body, v_msg.status, v_msg.created_at;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION chat_append_message(text, uuid, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_append_message(text, uuid, text, text, text, jsonb) TO chat_app;

REVOKE ALL ON FUNCTION chat_append_message(text, uuid, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_append_message(text, uuid, text, text, text, jsonb) TO chat_app;
