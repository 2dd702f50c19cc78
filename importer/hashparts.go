package importer

import (
	"fmt"
	"strconv"
	"strings"
)

// Password hashes kept in parts: a digest whose salt is in another field,
// and bcrypt split across fields as FusionAuth exports it ("factor": 10,
// "salt": the 22 characters after "$2a$10$", "password": the 31 that
// follow). The transforms salted, bcrypt_salt and bcrypt_cost put the
// parts together; reviewSplitHashes (map) adds them where the sample
// shows such fields.

// bcryptSaltLen and bcryptSumLen are the lengths of bcrypt's salt and
// checksum in its own base64 alphabet.
const (
	bcryptSaltLen = 22
	bcryptSumLen  = 31
)

// isBcryptB64 reports whether s is n characters of bcrypt's base64
// alphabet (./A-Za-z0-9).
func isBcryptB64(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// otherValue reads the value at a transform's argument path, as trimmed
// text ("" when absent).
func otherValue(name, arg string, c *applyCtx) (string, error) {
	other, ok := c.plan.extra[arg]
	if !ok {
		return "", fmt.Errorf("%s: path %q was not compiled", name, arg)
	}
	v, found := other.lookup(c.row)
	if !found || isEmpty(v) {
		return "", nil
	}
	return strings.TrimSpace(strings.TrimPrefix(scalarString(v), "'")), nil
}

// withOther is the prologue of the transforms that read a second field
// at arg (salted, bcrypt_salt, bcrypt_cost): an empty value stays empty;
// otherwise f gets the value as text and the other field's value
// (trimmed; "" when the record has none).
func withOther(name string, f func(s, other string) (any, error)) func(v any, arg string, c *applyCtx) (any, error) {
	return func(v any, arg string, c *applyCtx) (any, error) {
		if isEmpty(v) {
			return nil, nil
		}
		s, err := toText(v)
		if err != nil {
			return nil, err
		}
		other, err := otherValue(name, arg, c)
		if err != nil {
			return nil, err
		}
		return f(s, other)
	}
}

// tSalted makes a digest that has a salt at arg a salted digest. Any
// other value (a bcrypt hash, a declared hash, no salt) passes unchanged.
var tSalted = withOther("salted", func(s, salt string) (any, error) {
	if salt == "" {
		return s, nil
	}
	switch RecogniseHash(s) {
	case HashHexDigest, HashBase64Key, HashPlaintext, HashUnknown:
		return declareHash(strings.TrimSpace(s), "salted_digest"), nil
	}
	return s, nil
})

// tBcryptSalt puts a 22-character bcrypt salt at arg before a
// 31-character bcrypt checksum. Values of other shapes pass unchanged
// (another scheme's hash and salt, which the hasher transform names).
var tBcryptSalt = withOther("bcrypt_salt", func(s, salt string) (any, error) {
	s = strings.TrimSpace(s)
	if isBcryptB64(s, bcryptSumLen) && isBcryptB64(salt, bcryptSaltLen) {
		return salt + s, nil
	}
	return s, nil
})

// tBcryptCost puts "$2a$<cost>$" with the cost at arg before a bcrypt
// salt and checksum (53 characters, as bcrypt_salt makes them). Values of
// other shapes, or a cost bcrypt does not have (4 to 31), pass unchanged.
var tBcryptCost = withOther("bcrypt_cost", func(s, cost string) (any, error) {
	return assembleBcrypt(cost, strings.TrimSpace(s)), nil
})

// assembleBcrypt makes "$2a$<cost>$<salt+checksum>" when cost and sum fit
// bcrypt, and returns sum unchanged otherwise.
func assembleBcrypt(cost, sum string) string {
	n, err := strconv.Atoi(strings.TrimSuffix(cost, ".0"))
	if err != nil || n < 4 || n > 31 || !isBcryptB64(sum, bcryptSaltLen+bcryptSumLen) {
		return sum
	}
	return fmt.Sprintf("$2a$%02d$%s", n, sum)
}

// Names of the fields that hold the parts of a password hash, normalised
// (normName), best first.
var (
	saltNames   = []string{"salt", "passwordsalt", "hashsalt", "pwdsalt"}
	costNames   = []string{"factor", "cost", "workfactor", "bcryptcost", "logrounds"}
	schemeNames = []string{"encryptionscheme", "hashalgorithm", "passwordhasher", "hasher", "algorithm", "hashscheme", "passwordscheme"}
)

// isSaltName reports whether a column's name says it holds a salt.
func isSaltName(col string) bool {
	return strings.Contains(normName(lastSegment(col, false)), "salt")
}

// siblingColumn returns the column of src that sits beside path (the same
// parent object in JSON; any column of a CSV) under one of names, or "".
func siblingColumn(src *Source, path string, names []string) string {
	parent := ""
	if src.Format() != FormatCSV {
		if i := strings.LastIndexAny(path, ".]"); i >= 0 {
			parent = path[:i+1]
		}
	}
	byName := map[string]string{}
	for _, c := range src.Columns() {
		if c == path || !strings.HasPrefix(c, parent) {
			continue
		}
		rest := c[len(parent):]
		if src.Format() != FormatCSV && strings.ContainsAny(rest, ".[") {
			continue
		}
		if _, dup := byName[normName(rest)]; !dup {
			byName[normName(rest)] = c
		}
	}
	for _, n := range names {
		if c, ok := byName[n]; ok {
			return c
		}
	}
	return ""
}

// reviewPasswordColumn checks the column map took for password hashes
// before anyone judges its values: a salt column is no hash column (it is
// unmapped), and a hash kept in parts (FusionAuth's bcrypt split in
// password, salt and factor; a digest with its salt beside it; a scheme
// named in another field) gets the transforms that put it together, so
// that its values are judged whole, never taken for clear-text passwords.
func reviewPasswordColumn(src *Source, m *Mapping, rep *SuggestReport) {
	const key = "password.password_hash"
	// Suggest's notes on columns of hash-shaped values: a salt column holds
	// no password hashes, whatever its values look like.
	dropColumnNotes := func(cols ...string) {
		kept := rep.Notes[:0]
		for _, n := range rep.Notes {
			drop := false
			for _, c := range cols {
				drop = drop || c != "" && strings.HasPrefix(n, fmt.Sprintf("column %q holds ", c))
			}
			if !drop {
				kept = append(kept, n)
			}
		}
		rep.Notes = kept
	}
	for _, c := range src.Columns() {
		if isSaltName(c) {
			dropColumnNotes(c)
		}
	}
	f := m.Fields[key]
	if f == nil || f.From == "" {
		return
	}
	if isSaltName(f.From) {
		delete(m.Fields, key)
		removeSuggestion(rep, key)
		rep.Unmapped = appendMissing(rep.Unmapped, f.From)
		rep.Notes = append(rep.Notes, fmt.Sprintf("%q holds salts, not password hashes: it is not mapped (a salt alone holds no password)", f.From))
		return
	}
	for _, t := range f.Transforms {
		switch t.Name {
		case "hasher", "hashed_with", "salted", "bcrypt_salt", "bcrypt_cost":
			return // the mapping says how the hash is kept already
		}
	}
	salt := siblingColumn(src, f.From, saltNames)
	cost := siblingColumn(src, f.From, costNames)
	scheme := siblingColumn(src, f.From, schemeNames)
	var ts []Transform
	why := ""
	if salt != "" && cost != "" {
		whole, parts := splitBcryptSample(src, f.From, salt, cost)
		if whole > 0 && whole*2 >= parts {
			ts = append(ts, TA("bcrypt_salt", salt), TA("bcrypt_cost", cost))
			why = fmt.Sprintf("%q, %q and %q hold bcrypt hashes in three parts (checksum, salt and cost, as FusionAuth exports them): %d of the %d sampled values make a whole $2a$ hash again, which Authgear imports as it is (the transforms bcrypt_salt and bcrypt_cost put them together)", f.From, salt, cost, whole, parts)
		}
	}
	if len(ts) == 0 && salt != "" {
		ts = append(ts, TA("salted", salt))
		n := len(sampleValues(src, f.From))
		fate := fmt.Sprintf("the %d sampled users with one are imported without a password (passwords.unsupported: drop)", n)
		if m.Passwords.Unsupported == PasswordsReject {
			fate = fmt.Sprintf("the %d sampled users with one are reported invalid (passwords.unsupported: reject)", n)
		}
		why = fmt.Sprintf("%q is the salt of the hashes in %q, not a hash itself: a salted digest cannot be imported into Authgear (bcrypt only), and is never taken for a clear-text password; %s", salt, f.From, fate)
	}
	if scheme != "" {
		ts = append(ts, TA("hasher", scheme))
		if why == "" {
			why = fmt.Sprintf("%q names the algorithm of each hash in %q: only those it names bcrypt are imported", scheme, f.From)
		} else {
			why += fmt.Sprintf("; %q names each hash's algorithm, and only those it names bcrypt are imported", scheme)
		}
	}
	if len(ts) == 0 {
		return
	}
	f.Transforms = append(f.Transforms, ts...)
	dropColumnNotes(f.From, salt, cost)
	kept := rep.Unmapped[:0]
	for _, c := range rep.Unmapped {
		if c != salt && c != cost && c != scheme {
			kept = append(kept, c)
		}
	}
	rep.Unmapped = kept
	rep.Notes = append(rep.Notes, "passwords: "+why)
}

// splitBcryptSample counts the sampled records whose checksum, salt and
// cost make a valid bcrypt hash, of those that have a checksum.
func splitBcryptSample(src *Source, sum, salt, cost string) (whole, parts int) {
	paths := make([]*Path, 3)
	for i, c := range []string{sum, salt, cost} {
		p, err := compilePath(c, src.Columns(), src.Format() == FormatCSV)
		if err != nil {
			return 0, 0
		}
		paths[i] = p
	}
	read := func(p *Path, row *Row) string {
		v, ok := p.lookup(row)
		if !ok || isEmpty(v) {
			return ""
		}
		return strings.TrimSpace(scalarString(v))
	}
	for _, row := range src.Sample() {
		s := read(paths[0], row)
		if s == "" {
			continue
		}
		parts++
		if isBcryptB64(s, bcryptSumLen) && isBcryptB64(read(paths[1], row), bcryptSaltLen) &&
			CheckBcrypt(assembleBcrypt(read(paths[2], row), read(paths[1], row)+s)) == nil {
			whole++
		}
	}
	return whole, parts
}

func removeSuggestion(rep *SuggestReport, field string) {
	kept := rep.Suggestions[:0]
	for _, s := range rep.Suggestions {
		if s.Field != field {
			kept = append(kept, s)
		}
	}
	rep.Suggestions = kept
}

func appendMissing(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}
