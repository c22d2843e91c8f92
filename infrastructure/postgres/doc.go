// Package postgres is the PostgreSQL adapter of chatd: it migrates the
// schema, runs every user-scoped transaction as the chat_app role with the
// acting user set (so row-level security decides what the user may see and
// write), and runs system work as chat_system.
//
// It provides ChatStore (application/chat.Store), UserStore
// (application/identity.UserStore) and OutboxRelay, which delivers the
// events that ChatStore's transactions write to the outbox.
package postgres
