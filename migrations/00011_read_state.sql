-- Read state (protocol v1.1): how far each member has read a channel.
--
-- Because seq is dense per channel, a read position is one number per
-- membership and the unread count is last_seq - last_read_seq. It lives on
-- the membership row, so it moves with the channel and its memberships
-- wherever they are stored.
--
-- Who may change it, enforced here and not by chatd alone:
--   * chat_app has no UPDATE on memberships. A user moves only its own
--     position, only through chat_mark_read, which takes the proven acting
--     user (chat_current_user), clamps to the channel's last_seq and only
--     raises; it writes the read_updated event from the stored row, so no
--     session can announce a position that is not stored.
--   * Reading is the memberships SELECT policy of 00004: the rows of the
--     channels one is in.
--   * A new membership starts at the channel's last_seq whatever the insert
--     says (trigger), and no UPDATE, from any role, lowers a position.

-- +goose Up
ALTER TABLE memberships ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0
    CONSTRAINT memberships_last_read_seq CHECK (last_read_seq >= 0);

-- Existing members start with nothing unread. FORCE would hide the rows
-- from the migrating owner, which has no policy.
ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY;
ALTER TABLE channels NO FORCE ROW LEVEL SECURITY;
UPDATE memberships m SET last_read_seq = c.last_seq FROM channels c WHERE c.id = m.channel_id;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE channels FORCE ROW LEVEL SECURITY;

GRANT CREATE ON SCHEMA public TO chat_system;

-- The channel row is locked like every other change of the channel, so a
-- message committed concurrently is either counted in the start or unread.
-- +goose StatementBegin
CREATE FUNCTION chat_membership_read_start() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT c.last_seq INTO NEW.last_read_seq FROM channels c WHERE c.id = NEW.channel_id FOR NO KEY UPDATE;
    NEW.last_read_seq := coalesce(NEW.last_read_seq, 0);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_membership_read_start() OWNER TO chat_system;

-- +goose StatementBegin
CREATE FUNCTION chat_membership_read_only_grows() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.last_read_seq := greatest(OLD.last_read_seq, NEW.last_read_seq);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
ALTER FUNCTION chat_membership_read_only_grows() OWNER TO chat_system;

CREATE TRIGGER memberships_read_start BEFORE INSERT ON memberships
    FOR EACH ROW EXECUTE FUNCTION chat_membership_read_start();
CREATE TRIGGER memberships_read_only_grows BEFORE UPDATE OF last_read_seq ON memberships
    FOR EACH ROW EXECUTE FUNCTION chat_membership_read_only_grows();

-- chat_mark_read moves the acting user's read position of p_channel to
-- p_seq, clamped to [0, last_seq], if that is higher than the stored one,
-- and then records read_updated (eventcodec's layout; p_origin is the
-- session that asked, which delivery skips). out_status tells the caller
-- what memberChannel would: 'not_found' for a channel the user cannot see
-- (missing, or a direct channel of others), 'not_member' for a group it is
-- not in, else 'ok'. out_last_read_seq is the stored position afterwards.
-- +goose StatementBegin
CREATE FUNCTION chat_mark_read(p_channel uuid, p_seq bigint, p_origin text)
    RETURNS TABLE (out_status text, out_last_read_seq bigint, out_grew boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    v_actor text := chat_current_user();
    v_type  text;
    v_last  bigint;
    v_old   bigint;
    v_new   bigint;
BEGIN
    IF v_actor IS NULL THEN
        RAISE EXCEPTION 'chat_mark_read: no proven acting user' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT c.type, c.last_seq INTO v_type, v_last FROM channels c WHERE c.id = p_channel;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, 0::bigint, false;
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
ALTER FUNCTION chat_mark_read(uuid, bigint, text) OWNER TO chat_system;

REVOKE CREATE ON SCHEMA public FROM chat_system;

REVOKE ALL ON FUNCTION chat_membership_read_start(), chat_membership_read_only_grows(),
    chat_mark_read(uuid, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chat_mark_read(uuid, bigint, text) TO chat_app;

-- +goose Down
DROP FUNCTION chat_mark_read(uuid, bigint, text);
DROP TRIGGER memberships_read_only_grows ON memberships;
DROP TRIGGER memberships_read_start ON memberships;
DROP FUNCTION chat_membership_read_only_grows();
DROP FUNCTION chat_membership_read_start();
ALTER TABLE memberships DROP COLUMN last_read_seq;
