package importer

import (
	"fmt"
	"strings"
)

// Issue 18 item 11: what the summary says about passwords is complete.
// map leaves a column of clear-text passwords unmapped (checkPlaintextPasswords)
// and says so; the run says it too: how many users will have no password,
// and why.

// unmappedPlaintextColumn names a column (or path) of src that the mapping
// leaves out and whose sampled values are mostly passwords in clear text:
// the users with a value there and no password hash are imported without
// a password. An export may keep a hash for some users and clear text for
// others, in two columns: when a hash is mapped, only a column named as a
// password itself ("password", not "password type") is looked at.
func unmappedPlaintextColumn(m *Mapping, src *Source) string {
	if src == nil {
		return ""
	}
	_, hashMapped := m.Fields["password.password_hash"]
	used := map[string]bool{}
	for _, f := range m.Fields {
		if f != nil {
			used[f.From] = true
		}
	}
	for _, col := range src.Columns() {
		if used[col] || !passwordColumnName(col) || hashMapped && !clearTextColumnName(col) {
			continue
		}
		vals := sampleValues(src, col)
		plain := 0
		for _, v := range vals {
			if RecogniseHash(v) == HashPlaintext {
				plain++
			}
		}
		// As map decides to leave it out: most values are clear text.
		if plain > 0 && plain*2 >= len(vals) {
			return col
		}
	}
	return ""
}

// clearTextColumnName says whether a column's name is that of a password
// itself, not of a hash or of something about passwords.
func clearTextColumnName(col string) bool {
	n := normName(col)
	if i := strings.LastIndexAny(col, ".]"); i >= 0 {
		n = normName(col[i+1:])
	}
	switch n {
	case "password", "passwd", "pwd", "pass", "plainpassword", "plaintextpassword", "cleartextpassword", "rawpassword":
		return true
	}
	return false
}

// passwordColumnName says whether a column's name says it holds passwords.
func passwordColumnName(col string) bool {
	n := normName(col)
	if i := strings.LastIndexAny(col, ".]"); i >= 0 {
		n = normName(col[i+1:]) // the last step of a path
	}
	for _, s := range synonyms["password.password_hash"] {
		if n == s {
			return true
		}
	}
	return strings.Contains(n, "password") || strings.Contains(n, "passwd")
}

// PlaintextLeftOutNote is the run's note on the users whose clear-text
// password the mapping leaves out, or "".
func PlaintextLeftOutNote(s *PrepareStats) string {
	if s.PasswordsPlaintextUnmapped == 0 {
		return ""
	}
	n := s.PasswordsPlaintextUnmapped
	return fmt.Sprintf("%d %s no password in Authgear: %q holds passwords in clear text and the mapping leaves it out. To keep them, set passwords.plaintext: hash and map password.password_hash from %q (they are then bcrypt-hashed locally before sending); %s.",
		n, plural(n, "user will have", "users will have"), s.PlaintextColumn, s.PlaintextColumn, PlaintextWarning)
}

// ruleNotes are the run's notes on what the rule of issue 18 and the
// password policy left out of valid records.
func ruleNotes(s *PrepareStats) []string {
	var out []string
	if n := DroppedFieldsNote(s.DroppedFields); n != "" {
		out = append(out, n)
	}
	if n := PlaintextLeftOutNote(s); n != "" {
		out = append(out, n)
	}
	return out
}
