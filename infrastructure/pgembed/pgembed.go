// Package pgembed runs the local PostgreSQL cluster of the embedded mode
// (DATABASE_URL unset): it starts or reuses a cluster in a data directory
// and creates the service's database in it. The cluster management itself
// is the same script `make test` uses (pg.sh, embedded in the binary), so
// the two can never drift apart.
package pgembed

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// script is pg.sh preceded by the lib.sh it sources from disk when run as
// a file (it skips the source when lib.sh's functions are defined).
var script = lib + "\n" + pgScript

//go:embed pg.sh
var pgScript string

//go:embed lib.sh
var lib string

// DatabaseName is the database the service uses inside the local cluster.
const DatabaseName = "chat"

// Cluster is a running local PostgreSQL cluster.
type Cluster struct {
	dir      string
	adminURL string
}

// Start starts (or reuses) the cluster in dir and returns it with the URL
// of the service's database, as the cluster's superuser.
func Start(ctx context.Context, dir string) (*Cluster, string, error) {
	out, err := run(ctx, "start", dir)
	if err != nil {
		return nil, "", err
	}
	adminURL := strings.TrimSpace(out)
	dbURL, err := ensureDatabase(ctx, adminURL, DatabaseName)
	if err != nil {
		return nil, "", err
	}
	return &Cluster{dir: dir, adminURL: adminURL}, dbURL, nil
}

// Database creates (on first use) another database in the cluster, such
// as a shard of the embedded mode, and returns its URL as the superuser.
func (c *Cluster) Database(ctx context.Context, name string) (string, error) {
	return ensureDatabase(ctx, c.adminURL, name)
}

// Stop shuts the cluster down (fast mode: connections are closed, data is
// safe).
func (c *Cluster) Stop(ctx context.Context) error {
	_, err := run(ctx, "stop", c.dir)
	return err
}

func run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{"-c", script, "pg.sh"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return "", fmt.Errorf("local PostgreSQL %s: %s: %w", args[0], msg, err)
	}
	return stdout.String(), nil
}

// ensureDatabase creates a database on first start. name is one of ours
// (lower-case letters, digits and '_'), so it needs no quoting.
func ensureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database: a restart
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse local PostgreSQL URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
