package postgres

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// verifyRoles checks, on the app pool itself, what the security model rests
// on: the pool logged in as chat_app (not as an owner that switched role),
// which is neither superuser nor BYPASSRLS, cannot create roles, is a
// member of no other role (SET ROLE reaches nothing), owns no table (an
// owner could switch row-level security off); every table of the schema
// has row-level security enabled and forced; and the database accepts this
// node's proof of an acting user (the actor keys agree). A database set up
// by hand that breaks any of these is refused rather than run unprotected.
func (db *DB) verifyRoles(ctx context.Context) error {
	var role struct {
		Name       string `gorm:"column:name"`
		Session    string `gorm:"column:session"`
		Super      bool   `gorm:"column:super"`
		BypassRLS  bool   `gorm:"column:bypass_rls"`
		CreateRole bool   `gorm:"column:create_role"`
		MemberOf   int    `gorm:"column:member_of"`
	}
	err := db.app.WithContext(ctx).Raw(
		`SELECT rolname AS name, session_user AS session, rolsuper AS super, rolbypassrls AS bypass_rls,
		        rolcreaterole AS create_role,
		        (SELECT count(*) FROM pg_auth_members WHERE member = r.oid) AS member_of
		   FROM pg_roles r WHERE rolname = current_user`).Scan(&role).Error
	if err != nil {
		return classify("check the app role", err)
	}
	if role.Name != roleApp || role.Session != roleApp {
		return fmt.Errorf("app pool acts as %q, logged in as %q; want %q for both", role.Name, role.Session, roleApp)
	}
	if role.Super || role.BypassRLS || role.CreateRole {
		return fmt.Errorf("role %s must have neither SUPERUSER, BYPASSRLS nor CREATEROLE", roleApp)
	}
	if role.MemberOf > 0 {
		return fmt.Errorf("role %s must be a member of no other role (it could SET ROLE to it)", roleApp)
	}
	if err := db.verifyActorKey(ctx); err != nil {
		return err
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

// verifyActorKey acts as a made-up user and checks that the database
// believes it: if the key stored at migration differs from this node's,
// every user would act as nobody, and chatd would serve empty answers.
func (db *DB) verifyActorKey(ctx context.Context) error {
	const probe = "chatd-actor-key-probe"
	var got *string
	err := db.inUserTx(ctx, probe, func(tx *gorm.DB) (bool, error) {
		return false, tx.Raw("SELECT chat_current_user()").Scan(&got).Error
	})
	if err != nil {
		return classify("check the actor key", err)
	}
	if got == nil || *got != probe {
		return errors.New("the database does not accept this node's actor key: run `chatd migrate` with this node's CHAT_JWT_SECRET")
	}
	return nil
}
