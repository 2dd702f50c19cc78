package importer

import (
	"fmt"
	"strings"
)

// upsertIgnoredFields are the fields Authgear's import sets only when it
// creates a user: on an update (upsert: true, a user who already exists)
// they are ignored (authgear-server's upsertRecordInTxn: "password update
// behavior is IGNORED", and the same for mfa.password and mfa.totp).
var upsertIgnoredFields = []string{"password.password_hash", "mfa.password.password_hash", "mfa.totp.secret"}

// UpsertIgnored is the engine's note on second factors an update does not
// set (issue 16 item 5): the mapping sends TOTP secrets (or an MFA
// password), which Authgear sets only on the users it creates. Each front
// end prints String() or words it from the fields.
type UpsertIgnored struct {
	// Fields are the mapped second factors an update ignores
	// (mfa.totp.secret, mfa.password.password_hash), in the record's order.
	Fields []string
	// Upsert: the mapping updates users who already exist, who keep what
	// they had; otherwise they are skipped, and a later run with upsert
	// would not set these either.
	Upsert bool
	// Updated counts the users a live run updated (0 when it updated
	// none, or before the run).
	Updated int
}

// UpsertIgnoredOf is the note for m, or nil when m maps no second factor
// that an update ignores. The primary password is left to the notes on
// passwords, which say it already.
func UpsertIgnoredOf(m *Mapping) *UpsertIgnored {
	if m == nil {
		return nil
	}
	var fields []string
	for _, k := range upsertIgnoredFields[1:] {
		if f := m.Fields[k]; f != nil && (f.From != "" || f.Value != nil) {
			fields = append(fields, k)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &UpsertIgnored{Fields: fields, Upsert: m.Upsert}
}

func (u *UpsertIgnored) what() string {
	names := make([]string, len(u.Fields))
	for i, f := range u.Fields {
		switch f {
		case "mfa.totp.secret":
			names[i] = "TOTP secrets (mfa.totp.secret)"
		case "mfa.password.password_hash":
			names[i] = "MFA passwords (mfa.password)"
		default:
			names[i] = f
		}
	}
	return strings.Join(names, " and ")
}

// String is the note, in the engine's words.
func (u *UpsertIgnored) String() string {
	if !u.Upsert {
		return fmt.Sprintf("Authgear sets %s only on the users an import creates: users who already exist in the project are skipped, and a rerun with upsert: true would update them and still not set these.", u.what())
	}
	who := "a user this run or a rerun updates keeps the second factors they had and gets none of the export's"
	if u.Updated > 0 {
		who = fmt.Sprintf("the %d %s this run updated kept the second factors they had and got none of the export's", u.Updated, plural(u.Updated, "user", "users"))
	}
	return fmt.Sprintf("upsert: true updates users who already exist in the project, but Authgear sets %s only on the users an import creates: %s.", u.what(), who)
}
