package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadMappingNeverEchoesTheFile is issue 17 item 10: a file given as
// the mapping that is not one (a users.csv, a JSON export) makes an error
// that says what the file seems to be and quotes none of it: yaml.v3
// quoted the first line ("`Email,V...`") or the keys of a JSON object (an
// email address).
func TestReadMappingNeverEchoesTheFile(t *testing.T) {
	users, err := os.ReadFile(filepath.Join("..", "examples", "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	for _, tc := range []struct {
		name, data, seems string
		secrets           []string
	}{
		{"users.csv", string(users), "a CSV file of", []string{strings.SplitN(string(users), ",", 2)[0], "Email"}},
		{"export.csv", "alice@example.com,Alice," + secret + "\nbob@example.com,Bob,x\n", "a CSV file of 3 columns", []string{"alice", secret[:8]}},
		{"users.tsv", "email\tpassword\nalice@example.com\t" + secret + "\n", "a tab-separated file of 2 columns", []string{"alice", "email"}},
		{"export.json", `[{"email":"alice@example.com","password":"` + secret + `"}]`, "a list of 1 items", []string{"alice", secret[:8]}},
		{"by-email.json", `{"alice@example.com": {"password": "` + secret + `"}}`, "a JSON object without any key of a mapping", []string{"alice", secret[:8]}},
		{"user.yaml", "email: alice@example.com\npassword: " + secret + "\n", "a YAML object without any key of a mapping", []string{"alice", secret[:8], "email"}},
		{"blob.bin", "\x00\x01alice@example.com", "a binary file", []string{"alice"}},
		{"note.txt", "alice@example.com", "a text file", []string{"alice"}},
	} {
		_, err := ReadMapping(strings.NewReader(tc.data), tc.name)
		var ne *NotMappingError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), tc.seems) {
			t.Errorf("%s: %v, want a NotMappingError saying %q", tc.name, err, tc.seems)
			continue
		}
		for _, s := range tc.secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error quotes the file (%q): %v", tc.name, s, err)
			}
		}
	}

	// A mapping with mistakes: the error names the key, as before.
	_, err = ReadMapping(strings.NewReader("version: 1\nfeilds:\n  email: {from: email}\n"), "m.yaml")
	var ne *NotMappingError
	if err == nil || errors.As(err, &ne) || !strings.Contains(err.Error(), "feilds") {
		t.Errorf("a mapping with mistakes: %v", err)
	}
}
