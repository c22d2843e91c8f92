-- The send path in one statement. chat_append_message does what the store
-- did in nine round trips (BEGIN, set_config, lock, membership, dedupe,
-- seq, message, outbox, COMMIT): called on its own, it is its own
-- transaction, so a send costs one round trip and one commit.
--
-- It is SECURITY INVOKER on purpose: it runs as the caller (chat_app), so
-- the row-level security policies decide exactly as they did for the
-- separate statements. It sets app.user_id itself, transaction-local, which
-- chat_app may do anyway.
--
-- The outcome is a status the store maps to domain errors: 'not_found'
-- (the channel is invisible to the user), 'not_member', 'duplicate' (the
-- stored message of an earlier send with the same client message id) or
-- 'stored'. The outbox event is encoded by the service (p_event, the
-- message_created event without the fields only the database knows) and
-- completed here with the message's id, seq and created_at.

-- +goose Up
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

-- +goose Down
DROP FUNCTION chat_append_message(text, uuid, text, text, text, jsonb);
