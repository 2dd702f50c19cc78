package importer

import (
	"strings"
	"testing"
)

// Real-format hashes of "correct horse battery staple", made with the
// algorithms' reference implementations (golang.org/x/crypto, crypt(3),
// and the phpass / WordPress 6.8 / Django / Werkzeug / passlib / ASP.NET
// Identity encodings), plus samples from the shared fixtures.
var hashExamples = []struct {
	name   string
	hash   string
	family HashFamily
}{
	// bcrypt, which Authgear imports.
	{"bcrypt $2a$", "$2a$10$wR0Cu97N.6sV66mWwtICOO0QpvquMLum4dk43ynHk90R/TMudO5ZC", HashBcrypt},
	{"bcrypt $2b$ (Auth0 password export)", "$2b$10$jSuFF7UYZDgeVmhxdjI2/uSA5C9ZExw282ihFDApuVPS4zOJZL0GO", HashBcrypt},
	{"bcrypt $2y$ (Laravel / PHP password_hash)", "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi", HashBcrypt},
	{"bcrypt with surrounding space", "  $2a$10$dHDOy0q3g41ajrwvV/zeLeTpPLTiioWFSWU.UHuKz.MFIPYtxYdyq\n", HashBcrypt},
	{"Django BCryptPasswordHasher", "bcrypt$$2b$12$1Je2du.BLC/kcYHQcO/vouT4L59PGAmtzMU5AZQL0kPxEu0kzmoBy", HashBcrypt},
	// bcrypt variants that must not be imported.
	{"bcrypt truncated", "$2a$10$4CD8ZhhENxRCR", HashBcryptBroken},
	{"bcrypt cost out of range", "$2a$99$wR0Cu97N.6sV66mWwtICOO0QpvquMLum4dk43ynHk90R/TMudO5ZC", HashBcryptBroken},
	{"bcrypt $2x$ (crypt_blowfish bug)", "$2x$10$wR0Cu97N.6sV66mWwtICOO0QpvquMLum4dk43ynHk90R/TMudO5ZC", HashBcrypt2x},
	{"Django BCryptSHA256PasswordHasher", "bcrypt_sha256$$2b$12$DhsvR/vMsq21/EnDRc9TouM6aqfT96pBc0QJ.proox885fVcRQMem", HashDjangoBcrypt},
	{"WordPress 6.8 $wp$", "$wp$2y$10$0TyTDWTx6yGJxFV.pYDdlupQYWH.fikUzRNRNNqtPnC3kac.QuWlq", HashWordPressBcrypt},
	// argon2.
	{"argon2id (Clerk, PHC)", "$argon2id$v=19$m=65536,t=3,p=4$YzJGc2RITmhiSFJ6WVd4MA$61IKfXjnqgM+PUWyYlDj0hReuElkRqbjYZGSeyLsnUg", HashArgon2},
	{"argon2i", "$argon2i$v=19$m=4096,t=3,p=1$YzJGc2RITmhiSFJ6WVd4MA$cuZWfMdcdbXnESLxVupT9GhO2iqM9yLCeTbD1HXvTXI", HashArgon2},
	{"Django Argon2PasswordHasher", "argon2$argon2id$v=19$m=102400,t=2,p=8$YzJGc2RITmhiSFJ6WVd4MA$LOfyft/xEWlm5h7XEaFc3Yw/sk5STkx+cNMqAJZNrl4", HashArgon2},
	// scrypt.
	{"Django ScryptPasswordHasher", "scrypt$16384$xGq3Mb6Hm0vCvD9y5cZk2a$8$1$mb4ITcNTHenbpwxPNTtccu9LQGNIgKRd1/N9C4KcGoQB5AHuNgpDH/UZJRzWrgvsJC/sW7Re9i+07NQao/vl8g==", HashScrypt},
	{"Werkzeug scrypt", "scrypt:32768:8:1$Yq2bE9v0ClUj1kZr$7b1b96e6f8519ffae6159853067febb4299f5fb7ba94c2af82a25a0280ffb999e4d036ad4c0fbda54e75f1e129fc2247269d019761435ab06f94ad293497d50f", HashScrypt},
	{"passlib scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", HashScrypt},
	// Firebase's modified scrypt (base64 of 64 bytes; salt kept apart).
	{"Firebase scrypt (fixture)", "qenArB3FQvSzNcufuRTYS+pQpPDDuVLkqfCiiu7T4FzKpvhSFxMjrBiLyqlk6by9ktmjkfp+zhDxr5wh1drarA==", HashFirebaseScrypt},
	{"Firebase scrypt (firebase/scrypt README)", "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", HashFirebaseScrypt},
	// pbkdf2.
	{"Django PBKDF2PasswordHasher", "pbkdf2_sha256$600000$xGq3Mb6Hm0vCvD9y5cZk2a$LLrKNs7oEM7OvbbcLd32uK8wFyliaDShFfkJY3GU2eM=", HashPBKDF2},
	{"Django PBKDF2SHA1PasswordHasher", "pbkdf2_sha1$260000$xGq3Mb6Hm0vCvD9y5cZk2a$yRF0yQQ82OoNBCABbZfpaHH7FE0=", HashPBKDF2},
	{"passlib pbkdf2_sha256", "$pbkdf2-sha256$29000$c2FsdHNhbHRzYWx0MTIzNA$hhE82ZNkxt.Z9xuW7xpmjjLDAPx/Y559u8/hxrvZs30", HashPBKDF2},
	{"Werkzeug pbkdf2", "pbkdf2:sha256:600000$Yq2bE9v0ClUj1kZr$1ac319c405857e441a0e03908dd74d914509b7bae9a9ca4d4c49d7565a843cbd", HashPBKDF2},
	{"ASP.NET Identity v3", "AQAAAAEAACcQAAAAEDAxMjM0NTY3ODlhYmNkZWZWo4QBStNoCMwPqyH3Um+Ya1sP5g0adc0xt8gPGCPT3g==", HashPBKDF2},
	{"ASP.NET Identity v2", "ADAxMjM0NTY3ODlhYmNkZWbCYhe/Sa/uKi6qRz0IqNG8JfbWmnGJ7WSpzRYyCYOPSg==", HashPBKDF2},
	{"Keycloak pbkdf2-sha256, declared", declareHash("MmExYzdmY2MtNTI4ZS00Y2M3LTg1ZTMtNzM4Y2E5NDBkMTc5MmExYzdmY2MtNTI4ZS00Y2M3LTg1ZTMtNzM4Y2E5NDBkMTc5", "pbkdf2-sha256"), HashPBKDF2},
	// phpass.
	{"phpass (WordPress $P$)", "$P$BZq8mN3pLueEuyQi65nK7iLIsrCQuD/", HashPHPass},
	{"phpass (phpBB3 $H$)", "$H$9Zq8mN3pL9MPzhcUa9knrG6PQgVrml.", HashPHPass},
	{"Drupal 7 $S$", "$S$DZq8mN3pLUy3plBLcnmOctRRXbLiLwFfTcd5aEgHA/lupeIes3tW", HashPHPass},
	// crypt(3) families.
	{"sha512-crypt", "$6$rounds=5000$usesomesillystri$OLEL4Znhd0dw1Ze2wphEQCpjmrJvJ0Lp/9vKzw3KHdj6YH4L/jTT3ph84uzXzCQcGds4wKcC0JIV3wrS1hxLr.", HashSHACrypt},
	{"sha256-crypt", "$5$saltstring$hixOXgchwauyzVtlSM/e7UnQx0qiTk74JE/YU53IbE0", HashSHACrypt},
	{"md5-crypt", "$1$saltsalt$BsXyQbZiQujHkdhwPwdol.", HashMD5Crypt},
	// Salted and unsalted SHA / MD5.
	{"LDAP {SSHA}", "{SSHA}AGf5v+eF+dd54zM5FzlPMlyDskA0Ynl0ZXMhIQ==", HashLDAP},
	{"Django SHA1PasswordHasher", "sha1$aBcDeFgH1234$dfab3f7c35c9c93dada1227a2190f09a5c9870d4", HashDjangoSHA1},
	{"Django MD5PasswordHasher", "md5$aBcDeFgH1234$40456b77b9ead1b90398acf08675d016", HashDjangoSHA1},
	{"unsalted md5 hex", "9cc2ae8a1ba7a93da39b46fc1019c481", HashHexDigest},
	{"unsalted sha256 hex", "c4bbcb1fbec99d65bf59d85c8cb62ee2db963f0fe106f483d9afa73bd4e39a8a", HashHexDigest},
	// Not hashes.
	{"plaintext", "correct horse battery staple", HashPlaintext},
	{"empty", "", HashUnknown},
	{"Django unusable password", "!ZbyJqTBa9qGtDDrWQHGmy6rqOzXHO7ZiJYVuTMW0", HashUnknown},
}

func TestRecogniseHash(t *testing.T) {
	for _, ex := range hashExamples {
		got := RecogniseHash(ex.hash)
		if got != ex.family {
			t.Errorf("%s: RecogniseHash(%q) = %q, want %q", ex.name, ex.hash, got, ex.family)
		}
		_, importable := importableHash(ex.hash)
		if importable != (ex.family == HashBcrypt) {
			t.Errorf("%s: importable = %v, want %v", ex.name, importable, ex.family == HashBcrypt)
		}
		if got.Importable() != importable {
			t.Errorf("%s: family %q says importable %v, importableHash says %v", ex.name, got, got.Importable(), importable)
		}
	}
}

func TestImportableHashStripsDjangoPrefix(t *testing.T) {
	h, ok := importableHash("bcrypt$$2b$12$1Je2du.BLC/kcYHQcO/vouT4L59PGAmtzMU5AZQL0kPxEu0kzmoBy")
	if !ok || h != "$2b$12$1Je2du.BLC/kcYHQcO/vouT4L59PGAmtzMU5AZQL0kPxEu0kzmoBy" {
		t.Fatalf("importableHash = %q, %v", h, ok)
	}
}

// A declared algorithm wins over the value's shape: a bcrypt-shaped value
// that Clerk says is bcrypt_peppered must never be imported.
func TestDeclaredHasher(t *testing.T) {
	bc := "$2a$10$wR0Cu97N.6sV66mWwtICOO0QpvquMLum4dk43ynHk90R/TMudO5ZC"
	for _, c := range []struct {
		hasher string
		family HashFamily
	}{
		{"bcrypt", HashBcrypt},
		{"BCRYPT", HashBcrypt},
		{"", HashBcrypt},
		{"bcrypt_peppered", HashFamily("bcrypt_peppered")},
		{"bcrypt_sha256_django", HashDjangoBcrypt},
		{"argon2id", HashArgon2},
		{"scrypt_firebase", HashFirebaseScrypt},
		{"scrypt_werkzeug", HashScrypt},
		{"pbkdf2_sha256", HashPBKDF2},
		{"pbkdf2-sha512", HashPBKDF2},
		{"md5_phpass", HashPHPass},
		{"sha512_symfony", HashFamily("sha512_symfony")},
		{"ldap_ssha", HashLDAP},
	} {
		v := declareHash(bc, c.hasher)
		if got := RecogniseHash(v); got != c.family {
			t.Errorf("hasher %q: family %q, want %q", c.hasher, got, c.family)
		}
		_, ok := importableHash(v)
		if ok != (c.family == HashBcrypt) {
			t.Errorf("hasher %q: importable %v", c.hasher, ok)
		}
		if c.family != HashBcrypt && !RecogniseHash(v).IsHash() {
			t.Errorf("hasher %q: not counted as a hash", c.hasher)
		}
	}
	// A declared bcrypt that is not bcrypt is still refused.
	if got := RecogniseHash(declareHash("not-a-hash", "bcrypt")); got.Importable() {
		t.Errorf("declared bcrypt of a plain string: %q", got)
	}
}

// The hasher and drop transforms through a whole mapping: Clerk-like CSV.
func TestHasherAndDropTransforms(t *testing.T) {
	csv := "email,digest,hasher,roles\n" +
		"a@example.com,$2a$10$wR0Cu97N.6sV66mWwtICOO0QpvquMLum4dk43ynHk90R/TMudO5ZC,bcrypt,\"[\"\"default-roles-x\"\",\"\"admin\"\"]\"\n" +
		"b@example.com,$2a$10$wR0Cu97N.6sV66mWwtICOO0QpvquMLum4dk43ynHk90R/TMudO5ZC,bcrypt_peppered,default-roles-x\n" +
		"c@example.com,!unusable,,offline_access\n"
	src, err := NewSource(strings.NewReader(csv), "t.csv", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("password.password_hash", "digest", TA("drop", "!*"), TA("hasher", "hasher"))
	m.Set("roles", "roles", T("split"), TA("drop", keycloakInternalRoles))
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	var got []*Prepared
	for _, r := range src.Sample() {
		got = append(got, plan.Apply(r))
	}
	if p := got[0]; p.Record.Password == nil || strings.Join(p.Record.Roles, ",") != "admin" {
		t.Errorf("row 1: password %v roles %v", p.Record.Password, p.Record.Roles)
	}
	if p := got[1]; p.Record.Password != nil || !p.PasswordDropped || p.PasswordFamily != "bcrypt_peppered" || p.Record.Roles != nil {
		t.Errorf("row 2: password %v dropped %v family %q roles %v", p.Record.Password, p.PasswordDropped, p.PasswordFamily, p.Record.Roles)
	}
	if p := got[2]; !p.Valid() || p.PasswordFamily != "" || p.Record.Password != nil {
		t.Errorf("row 3: %v family %q", p.Problems, p.PasswordFamily)
	}
}

func TestPasswordNotes(t *testing.T) {
	notes := strings.Join(PasswordNotes(map[HashFamily]int{HashBcrypt: 3, HashPHPass: 2, HashUnknown: 1}, 6, PasswordsDrop, true), "\n")
	for _, want := range []string{"3 of the first 6 records", "2 of the first 6 records have phpass hashes", "not a recognised hash", "forgot-password", RollingMigrationGuide} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	notes = strings.Join(PasswordNotes(map[HashFamily]int{HashArgon2: 2}, 2, PasswordsReject, false), "\n")
	if !strings.Contains(notes, "not imported") || strings.Contains(notes, "first") {
		t.Errorf("reject notes:\n%s", notes)
	}
}
