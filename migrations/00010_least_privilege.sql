-- The database as the last line of defence, even against a session that
-- runs arbitrary SQL as the service's runtime role (one SQL injection).
--
-- 1. Least privilege at login. chat_app and chat_system log in themselves;
--    chatd no longer connects as the owner and SET ROLEs (from such a
--    session RESET ROLE, SET ROLE postgres and SET SESSION AUTHORIZATION all
--    worked). Neither role is a member of any other role, so SET ROLE can
--    reach nothing more powerful, and RESET ROLE returns to the same role.
--    The owner (DATABASE_URL in development, `chatd migrate` in production)
--    only migrates.
--
-- 2. An acting user SQL cannot forge. app.user_id alone was trusted, and
--    chat_app may set any setting. Now the store also sets app.user_proof,
--    HMAC-SHA256(actor key, user id) in hex, and chat_current_user() returns
--    the user only when the proof verifies. The actor key lives in
--    chat_actor_key, which chat_app cannot read; chatd derives it from its
--    configuration and the migrator stores it (as the HMAC's inner and outer
--    padded keys, so the check needs only the built-in sha256).
--
-- 3. No forged events. chat_app loses INSERT on outbox. Message events are
--    written by chat_append_messages, which now builds each event from the
--    row it stored and checks every sender's proof; the other events of a
--    user's transaction go through chat_record_event, which accepts an event
--    only when the stored rows say it happened.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['chat_app', 'chat_system'] LOOP
        IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('ALTER ROLE %I LOGIN', r);
            EXCEPTION WHEN OTHERS THEN
                -- Roles are cluster-wide: a database migrating beside this
                -- one may have just done it ("tuple concurrently updated").
                IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = r) THEN
                    RAISE;
                END IF;
            END;
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd

CREATE TABLE chat_actor_key (
    id        boolean PRIMARY KEY DEFAULT true CONSTRAINT chat_actor_key_single CHECK (id),
    inner_pad bytea NOT NULL CONSTRAINT chat_actor_key_inner CHECK (length(inner_pad) = 64),
    outer_pad bytea NOT NULL CONSTRAINT chat_actor_key_outer CHECK (length(outer_pad) = 64)
);
ALTER TABLE chat_actor_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_actor_key FORCE ROW LEVEL SECURITY;
CREATE POLICY system_read ON chat_actor_key FOR SELECT TO chat_system USING (true);
REVOKE ALL ON chat_actor_key FROM PUBLIC;
GRANT SELECT ON chat_actor_key TO chat_system;

GRANT CREATE ON SCHEMA public TO chat_system;

-- chat_actor_proven says whether p_proof is the actor key's HMAC of p_user.
-- Only a verifier is exposed: nothing lets chat_app compute a proof.
-- +goose StatementBegin
CREATE FUNCTION chat_actor_proven(p_user text, p_proof text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    k chat_actor_key;
BEGIN
    IF p_user IS NULL OR p_proof IS NULL THEN
        RETURN false;
    END IF;
    SELECT * INTO k FROM chat_actor_key;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    RETURN p_proof = encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(p_user, 'UTF8'))), 'hex');
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_actor_proven(text, text) OWNER TO chat_system;

-- The acting user of the transaction: app.user_id when app.user_proof
-- proves it, else NULL, so every policy that compares with it denies.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_current_user() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_user text := nullif(current_setting('app.user_id', true), '');
BEGIN
    IF chat_actor_proven(v_user, current_setting('app.user_proof', true)) THEN
        RETURN v_user;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_current_user() OWNER TO chat_system;

-- The channel part of an event must match the stored channel exactly.
-- +goose StatementBegin
CREATE FUNCTION chat_event_channel_matches(p_channel jsonb, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    c channels;
BEGIN
    IF p_channel IS NULL OR jsonb_typeof(p_channel) = 'null' THEN
        RETURN true; -- an event may leave the channel out
    END IF;
    SELECT * INTO c FROM channels WHERE id = p_id;
    RETURN FOUND
        AND p_channel->>'id' = p_id::text
        AND p_channel->>'type' = c.type
        AND coalesce(p_channel->>'name', '') = coalesce(c.name, '')
        AND (p_channel->>'lastSeq')::bigint = c.last_seq
        AND jsonb_typeof(p_channel->'memberIds') = 'array'
        AND (SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM jsonb_array_elements_text(p_channel->'memberIds') AS x)
          = (SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}') FROM memberships WHERE channel_id = p_id);
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_event_channel_matches(jsonb, uuid) OWNER TO chat_system;

-- chat_record_event writes the outbox row of a change the acting user's
-- transaction just made, after checking it against the stored rows:
--   channel_created  the actor is a member and the channel is as described;
--   member_joined    the user is a member now and is the actor, or the
--                    actor re-created the direct channel of the pair;
--   member_left      the user is the actor and no longer a member.
-- Anything else (message_created among them: chat_append_messages writes
-- those) is refused with insufficient_privilege.
-- +goose StatementBegin
CREATE FUNCTION chat_record_event(p_event jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_actor   text := chat_current_user();
    v_type    text := p_event->>'type';
    v_channel uuid;
    v_user    text := p_event->>'userId';
    v_member  boolean;
    v_ok      boolean;
BEGIN
    IF v_actor IS NULL THEN
        RAISE EXCEPTION 'chat_record_event: no proven acting user' USING ERRCODE = 'insufficient_privilege';
    END IF;
    BEGIN
        v_channel := (p_event->>'channelId')::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        v_channel := NULL;
    END;
    v_member := EXISTS (SELECT 1 FROM memberships WHERE channel_id = v_channel AND user_id = v_user);
    v_ok := v_channel IS NOT NULL AND chat_event_channel_matches(p_event->'channel', v_channel) AND CASE v_type
        WHEN 'channel_created' THEN
            p_event->'channel' IS NOT NULL AND v_user IS NULL
            AND EXISTS (SELECT 1 FROM memberships WHERE channel_id = v_channel AND user_id = v_actor)
        WHEN 'member_joined' THEN
            v_member AND (v_user = v_actor
                OR EXISTS (SELECT 1 FROM channels c JOIN memberships m ON m.channel_id = c.id
                           WHERE c.id = v_channel AND c.type = 'direct' AND m.user_id = v_actor))
        WHEN 'member_left' THEN
            v_user = v_actor AND NOT v_member AND EXISTS (SELECT 1 FROM channels WHERE id = v_channel)
        ELSE false
    END;
    IF NOT coalesce(v_ok, false) THEN
        RAISE EXCEPTION 'chat_record_event: the % event does not describe a change of this user', v_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO outbox (channel_id, actor_id, event) VALUES (v_channel, v_actor, p_event);
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_record_event(jsonb) OWNER TO chat_system;

-- chat_append_messages as in 00009, with two changes: every sender must
-- come with its proof (p_proofs), and the outbox event is built here from
-- the stored row, so no caller can announce a message other than the one
-- stored. Only the session that asked (p_origins) comes from the caller.
-- The event's layout is eventcodec's (infrastructure/eventcodec); a test in
-- infrastructure/postgres decodes what this writes and compares.
-- +goose StatementBegin
CREATE FUNCTION chat_append_messages(p_users text[], p_proofs text[], p_channels uuid[], p_client_message_ids text[],
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
ALTER FUNCTION chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]) OWNER TO chat_system;

REVOKE CREATE ON SCHEMA public FROM chat_system;

DROP FUNCTION chat_append_messages(text[], uuid[], text[], text[], text[], jsonb[]);

REVOKE ALL ON FUNCTION chat_actor_proven(text, text), chat_event_channel_matches(jsonb, uuid),
    chat_record_event(jsonb), chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_actor_proven(text, text), chat_event_channel_matches(jsonb, uuid)
    TO chat_app, chat_system;
GRANT EXECUTE ON FUNCTION chat_record_event(jsonb),
    chat_append_messages(text[], text[], uuid[], text[], text[], text[], text[]) TO chat_app;

DROP POLICY app_insert ON outbox;
REVOKE INSERT ON outbox FROM chat_app;
REVOKE USAGE ON SEQUENCE outbox_id_seq FROM chat_app;

-- Temporary objects are of no use to the service and a foothold for an
-- injected statement; connecting is all PUBLIC keeps.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Rolling back to the SET ROLE model is not supported: the functions and
-- grants above are what the store of this version needs.
SELECT 1;
