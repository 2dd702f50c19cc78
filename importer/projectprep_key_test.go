package importer

import (
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// TestKeyTransform: the key transform turns the names people use into keys
// Authgear accepts, and leaves valid keys alone; a mapping with it sends
// valid role keys.
func TestKeyTransform(t *testing.T) {
	for in, want := range map[string]string{"beta-testers": "beta_testers", "Has Space": "Has_Space", "admin": "admin", "2fa": "_2fa", "a:b_c": "a:b_c"} {
		got := sKey(in, "")
		if got != want {
			t.Errorf("key(%q) = %q, want %q", in, got, want)
		}
		if !adminapi.KeyPattern.MatchString(got) {
			t.Errorf("key(%q) = %q does not match Authgear's key pattern", in, got)
		}
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("roles", "roles", TA("split", ";"), T("key"))
	plan, err := Compile(m, []string{"email", "roles"}, true)
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Apply(&Row{Num: 1, Fields: []string{"a@example.com", "beta-testers;Has Space"}})
	if !p.Valid() {
		t.Fatalf("invalid: %s", p.Reason())
	}
	if got := FieldValue(p, "roles"); got != `["beta_testers","Has_Space"]` {
		t.Errorf("roles sent: %s", got)
	}
}
