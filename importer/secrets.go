package importer

import "strings"

// secretFields are the record fields whose values are secrets: a password
// (hash or clear text) and an MFA secret.
var secretFields = []string{"password.password_hash", "mfa.totp.secret"}

// SecretColumns names the columns (or paths) of an export whose values are
// secrets that a screen masks until asked: the sources of the mapped
// password and TOTP fields, and every column that holds password hashes
// or passwords in clear text even when it is not mapped (the suggester
// leaves a clear-text password column unmapped): by its name, or by
// sampled values recognised as password hashes.
func SecretColumns(m *Mapping, v *Viewer, columns []string, sample []*Row) map[string]bool {
	out := map[string]bool{}
	if m != nil {
		for k, f := range m.Fields {
			if f == nil || f.From == "" {
				continue
			}
			for _, s := range secretFields {
				if k == s || strings.HasPrefix(k, s+".") {
					out[f.From] = true
				}
			}
		}
	}
	for _, c := range columns {
		if out[c] {
			continue
		}
		if secretName(c) {
			out[c] = true
			continue
		}
		hashes, values := 0, 0
		for _, r := range sample {
			s := strings.TrimSpace(v.Value(r, c))
			if s == "" || strings.HasPrefix(s, "{\"") || strings.HasPrefix(s, "[") {
				continue
			}
			values++
			if f := RecogniseHash(s); f.IsHash() && f != HashHexDigest || f == HashBcryptBroken {
				hashes++
			} else if len(s) > 10 && strings.EqualFold(s[:10], "otpauth://") {
				hashes++ // a TOTP key URI holds its secret (Kratos's totp_url)
			}
		}
		if values > 0 && hashes*2 >= values {
			out[c] = true
		}
	}
	return out
}

// secretName: the column's name is one of a password or an MFA secret
// (its last path element, normalised: "passwordHash", "credentials[].secretData").
func secretName(c string) bool {
	last := c
	if i := strings.LastIndexAny(c, ".]"); i >= 0 && i+1 < len(c) {
		last = c[i+1:]
	}
	n := normName(last)
	for _, s := range secretFields {
		for _, syn := range synonyms[s] {
			if n == syn && syn != "hash" && syn != "totp" {
				return true
			}
		}
	}
	return strings.Contains(n, "pass") || strings.Contains(n, "pwd") || strings.HasSuffix(n, "secret") ||
		n == "secretdata" || n == "salt"
}
