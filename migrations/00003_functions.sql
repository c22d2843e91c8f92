-- Functions the row-level security policies and the store call.
--
-- The SECURITY DEFINER ones are owned by chat_system, whose policies let it
-- read every row: a policy of chat_app may then ask "is the acting user a
-- member?" without recursing into chat_app's own policies on memberships.
-- Each pins search_path so a caller cannot redirect the names inside it.

-- +goose Up

-- ALTER FUNCTION ... OWNER TO needs the new owner to hold CREATE on the
-- schema when the migrator is not a superuser (a plain database owner in a
-- managed service). It is granted for this migration only.
GRANT CREATE ON SCHEMA public TO chat_system;

-- The acting user of the transaction, set by the store with
-- set_config('app.user_id', $1, true); NULL when unset, so every policy
-- that compares with it denies.
-- +goose StatementBegin
CREATE FUNCTION chat_current_user() RETURNS text
    LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('app.user_id', true), '') $$;
-- +goose StatementEnd

-- The key of a pair's direct channel: domain.DirectKey with a space as the
-- separator, ordered bytewise like Go's string comparison.
-- +goose StatementBegin
CREATE FUNCTION chat_direct_key(a text, b text) RETURNS text
    LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN b COLLATE "C" < a COLLATE "C" THEN b || ' ' || a ELSE a || ' ' || b END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION chat_is_member(channel uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM memberships m
                   WHERE m.channel_id = channel AND m.user_id = chat_current_user())
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_is_member(uuid) OWNER TO chat_system;

-- Whether the acting user may make itself a member: any group, or a direct
-- channel of which it is one of the pair (so a user who left can return,
-- and nobody else can get in).
-- +goose StatementBegin
CREATE FUNCTION chat_may_join(channel uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM channels c
                   WHERE c.id = channel
                     AND (c.type = 'group'
                          OR chat_current_user() = ANY (string_to_array(c.direct_key, ' '))))
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_may_join(uuid) OWNER TO chat_system;

-- Whether other is the acting user or shares a channel with it: who may see
-- whose profile and presence.
-- +goose StatementBegin
CREATE FUNCTION chat_shares_channel(other text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT other = chat_current_user()
        OR EXISTS (SELECT 1 FROM memberships mine
                   JOIN memberships theirs ON theirs.channel_id = mine.channel_id
                   WHERE mine.user_id = chat_current_user() AND theirs.user_id = other)
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_shares_channel(text) OWNER TO chat_system;

-- member_count follows memberships on every path (user, system, cascades),
-- so no caller can forget it; it runs as chat_system because a user who
-- leaves a direct channel can no longer see (and so update) that channel.
-- +goose StatementBegin
CREATE FUNCTION chat_count_members() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE channels SET member_count = member_count + 1 WHERE id = NEW.channel_id;
    ELSE
        UPDATE channels SET member_count = member_count - 1 WHERE id = OLD.channel_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_count_members() OWNER TO chat_system;

CREATE TRIGGER memberships_count
    AFTER INSERT OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION chat_count_members();

-- chat_create_channel is the only way chat_app creates a channel. Creating
-- one means adding other people to it, which chat_app's policies never allow
-- (a user may insert only its own membership). Doing it here keeps that rule
-- absolute instead of opening a window such as "anyone may add members while
-- member_count is 0", which an emptied group or a direct channel both of
-- whose users left would also satisfy. The function adds others only to the
-- channel it has just inserted, or re-adds the pair to their own direct
-- channel; the acting user must be among the members.
--
-- Errors: no_data_found when a member does not exist; insufficient_privilege
-- when the actor is not a member; check_violation for a bad shape.
-- +goose StatementBegin
CREATE FUNCTION chat_create_channel(p_type text, p_name text, p_members text[])
    RETURNS TABLE (out_channel_id uuid, out_created boolean, out_readded text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_actor text := chat_current_user();
    v_key   text;
    v_id    uuid;
    v_readded text[];
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
        INSERT INTO channels (type, direct_key, created_at)
        VALUES ('direct', v_key, date_trunc('milliseconds', clock_timestamp()))
        ON CONFLICT (direct_key) DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            SELECT id INTO STRICT v_id FROM channels WHERE direct_key = v_key FOR NO KEY UPDATE;
            -- Whoever of the pair had left is back; the caller announces it.
            WITH readded AS (
                INSERT INTO memberships (channel_id, user_id)
                SELECT v_id, m FROM unnest(p_members) AS m
                ON CONFLICT DO NOTHING
                RETURNING user_id
            )
            SELECT coalesce(array_agg(user_id), '{}') INTO v_readded FROM readded;
            RETURN QUERY SELECT v_id, false, v_readded;
            RETURN;
        END IF;
    ELSE
        INSERT INTO channels (type, name, created_at)
        VALUES (p_type, nullif(p_name, ''), date_trunc('milliseconds', clock_timestamp()))
        RETURNING id INTO v_id;
    END IF;

    INSERT INTO memberships (channel_id, user_id)
    SELECT v_id, m FROM unnest(p_members) AS m;
    RETURN QUERY SELECT v_id, true, '{}'::text[];
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_create_channel(text, text, text[]) OWNER TO chat_system;

REVOKE CREATE ON SCHEMA public FROM chat_system;

-- Only the service's roles call these.
REVOKE ALL ON FUNCTION chat_is_member(uuid), chat_may_join(uuid), chat_shares_channel(text),
    chat_create_channel(text, text, text[]), chat_count_members() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_is_member(uuid), chat_may_join(uuid), chat_shares_channel(text)
    TO chat_app, chat_system;
GRANT EXECUTE ON FUNCTION chat_create_channel(text, text, text[]) TO chat_app;

-- +goose Down
DROP FUNCTION chat_create_channel(text, text, text[]);
DROP TRIGGER memberships_count ON memberships;
DROP FUNCTION chat_count_members();
DROP FUNCTION chat_shares_channel(text);
DROP FUNCTION chat_may_join(uuid);
DROP FUNCTION chat_is_member(uuid);
DROP FUNCTION chat_direct_key(text, text);
DROP FUNCTION chat_current_user();
