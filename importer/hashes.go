package importer

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HashFamily names the algorithm behind a stored password.
type HashFamily string

// The hash families the recogniser tells apart. Only HashBcrypt can be
// imported into Authgear.
const (
	HashBcrypt          HashFamily = "bcrypt"
	HashBcryptBroken    HashFamily = "bcrypt (malformed)"
	HashBcrypt2x        HashFamily = "bcrypt $2x$ (crypt_blowfish bug variant)"
	HashDjangoBcrypt    HashFamily = "django bcrypt_sha256"
	HashWordPressBcrypt HashFamily = "wordpress bcrypt ($wp$: pre-hashed with HMAC-SHA384)"
	HashArgon2          HashFamily = "argon2"
	HashScrypt          HashFamily = "scrypt"
	HashFirebaseScrypt  HashFamily = "firebase scrypt"
	HashPBKDF2          HashFamily = "pbkdf2"
	HashPHPass          HashFamily = "phpass"
	HashSHACrypt        HashFamily = "sha-crypt"
	HashMD5Crypt        HashFamily = "md5-crypt"
	HashLDAP            HashFamily = "ldap salted/unsalted SHA or MD5"
	HashDjangoSHA1      HashFamily = "django salted sha1/md5"
	HashHexDigest       HashFamily = "hex digest (md5/sha)"
	// HashSaltedDigest is an md5/sha digest kept with its salt: Joomla's
	// "md5:salt", Magento's "hash:salt:version", or a digest whose salt
	// the export keeps in another field (the salted transform, FusionAuth's
	// salted-sha256).
	HashSaltedDigest HashFamily = "salted digest (md5, sha, scrypt or pbkdf2 with its salt)"
	// HashBase64Key is a raw digest or derived key written in base64,
	// standard or URL-safe, padded or not (base64 md5 or sha-256, a
	// Node.js scrypt key): the bytes say nothing of the algorithm.
	HashBase64Key HashFamily = "digest or derived key in base64 (md5, sha, scrypt or pbkdf2)"
	// HashBcryptPart is the part of a bcrypt hash an export keeps apart
	// from its cost and salt (FusionAuth's password field): the
	// bcrypt_salt and bcrypt_cost transforms make it whole again.
	HashBcryptPart HashFamily = "bcrypt hash without its cost and salt"
	// HashOtherFormat is a value built like a hash of a format the
	// recogniser does not know: fields separated by '$' or ':', one of
	// them a long run of hex or base64. When in doubt, a value is a hash,
	// not a password in clear text.
	HashOtherFormat HashFamily = "hash of an unrecognised format"
	// HashPlaceholder is a value that stands where a hash would be but is
	// none: the Firebase Auth Emulator's "fakeHash:salt=...:password=...",
	// or a redacted sample value ("UkVEQUNURUQ9PT0=" is base64 of
	// "REDACTED=="). It is counted as a hash that cannot be imported, so the
	// password policy drops it instead of rejecting the user.
	HashPlaceholder HashFamily = "placeholder (not a real hash)"
	// HashPlaintext is a password in clear text: a value no hash family
	// has, short enough to be a typed password. It is no hash: with
	// passwords.plaintext: hash it is bcrypt-hashed locally, else the
	// record is rejected.
	HashPlaintext HashFamily = "plaintext (not hashed)"
	HashUnknown   HashFamily = "unknown"
)

// Importable reports whether Authgear can import hashes of this family
// and verify them exactly as the old system did.
func (f HashFamily) Importable() bool { return f == HashBcrypt }

// IsHash reports whether the family is a recognised password hash (as
// opposed to a value that is not a hash at all). A malformed bcrypt hash
// (truncated, of the wrong length) is one, which Authgear cannot import:
// it follows passwords.unsupported like the others (issue 18).
func (f HashFamily) IsHash() bool {
	return f != HashUnknown && f != HashPlaintext
}

var (
	reHexDigest = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$`)
	reDjango    = regexp.MustCompile(`^(?:pbkdf2_sha256|pbkdf2_sha1)\$\d+\$[^$]+\$[A-Za-z0-9+/=]+$`)
)

// RecogniseHash names the family of a stored password hash.
func RecogniseHash(h string) HashFamily {
	h = strings.TrimSpace(h)
	switch {
	case h == "":
		return HashUnknown
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		if CheckBcrypt(h) == nil {
			return HashBcrypt
		}
		return HashBcryptBroken
	case strings.HasPrefix(h, "$2x$"), strings.HasPrefix(h, "$2$"):
		return HashBcrypt2x
	case strings.HasPrefix(h, "bcrypt$$2"):
		// Django's BCryptPasswordHasher: plain bcrypt behind a prefix.
		if CheckBcrypt(strings.TrimPrefix(h, "bcrypt$")) == nil {
			return HashBcrypt
		}
		return HashBcryptBroken
	case strings.HasPrefix(h, "bcrypt_sha256$"):
		return HashDjangoBcrypt
	case strings.HasPrefix(h, "$wp$"):
		return HashWordPressBcrypt
	case strings.HasPrefix(h, "$argon2"), strings.HasPrefix(h, "argon2$"):
		return HashArgon2
	case strings.HasPrefix(h, declaredHashPrefix):
		// A hash whose algorithm the export names in another field (the
		// hasher transform) or the preset knows (hashed_with): trust the
		// name, never the shape, except for a placeholder, which is no
		// hash of any algorithm.
		name, rest, _ := strings.Cut(h[len(declaredHashPrefix):], "}")
		if isPlaceholderHash(rest) {
			return HashPlaceholder
		}
		if fam := HasherFamily(name); fam != HashBcrypt {
			return fam
		}
		return RecogniseHash(rest)
	case isPlaceholderHash(h):
		return HashPlaceholder
	case strings.HasPrefix(h, "$scrypt$"), strings.HasPrefix(h, "$s0$"), strings.HasPrefix(h, "$7$"), strings.HasPrefix(h, "scrypt$"), strings.HasPrefix(h, "scrypt:"):
		return HashScrypt
	case strings.HasPrefix(h, "$pbkdf2"), reDjango.MatchString(h), strings.HasPrefix(h, "pbkdf2:"), strings.HasPrefix(h, "{PBKDF2"),
		strings.HasPrefix(h, "pbkdf2_") && strings.Count(h, "$") >= 2:
		return HashPBKDF2
	case strings.HasPrefix(h, "$P$"), strings.HasPrefix(h, "$H$"), strings.HasPrefix(h, "$S$"):
		// phpass (WordPress, phpBB) and Drupal 7's SHA-512 variant of it.
		return HashPHPass
	case strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$6$"):
		return HashSHACrypt
	case strings.HasPrefix(h, "$1$"), strings.HasPrefix(h, "$apr1$"):
		return HashMD5Crypt
	case strings.HasPrefix(h, "{SSHA"), strings.HasPrefix(h, "{SHA"), strings.HasPrefix(h, "{MD5}"), strings.HasPrefix(h, "{SMD5}"), strings.HasPrefix(h, "{CRYPT}"):
		return HashLDAP
	case strings.HasPrefix(h, "sha1$"), strings.HasPrefix(h, "md5$"), strings.HasPrefix(h, "unsalted_md5$"), strings.HasPrefix(h, "unsalted_sha1$"), strings.HasPrefix(h, "sha256$"), strings.HasPrefix(h, "sha512$"):
		return HashDjangoSHA1
	case reHexDigest.MatchString(h):
		return HashHexDigest
	}
	if fam := saltedDigestFamily(h); fam != "" {
		return fam
	}
	// Firebase's scrypt: a base64 value of 64 bytes (with a separate salt).
	if len(h) == 88 && strings.HasSuffix(h, "==") {
		if b, err := base64.StdEncoding.DecodeString(h); err == nil && len(b) == 64 {
			return HashFirebaseScrypt
		}
	}
	if len(h) >= 22 && !strings.ContainsAny(h, " ") {
		b, err := base64.StdEncoding.DecodeString(h)
		if err == nil && isDigestSize(len(b)) {
			return HashBase64Key // base64 of a raw digest
		}
		// ASP.NET Identity: PBKDF2 with a format marker byte (v2: 0x00,
		// salt 16 + subkey 32; v3: 0x01, PRF, iterations, salt length, ...).
		if err == nil && ((len(b) == 49 && b[0] == 0x00) || (len(b) >= 61 && b[0] == 0x01)) {
			return HashPBKDF2
		}
		if _, err := hex.DecodeString(h); err == nil && len(h)%2 == 0 && len(h) >= 32 {
			return HashHexDigest
		}
		if isBase64Key(h) {
			return HashBase64Key
		}
	}
	if (isBcryptB64(h, bcryptSumLen) || isBcryptB64(h, bcryptSaltLen+bcryptSumLen)) && mixesCases(h) {
		return HashBcryptPart
	}
	if hasEncodedSegment(h) {
		return HashOtherFormat
	}
	if looksPlaintext(h) {
		return HashPlaintext
	}
	return HashUnknown
}

// mixesCases reports whether s has upper case, lower case and a digit, as
// encoded random bytes of some length almost always do.
func mixesCases(s string) bool {
	var upper, lower, digit bool
	for _, r := range s {
		upper = upper || r >= 'A' && r <= 'Z'
		lower = lower || r >= 'a' && r <= 'z'
		digit = digit || r >= '0' && r <= '9'
	}
	return upper && lower && digit
}

// MaxPlaintextPassword is the longest clear-text password bcrypt takes
// (72 bytes): a longer value is not taken for a password.
const MaxPlaintextPassword = 72

// looksPlaintext reports whether h, which no hash family has, reads as a
// password typed in clear: printable, without the '$' or '{' that start
// the hash formats (a truncated bcrypt hash is not a password) or Django's "!" of an unusable password, and short
// enough for bcrypt.
func looksPlaintext(h string) bool {
	if h == "" || len(h) > MaxPlaintextPassword || !utf8.ValidString(h) || h[0] == '$' || h[0] == '{' || h[0] == '!' {
		return false
	}
	for _, r := range h {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// isPlaceholderHash reports whether h stands where a hash would be but is
// none: an emulator's fake hash, or a redacted value (plain or base64).
func isPlaceholderHash(h string) bool {
	if strings.HasPrefix(h, "fakeHash:") {
		return true
	}
	if isRedacted(h) {
		return true
	}
	if len(h) >= 8 && len(h) <= 64 {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			if b, err := enc.DecodeString(h); err == nil && isRedacted(string(b)) {
				return true
			}
		}
	}
	return false
}

// isRedacted reports whether s is a redaction mark such as "REDACTED",
// "[redacted]" or "********".
func isRedacted(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) >= 3 && strings.Trim(s, "*") == "" {
		return true
	}
	s = strings.Trim(strings.ToUpper(s), "[]<>(){}=*_- ")
	return s == "REDACTED" || s == "HIDDEN" || s == "MASKED" || s == "PLACEHOLDER"
}

// declaredHashPrefix marks a value whose hash family the export names in
// another field ("{hasher:pbkdf2-sha256}..."): the hasher transform makes it
// for every family but bcrypt, so that it is counted as that family and,
// not being a bcrypt hash, can never be sent.
const declaredHashPrefix = "{hasher:"

// declareHash tags h with the algorithm an export names for it. A bcrypt
// name leaves h as it is (the recogniser still checks it is bcrypt); any
// other name makes h a hash of that family, whatever it looks like: a
// bcrypt-shaped value of another scheme (Clerk's bcrypt_peppered, say)
// would otherwise be imported and then fail every login.
func declareHash(h, hasher string) string {
	hasher = strings.TrimSpace(hasher)
	if hasher == "" || HasherFamily(hasher) == HashBcrypt {
		return h
	}
	hasher = strings.NewReplacer("{", "", "}", "").Replace(hasher)
	return declaredHashPrefix + hasher + "}" + h
}

// HasherFamily names the family of a hashing algorithm as exports name it
// (Clerk's password_hasher, Keycloak's credentialData.algorithm, ...).
// Names it does not know are families of their own, never importable.
func HasherFamily(name string) HashFamily {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.NewReplacer("-", "_", " ", "_").Replace(n)
	switch {
	case n == "bcrypt", n == "2a", n == "2b", n == "2y", n == "blowfish":
		return HashBcrypt
	case strings.HasPrefix(n, "bcrypt_sha256"):
		return HashDjangoBcrypt
	case strings.Contains(n, "argon2"):
		return HashArgon2
	case n == "scrypt_firebase", n == "firebase_scrypt", n == "firebase":
		return HashFirebaseScrypt
	case strings.Contains(n, "scrypt"):
		return HashScrypt
	case strings.Contains(n, "pbkdf"):
		return HashPBKDF2
	case strings.Contains(n, "phpass"):
		return HashPHPass
	case n == "ldap_ssha", n == "ssha", n == "ldap":
		return HashLDAP
	case strings.HasPrefix(n, "salted_"):
		// FusionAuth's salted-md5, salted-sha256, salted-hmac-sha256.
		return HashSaltedDigest
	case n == "":
		return HashUnknown
	}
	// An unknown name comes from the data: keep it short and plain, since
	// it is printed in notes and reasons (and a mis-mapped column must not
	// spill its values there).
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return -1
	}, n)
	if clean == "" || len(clean) > 32 {
		return HashFamily("unrecognised hasher")
	}
	return HashFamily(clean)
}

// importableHash returns the hash as Authgear should receive it (prefixes
// such as Django's "bcrypt$" removed), when it can be imported at all.
func importableHash(h string) (string, bool) {
	h = strings.TrimSpace(h)
	if strings.HasPrefix(h, "bcrypt$$2") {
		h = strings.TrimPrefix(h, "bcrypt$")
	}
	return h, CheckBcrypt(h) == nil
}

// isDigestSize reports whether n bytes is the size of a digest or derived
// key: md5 (16), sha-1 (20), sha-224 (28), sha-256 or a 32-byte key (32),
// sha-384 (48), sha-512 or a 64-byte key (64).
func isDigestSize(n int) bool {
	switch n {
	case 16, 20, 28, 32, 48, 64:
		return true
	}
	return false
}

// isBase64Key reports whether h is the base64 of a digest or derived key
// in a form the standard padded check does not take: URL-safe ('-', '_'),
// or without its '=' padding. Encoded random bytes mix upper and lower
// case with digits or symbols; a value that does not (a word, a
// lower-case passphrase of the right length) is not taken for a key.
func isBase64Key(h string) bool {
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding, base64.URLEncoding} {
		b, err := enc.DecodeString(h)
		if err != nil || !isDigestSize(len(b)) {
			continue
		}
		var upper, lower, other bool
		for _, r := range h {
			upper = upper || r >= 'A' && r <= 'Z'
			lower = lower || r >= 'a' && r <= 'z'
			other = other || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '+' || r == '/' || r == '='
		}
		return upper && lower && other
	}
	return false
}

var (
	reHexDigestPart = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$`)
	reSaltPart      = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	reMagentoVer    = regexp.MustCompile(`^[0-9]+(?:_[0-9]+)*$`)
)

// isDigestPart reports whether s is a digest in hex or base64.
func isDigestPart(s string) bool {
	if reHexDigestPart.MatchString(s) {
		return true
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && isDigestSize(len(b)) {
		return true
	}
	return isBase64Key(s)
}

// saltedDigestFamily names a digest written with its salt in one value:
// Joomla's and Magento 1's "md5:salt", Magento 2's "hash:salt:version"
// (version 0 md5, 1 sha-256, 2 and 3_... argon2id), or a "salt:digest" or
// "digest$salt" of an in-house system. It returns "" for anything else.
func saltedDigestFamily(h string) HashFamily {
	sep := ":"
	if !strings.Contains(h, sep) {
		sep = "$"
	}
	parts := strings.Split(h, sep)
	if len(parts) == 3 && sep == ":" && reMagentoVer.MatchString(parts[2]) {
		if !isDigestPart(parts[0]) || !reSaltPart.MatchString(parts[1]) {
			return ""
		}
		if v := parts[2]; v[0] == '2' || v[0] == '3' {
			return HashArgon2 // Magento's sodium argon2id13, hex encoded
		}
		return HashSaltedDigest
	}
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	switch {
	case isDigestPart(parts[0]) && reSaltPart.MatchString(parts[1]),
		isDigestPart(parts[1]) && reSaltPart.MatchString(parts[0]):
		return HashSaltedDigest
	}
	return ""
}

// hasEncodedSegment reports whether h is made of fields separated by '$'
// or ':' and one of them is 16 characters or more of hex, or of base64
// mixing cases as random bytes do: the shape of a hash with parameters
// ("v2$12$<salt>$<digest>"), not of a typed password.
func hasEncodedSegment(h string) bool {
	if !strings.ContainsAny(h, "$:") || strings.ContainsAny(h, " \t") {
		return false
	}
	for _, seg := range strings.FieldsFunc(h, func(r rune) bool { return r == '$' || r == ':' }) {
		if len(seg) < 16 {
			continue
		}
		if _, err := hex.DecodeString(seg); err == nil && len(seg)%2 == 0 {
			return true
		}
		b64 := true
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_' || c == '.') {
				b64 = false
				break
			}
		}
		if b64 && mixesCases(seg) {
			return true
		}
	}
	return false
}
