package postgres

import (
	"context"
	"fmt"
)

// verifyRoles checks, on the app pool itself, what the security model rests
// on: chat_app is neither superuser nor BYPASSRLS, owns no table (an owner
// could switch row-level security off), and every table of the schema has
// row-level security enabled and forced. A database set up by hand that
// breaks any of these is refused rather than run unprotected.
func (db *DB) verifyRoles(ctx context.Context) error {
	var role struct {
		Name      string `gorm:"column:name"`
		Super     bool   `gorm:"column:super"`
		BypassRLS bool   `gorm:"column:bypass_rls"`
	}
	err := db.app.WithContext(ctx).Raw(
		`SELECT rolname AS name, rolsuper AS super, rolbypassrls AS bypass_rls
		   FROM pg_roles WHERE rolname = current_user`).Scan(&role).Error
	if err != nil {
		return classify("check the app role", err)
	}
	if role.Name != roleApp {
		return fmt.Errorf("app pool acts as %q, want %q", role.Name, roleApp)
	}
	if role.Super || role.BypassRLS {
		return fmt.Errorf("role %s must have neither SUPERUSER nor BYPASSRLS", roleApp)
	}
	var unsafe []string
	err = db.app.WithContext(ctx).Raw(
		`SELECT c.relname
		   FROM pg_class c
		  WHERE c.relnamespace = 'public'::regnamespace
		    AND c.relkind IN ('r', 'p')
		    AND c.relname <> 'goose_db_version'
		    AND (pg_has_role(current_user, c.relowner, 'USAGE')
		         OR NOT c.relrowsecurity OR NOT c.relforcerowsecurity)
		  ORDER BY c.relname`).Scan(&unsafe).Error
	if err != nil {
		return classify("check table ownership and row-level security", err)
	}
	if len(unsafe) > 0 {
		return fmt.Errorf("tables %v are owned by %s or lack forced row-level security", unsafe, roleApp)
	}
	return nil
}
