// Package migrations holds the SQL schema of chatd, row-level security
// policies included, as goose migrations embedded in the binary so a node
// can bring its database up to date on start without files beside it.
package migrations

import "embed"

// FS holds the migrations in version order by file name. Open in
// infrastructure/postgres applies them under an advisory lock.
//
//go:embed *.sql
var FS embed.FS
