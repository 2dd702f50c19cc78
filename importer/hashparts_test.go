package importer

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Issue 18 item 7: a hash is never taken for a clear-text password. Each
// value below was made with the algorithm it stands for (the fixtures'
// generator: md5/sha256 of salt and password, x/crypto scrypt and bcrypt).
func TestRecogniseSaltedAndEncodedHashes(t *testing.T) {
	for _, c := range []struct {
		name, h string
		want    HashFamily
	}{
		{"Joomla md5:salt", "044de73bedf97b5f6dd569d93279c41c:kQ3rT9xLmN2pV7wYzA4bC6dE8fG0hJ1s", HashSaltedDigest},
		{"Magento 1 md5:salt", "1602c7c51922e88d5876d58985ddb39f:aB", HashSaltedDigest},
		{"Magento 2 sha256 hash:salt:1", "a378c51d6e0905ff2d8e6ad34b8b7d0fc07e69af206e5d77ead457e505916e7d:Xk3mQ9rT2vW7yZ1aB4cD6eF8gH0jK2lM:1", HashSaltedDigest},
		{"Magento 2 upgraded md5 hash:salt:0", "71912df61790deae17cea7a781955865:aB:0", HashSaltedDigest},
		{"Magento 2 argon2id13 hash:salt:3_32_2_67108864", "b7a5c9b1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9:Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk:3_32_2_67108864", HashArgon2},
		{"salt:sha256 base64", "MDEyMzQ1Njc4OWFiY2RlZg==:o3jFHW4JBf8tjmrTS4t9D8B+aa8gbl136tRX5QWRbn0=", HashSaltedDigest},
		{"sha256 hex$salt", "a378c51d6e0905ff2d8e6ad34b8b7d0fc07e69af206e5d77ead457e505916e7d$pepper12", HashSaltedDigest},
		{"md5 base64", "BE3nO+35e19t1WnZMnnEHA==", HashBase64Key},
		{"sha256 base64 without padding", "o3jFHW4JBf8tjmrTS4t9D8B+aa8gbl136tRX5QWRbn0", HashBase64Key},
		{"scrypt key, URL-safe base64 (32 bytes)", "dBa8zRPUpzywXdO-F77QOjNl7GeuEnC9-Jjs470VY-0", HashBase64Key},
		{"scrypt key, URL-safe base64 (64 bytes)", "gKP4B63hhJ6D3XQ9deQThz5_DuxtoWbRsuJ8ENkFug4D5pJ2emWieff8xBql8hVokmTN_VwlekOkJ4GDu0peqA", HashBase64Key},
		{"scrypt key, URL-safe base64 padded", "Im5najC76HSTkKCOiVsMEIJgluIUq5286NeGBYl4XSs=", HashBase64Key},
		{"FusionAuth bcrypt checksum alone", "1kzR3egsE1Uu8ThlQKyy9wLZKepf19q", HashBcryptPart},
		{"bcrypt salt and checksum without the cost", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q", HashBcryptPart},
		{"declared FusionAuth salted-sha256", declareHash("ZabCacMGvQjoJO85cXD9GLedN7K/HU/a680Ku3lWQ6w=", "salted-sha256"), HashSaltedDigest},
		{"pbkdf2_sha512 (Django-like, another digest)", "pbkdf2_sha512$10000$c2FsdHNhbHQ$Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4MTIzNA", HashPBKDF2},
		{"a hash with parameters of an unknown format", "v2$12$Ab3dEf6hIj9kLm2nOp5q$c2FsdHNhbHRzYWx0MTIzNA", HashOtherFormat},
		{"hex after a colon", "tenant7:9cc2ae8a1ba7a93da39b46fc1019c4", HashOtherFormat},
		// Clear text stays clear text.
		{"a password with a dollar", "pa$$word", HashPlaintext},
		{"a short password with colons", "a:b:c:hello", HashPlaintext},
		{"passphrase", "correct horse battery staple", HashPlaintext},
		{"short password", "hunter2", HashPlaintext},
		{"symbols", "Tr0ub4dor&3", HashPlaintext},
		{"lower-case words of a key's length", "my-password-is-long-ok", HashPlaintext},
		{"a colon in a password", "secret:value", HashPlaintext},
	} {
		if got := RecogniseHash(c.h); got != c.want {
			t.Errorf("%s: RecogniseHash(%q) = %q, want %q", c.name, c.h, got, c.want)
		}
		if c.want != HashPlaintext && !RecogniseHash(c.h).IsHash() {
			t.Errorf("%s: not counted as a hash", c.name)
		}
	}
}

// Each fixture's hashes are mapped as hashes (never left out as clear
// text, never bcrypt-hashed as passwords under --hash-plaintext-passwords),
// and each record's hash has the fate its family gives it.
func TestExportSaltedAndEncodedHashesAreNotPasswords(t *testing.T) {
	const dropped = "password dropped: "
	for _, c := range []struct {
		file, from string
		ts         []string // transforms besides trim
		bcrypt     int
		rows       map[int]HashFamily // "" : no password, or a bcrypt hash sent
	}{
		{"joomla-md5salt.csv", "password", nil, 1, map[int]HashFamily{1: HashSaltedDigest, 2: HashSaltedDigest, 3: HashSaltedDigest, 4: ""}},
		{"magento-customers.csv", "password_hash", nil, 0, map[int]HashFamily{1: HashSaltedDigest, 2: HashSaltedDigest, 3: HashSaltedDigest, 4: HashArgon2}},
		{"salted-sha256.csv", "password", []string{`salted: "salt"`}, 0, map[int]HashFamily{1: HashSaltedDigest, 2: HashSaltedDigest, 3: HashSaltedDigest, 4: HashSaltedDigest}},
		{"md5-base64.csv", "password", nil, 0, map[int]HashFamily{1: HashBase64Key, 2: HashBase64Key, 3: HashBase64Key}},
		{"scrypt-urlsafe.json", "passwordHash", []string{`salted: "passwordSalt"`}, 0, map[int]HashFamily{1: HashSaltedDigest, 2: HashSaltedDigest, 3: HashSaltedDigest}},
	} {
		for _, hashPlain := range []bool{false, true} {
			r := mapAndPrepare(t, c.file, SuggestOptions{HashPlaintext: hashPlain}, func(m *Mapping) {
				delete(m.Fields, "website") // Magento's website_id is no website (issue 18 item 1, not this test's)
			})
			f := r.m.Fields["password.password_hash"]
			if f == nil || f.From != c.from {
				t.Fatalf("%s: password.password_hash = %+v, want from %q", c.file, f, c.from)
			}
			var ts []string
			for _, tr := range f.Transforms {
				if tr.Name != "trim" {
					ts = append(ts, tr.String())
				}
			}
			if strings.Join(ts, "; ") != strings.Join(c.ts, "; ") {
				t.Errorf("%s: transforms %q, want %q", c.file, ts, c.ts)
			}
			for _, n := range r.rep.Notes {
				if strings.Contains(n, "clear text, not hashes") || strings.Contains(n, "in clear text among") || strings.Contains(n, "bcrypt-hashed locally") {
					t.Errorf("%s: a note takes the hashes for passwords: %s", c.file, n)
				}
			}
			if r.stats.PasswordsHashedLocally != 0 || r.stats.Invalid != 0 || r.stats.PasswordsBcrypt != c.bcrypt || r.stats.PasswordsDropped != len(c.rows)-c.bcrypt {
				t.Errorf("%s (hash plaintext %t): %d hashed locally, %d invalid, %d bcrypt, %d dropped; want 0, 0, %d, %d", c.file, hashPlain,
					r.stats.PasswordsHashedLocally, r.stats.Invalid, r.stats.PasswordsBcrypt, r.stats.PasswordsDropped, c.bcrypt, len(c.rows)-c.bcrypt)
			}
			for num, fam := range c.rows {
				p := r.rows[num]
				switch {
				case fam == "" && (p.Record.Password == nil || p.PasswordFamily != HashBcrypt):
					t.Errorf("%s row %d: bcrypt hash not sent (%s)", c.file, num, p.Reason())
				case fam != "" && (p.Record.Password != nil || p.PasswordFamily != fam || p.Reason() != dropped+string(fam)+" hashes cannot be imported; the user must set a new password"):
					t.Errorf("%s row %d: family %q, reason %q; want %q dropped", c.file, num, p.PasswordFamily, p.Reason(), fam)
				}
			}
		}
	}
}

// FusionAuth keeps a bcrypt hash in three fields: map puts them together
// into the hash bcrypt verifies, and a record of another scheme is
// dropped as the scheme it names.
func TestExportFusionAuthBcryptSplit(t *testing.T) {
	r := mapAndPrepare(t, "fusionauth-bcrypt-split.json", SuggestOptions{HashPlaintext: true}, nil)
	f := r.m.Fields["password.password_hash"]
	if f == nil || f.From != "password" {
		t.Fatalf("password.password_hash = %+v", f)
	}
	want := []Transform{T("trim"), TA("bcrypt_salt", "salt"), TA("bcrypt_cost", "factor"), TA("hasher", "encryptionScheme")}
	if len(f.Transforms) != len(want) {
		t.Fatalf("transforms %v, want %v", f.Transforms, want)
	}
	for i := range want {
		if f.Transforms[i] != want[i] {
			t.Fatalf("transforms %v, want %v", f.Transforms, want)
		}
	}
	if r.note(`"password", "salt" and "factor" hold bcrypt hashes in three parts`, "3 of the 4 sampled values make a whole $2a$ hash") == "" {
		t.Errorf("notes %q", r.rep.Notes)
	}
	for _, u := range r.rep.Unmapped {
		if u == "salt" || u == "factor" || u == "encryptionScheme" {
			t.Errorf("%q listed as not mapped", u)
		}
	}
	if r.stats.Valid != 5 || r.stats.PasswordsBcrypt != 3 || r.stats.PasswordsDropped != 1 || r.stats.PasswordsHashedLocally != 0 {
		t.Fatalf("stats %+v", r.stats)
	}
	for num, pw := range map[int]string{1: "correct horse battery staple", 2: "Tr0ub4dor&3", 3: "hunter2hunter2"} {
		p := r.rows[num]
		if p.Record.Password == nil {
			t.Fatalf("row %d: no password (%s)", num, p.Reason())
		}
		h, err := p.Record.Password.Hash()
		if err != nil {
			t.Fatal(err)
		}
		if cost, _ := bcrypt.Cost([]byte(h)); cost != 9+num || !strings.HasPrefix(h, "$2a$") {
			t.Errorf("row %d: hash %q, want $2a$ of cost %d", num, h, 9+num)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)); err != nil {
			t.Errorf("row %d: the reassembled hash does not verify the password: %v", num, err)
		}
	}
	if h, _ := r.rows[1].Record.Password.Hash(); h != "$2a$10$xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q" {
		t.Errorf("row 1: %q", h)
	}
	if p := r.rows[4]; p.Record.Password != nil || p.PasswordFamily != HashSaltedDigest {
		t.Errorf("row 4 (salted-sha256): family %q, password %v", p.PasswordFamily, p.Record.Password)
	}
	if p := r.rows[5]; p.Record.Password != nil || p.Reason() != "" {
		t.Errorf("row 5 (no password): %q", p.Reason())
	}
}

// The bcrypt transforms leave values of other shapes as they are.
func TestBcryptPartsTransformsLeaveOtherShapes(t *testing.T) {
	for _, c := range []struct{ cost, sum, want string }{
		{"10", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q", "$2a$10$xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q"},
		{"4", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q", "$2a$04$xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q"},
		{"24000", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q"},
		{"", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q", "xyQXo3wKzAc6aZRgG46WgO1kzR3egsE1Uu8ThlQKyy9wLZKepf19q"},
		{"10", "ZabCacMGvQjoJO85cXD9GLedN7K/HU/a680Ku3lWQ6w=", "ZabCacMGvQjoJO85cXD9GLedN7K/HU/a680Ku3lWQ6w="},
	} {
		if got := assembleBcrypt(c.cost, c.sum); got != c.want {
			t.Errorf("assembleBcrypt(%q, %q) = %q, want %q", c.cost, c.sum, got, c.want)
		}
	}
}

// A salt column is a salt: never the hash column, however hash-like its
// values (base64 of 16 bytes), and the digest beside it is salted.
func TestSaltColumnIsNotAHashColumn(t *testing.T) {
	csv := "email,crypted_password,password_salt\n" +
		"a@example.com,861844d6704e8573fec34d967e20bcfef3d424cf48be04e6dc08f2bd58c729743371015ead891cc3cf1c9d34b49264b510751b1ff9e537937bc46b5d6ff4ecc8,c2FsdHNhbHRzYWx0MTIzNA==\n" +
		"b@example.com,b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86,c2FsdHNhbHRzYWx0NTY3OA==\n"
	src, err := NewSource(strings.NewReader(csv), "t.csv", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, rep, err := SuggestMapping(src, SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := m.Fields["password.password_hash"]
	if f == nil || f.From != "crypted_password" || len(f.Transforms) != 2 || f.Transforms[1] != TA("salted", "password_salt") {
		t.Fatalf("password.password_hash = %+v", f)
	}
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, `column "password_salt"`) {
			t.Errorf("the salt column is noted as hashes: %s", n)
		}
	}
	found := false
	for _, n := range rep.Notes {
		found = found || strings.Contains(n, `"password_salt" is the salt of the hashes in "crypted_password"`) && strings.Contains(n, "the 2 sampled users with one are imported without a password")
	}
	if !found {
		t.Errorf("notes %q", rep.Notes)
	}
	// A mapping that names the salt column itself is taken back.
	m2 := NewMapping(IdentifierEmail)
	m2.Set("email", "email")
	m2.Set("password.password_hash", "password_salt")
	rep2 := &SuggestReport{}
	checkPlaintextPasswords(src, m2, rep2)
	if m2.Fields["password.password_hash"] != nil || len(rep2.Notes) != 1 || !strings.Contains(rep2.Notes[0], `"password_salt" holds salts, not password hashes`) {
		t.Errorf("salt mapped as the hash: %+v, notes %q", m2.Fields["password.password_hash"], rep2.Notes)
	}
}
