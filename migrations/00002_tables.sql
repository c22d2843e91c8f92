-- The tables of chatd. Ids that the database generates are uuids; user ids
-- come from the admin API or an identity provider and are text.

-- +goose Up

-- users.id mirrors domain.ValidateUserID: 1 to 64 characters, none of them
-- a space, a control character or '/'. That also makes the space a safe
-- separator inside channels.direct_key.
CREATE TABLE users (
    id         text PRIMARY KEY CONSTRAINT users_id_format CHECK (id ~ '^[^\x01-\x20\x7f/]{1,64}$'),
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- direct_key is domain.DirectKey of the pair with a space instead of the NUL
-- separator (text cannot hold NUL), written by chat_direct_key; its unique
-- index gives every pair at most one direct channel. member_count is kept by
-- a trigger on memberships; last_seq is the seq of the newest message.
CREATE TABLE channels (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type         text NOT NULL CONSTRAINT channels_type CHECK (type IN ('direct', 'group')),
    name         text,
    direct_key   text UNIQUE,
    last_seq     bigint NOT NULL DEFAULT 0 CONSTRAINT channels_last_seq CHECK (last_seq >= 0),
    member_count integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    CONSTRAINT channels_direct_key CHECK ((type = 'direct') = (direct_key IS NOT NULL)),
    CONSTRAINT channels_direct_unnamed CHECK (type = 'group' OR name IS NULL),
    -- The backstop for channel_full: the application checks under the row
    -- lock, the database refuses whatever slips past it.
    CONSTRAINT channels_capacity CHECK (
        member_count >= 0 AND member_count <= CASE type WHEN 'direct' THEN 2 ELSE 50 END)
);

CREATE TABLE memberships (
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, user_id)
);

CREATE INDEX memberships_user_id ON memberships (user_id);

-- seq is dense per channel (1, 2, 3, ...); the unique index on
-- (channel_id, seq) also serves history pages. The second unique index is
-- the idempotency key of send_message.
CREATE TABLE messages (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id        uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq               bigint NOT NULL CONSTRAINT messages_seq CHECK (seq > 0),
    sender_id         text NOT NULL REFERENCES users (id),
    client_message_id text NOT NULL,
    body              text NOT NULL,
    status            text NOT NULL CONSTRAINT messages_status CHECK (status IN ('draft', 'sent', 'failed')),
    created_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
    CONSTRAINT messages_channel_seq UNIQUE (channel_id, seq),
    CONSTRAINT messages_client_id UNIQUE (channel_id, sender_id, client_message_id)
);

-- One row per committed change, deleted once delivered. No foreign keys:
-- an event outlives whatever it talks about until it is published.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    channel_id uuid,
    actor_id   text,
    event      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_presences (
    user_id       text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    status        text NOT NULL CONSTRAINT user_presences_status CHECK (status IN ('online', 'offline')),
    last_event_at timestamptz NOT NULL,
    node_id       text
);

-- +goose Down
DROP TABLE user_presences;
DROP TABLE outbox;
DROP TABLE messages;
DROP TABLE memberships;
DROP TABLE channels;
DROP TABLE users;
