package importer

import (
	"strings"
	"testing"
)

// TestProblemCodes: each kind of problem carries its code, whatever its
// message says, and the codes have names.
func TestProblemCodes(t *testing.T) {
	m := emailMapping()
	m.Set("phone_number", "phone")
	m.Fields["phone_number"].Invalid = InvalidReject // record 4 is refused
	m.Set("account_valid_from", "from")
	m.Set("account_valid_until", "until")
	m.Set("password.password_hash", "hash")
	m.Passwords.Unsupported = PasswordsReject
	m.RejectIf = []Condition{{From: "deleted", Present: true}}
	data := "email,phone,from,until,hash,deleted\n" +
		"a@x.io,+85298765433,,,,\n" + // 1: valid
		",,,,,\n" + // 2: no identifier
		"A@x.io,,,,,\n" + // 3: duplicate of 1
		"b@x.io,+852 9876 5433,,,,\n" + // 4: 1's phone
		"not an email,,,,,\n" + // 5: invalid value
		"c@x.io,,2024-01-02T00:00:00Z,2024-01-01T00:00:00Z,,\n" + // 6: valid period
		"d@x.io,,,,$pbkdf2-sha256$29000$abc$def,\n" + // 7: password the policy rejects
		"e@x.io,,,,,yes\n" + // 8: reject_if
		"f@x.io,1,2,3,4,5,6,7\n" // 9: unreadable (ragged)
	out, _, err := prepareAll(t, "in.csv", data, m, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []ProblemCode{-1, ProblemIdentifierEmpty, ProblemDuplicate, ProblemSameLoginID, ProblemInvalidValue,
		ProblemValidPeriod, ProblemPassword, ProblemRejected, ProblemUnreadable}
	if len(out) != len(want) {
		t.Fatalf("%d records, want %d", len(out), len(want))
	}
	for i, p := range out {
		if want[i] < 0 {
			if !p.Valid() {
				t.Errorf("record %d: %s", i+1, p.Reason())
			}
			continue
		}
		if len(p.Problems) != 1 || p.Problems[0].Code != want[i] {
			t.Errorf("record %d: problems %+v, want one %s", i+1, p.Problems, want[i])
		}
	}
	seen := map[string]bool{}
	for c := ProblemInvalidValue; c <= ProblemRejected; c++ {
		name := c.String()
		if name == "" || strings.HasPrefix(name, "ProblemCode(") || seen[name] {
			t.Errorf("code %d is named %q", int(c), name)
		}
		seen[name] = true
	}
	if got := ProblemCode(99).String(); got != "ProblemCode(99)" {
		t.Errorf("unknown code: %q", got)
	}
}

// TestCustomAttributeTargetSetter: custom attribute targets, made per
// mapping, set their key of custom_attributes.
func TestCustomAttributeTargetSetter(t *testing.T) {
	tg, ok := LookupTarget(CustomAttributePrefix + "member_id")
	if !ok || tg.setAny == nil {
		t.Fatal("no custom attribute target with a setter")
	}
	b := &recordBuilder{nCustom: 2}
	tg.setAny(b, "42")
	if got := b.rec.CustomAttributes["member_id"]; got != "42" {
		t.Fatalf("custom_attributes = %v", b.rec.CustomAttributes)
	}
}
