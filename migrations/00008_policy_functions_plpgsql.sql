-- The policy helpers of 00003 in PL/pgSQL instead of SQL, same meaning.
--
-- Why: a SQL function that cannot be inlined (these cannot: SECURITY
-- DEFINER and a pinned search_path) is parsed and planned again on every
-- call, and the policies call them on every row a statement checks. A
-- profile of PostgreSQL at 800 sends/s showed half of its CPU in that
-- parsing and planning. PL/pgSQL keeps each statement's plan for the life
-- of the connection.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_is_member(channel uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM memberships m
                   WHERE m.channel_id = channel AND m.user_id = chat_current_user());
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_may_join(channel uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM channels c
                   WHERE c.id = channel
                     AND (c.type = 'group'
                          OR chat_current_user() = ANY (string_to_array(c.direct_key, ' '))));
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_shares_channel(other text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN other = chat_current_user()
        OR EXISTS (SELECT 1 FROM memberships mine
                   JOIN memberships theirs ON theirs.channel_id = mine.channel_id
                   WHERE mine.user_id = chat_current_user() AND theirs.user_id = other);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_is_member(channel uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM memberships m
                   WHERE m.channel_id = channel AND m.user_id = chat_current_user())
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_may_join(channel uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM channels c
                   WHERE c.id = channel
                     AND (c.type = 'group'
                          OR chat_current_user() = ANY (string_to_array(c.direct_key, ' '))))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chat_shares_channel(other text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT other = chat_current_user()
        OR EXISTS (SELECT 1 FROM memberships mine
                   JOIN memberships theirs ON theirs.channel_id = mine.channel_id
                   WHERE mine.user_id = chat_current_user() AND theirs.user_id = other)
$$;
-- +goose StatementEnd
