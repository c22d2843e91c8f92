// Package admin holds the use cases of the operator: list and inspect
// users, channels and their history, remove a member, look up a user's
// presence and the cluster's nodes. Unlike the chat use cases they act for
// no user, so the Store behind them reads and writes as the system role;
// the admin token checked by the REST adapter is what stands in for
// row-level security here.
package admin
