-- The two roles the service acts as. chat_app runs every user-scoped
-- transaction and is held in check by row-level security; chat_system runs
-- fan-out, the outbox relay, sweepers and admin paths. Neither logs in,
-- owns a table or bypasses RLS: the migrating owner connects and SET ROLEs.
--
-- Roles are cluster-wide, and parallel test databases in one cluster migrate
-- at the same time, so creating them races: the loser of a concurrent
-- CREATE ROLE or GRANT sees unique_violation rather than duplicate_object.
-- Both mean "someone else did it already".

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    BEGIN
        CREATE ROLE chat_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
    BEGIN
        CREATE ROLE chat_system NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
    -- The owner must be able to SET ROLE to both (a superuser can anyway;
    -- a plain database owner cannot without membership).
    BEGIN
        GRANT chat_app, chat_system TO CURRENT_USER;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- The roles are shared by every database of the cluster, so rolling back
-- one database must not drop them.
SELECT 1;
