-- Row-level security: the database itself decides what each acting user may
-- see and write, so a bug in a handler cannot leak another channel.
--
-- FORCE applies the policies to the tables' owner too (superusers still
-- bypass them; the service never acts as one: it SET ROLEs to chat_app or
-- chat_system on every connection, and Open checks those roles).
-- chat_system may do anything (fan-out, relay, sweeper, admin paths);
-- chat_app acts for the user in app.user_id (see chat_current_user).

-- +goose Up
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE channels FORCE ROW LEVEL SECURITY;
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
ALTER TABLE user_presences ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_presences FORCE ROW LEVEL SECURITY;

CREATE POLICY system_all ON users TO chat_system USING (true) WITH CHECK (true);
CREATE POLICY system_all ON channels TO chat_system USING (true) WITH CHECK (true);
CREATE POLICY system_all ON memberships TO chat_system USING (true) WITH CHECK (true);
CREATE POLICY system_all ON messages TO chat_system USING (true) WITH CHECK (true);
CREATE POLICY system_all ON outbox TO chat_system USING (true) WITH CHECK (true);
CREATE POLICY system_all ON user_presences TO chat_system USING (true) WITH CHECK (true);

-- Profiles and presence: the user itself and those sharing a channel.
CREATE POLICY app_select ON users FOR SELECT TO chat_app
    USING (chat_shares_channel(id));
CREATE POLICY app_select ON user_presences FOR SELECT TO chat_app
    USING (chat_shares_channel(user_id));

-- Channels: groups are visible (anyone may join one), direct channels only
-- to their members. Locking a row (SELECT ... FOR NO KEY UPDATE) checks the
-- UPDATE policy's USING, so a non-member can lock a group to join it, but
-- only a member can change it (WITH CHECK), and only last_seq (GRANT
-- below). New channels come from chat_create_channel; chat_app has no
-- INSERT on channels.
CREATE POLICY app_select ON channels FOR SELECT TO chat_app
    USING (type = 'group' OR chat_is_member(id));
CREATE POLICY app_update ON channels FOR UPDATE TO chat_app
    USING (type = 'group' OR chat_is_member(id))
    WITH CHECK (chat_is_member(id));

-- Memberships: visible within one's channels; a user adds and removes only
-- itself, and adds itself only where chat_may_join allows.
CREATE POLICY app_select ON memberships FOR SELECT TO chat_app
    USING (user_id = chat_current_user() OR chat_is_member(channel_id));
CREATE POLICY app_insert ON memberships FOR INSERT TO chat_app
    WITH CHECK (user_id = chat_current_user() AND chat_may_join(channel_id));
CREATE POLICY app_delete ON memberships FOR DELETE TO chat_app
    USING (user_id = chat_current_user());

-- Messages: members read; members write as themselves; nobody edits.
CREATE POLICY app_select ON messages FOR SELECT TO chat_app
    USING (chat_is_member(channel_id));
CREATE POLICY app_insert ON messages FOR INSERT TO chat_app
    WITH CHECK (sender_id = chat_current_user() AND chat_is_member(channel_id));

-- Outbox: a user's transaction records its own changes and reads none.
CREATE POLICY app_insert ON outbox FOR INSERT TO chat_app
    WITH CHECK (actor_id = chat_current_user());

GRANT USAGE ON SCHEMA public TO chat_app, chat_system;

GRANT SELECT ON users, user_presences TO chat_app;
GRANT SELECT, UPDATE (last_seq) ON channels TO chat_app;
GRANT SELECT, INSERT, DELETE ON memberships TO chat_app;
GRANT SELECT, INSERT ON messages TO chat_app;
GRANT INSERT ON outbox TO chat_app;
GRANT USAGE ON SEQUENCE outbox_id_seq TO chat_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, channels, memberships, messages, outbox, user_presences
    TO chat_system;
GRANT USAGE, SELECT ON SEQUENCE outbox_id_seq TO chat_system;

-- +goose Down
REVOKE ALL ON users, channels, memberships, messages, outbox, user_presences FROM chat_app, chat_system;
REVOKE ALL ON SEQUENCE outbox_id_seq FROM chat_app, chat_system;
REVOKE USAGE ON SCHEMA public FROM chat_app, chat_system;

DROP POLICY app_insert ON outbox;
DROP POLICY app_insert ON messages;
DROP POLICY app_select ON messages;
DROP POLICY app_delete ON memberships;
DROP POLICY app_insert ON memberships;
DROP POLICY app_select ON memberships;
DROP POLICY app_update ON channels;
DROP POLICY app_select ON channels;
DROP POLICY app_select ON user_presences;
DROP POLICY app_select ON users;
DROP POLICY system_all ON user_presences;
DROP POLICY system_all ON outbox;
DROP POLICY system_all ON messages;
DROP POLICY system_all ON memberships;
DROP POLICY system_all ON channels;
DROP POLICY system_all ON users;

ALTER TABLE user_presences NO FORCE ROW LEVEL SECURITY;
ALTER TABLE user_presences DISABLE ROW LEVEL SECURITY;
ALTER TABLE outbox NO FORCE ROW LEVEL SECURITY;
ALTER TABLE outbox DISABLE ROW LEVEL SECURITY;
ALTER TABLE messages NO FORCE ROW LEVEL SECURITY;
ALTER TABLE messages DISABLE ROW LEVEL SECURITY;
ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY;
ALTER TABLE memberships DISABLE ROW LEVEL SECURITY;
ALTER TABLE channels NO FORCE ROW LEVEL SECURITY;
ALTER TABLE channels DISABLE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
