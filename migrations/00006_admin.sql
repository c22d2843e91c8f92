-- Indexes for the admin API's listings, which page through users and
-- channels in (created_at, id) order with a keyset cursor: each page is an
-- index range scan from the cursor, however deep the operator pages.

-- +goose Up
CREATE INDEX users_created_at_id ON users (created_at, id);
CREATE INDEX channels_created_at_id ON channels (created_at, id);

-- +goose Down
DROP INDEX channels_created_at_id;
DROP INDEX users_created_at_id;
