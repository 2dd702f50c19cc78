package importer

import (
	"errors"
	"strings"
	"testing"
)

// TestGenericSourceID: the generic mapper takes for the old id a column
// named as ids are whose sampled values are all present and different, at
// the top of the record; never an email column, a flag, a column with
// repeats or gaps, or a nested path. map's notes say which (and offer to
// keep it as a custom attribute), or that none was found.
func TestGenericSourceID(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"user_id", "email,user_id,name\na@x.io,17,A\nb@x.io,18,B\nc@x.io,19,C\n", "user_id"},
		{"id before uid", "uid,id,email\nu1,1,a@x.io\nu2,2,b@x.io\n", "id"},
		{"uid", "Email,UID\na@x.io,x-1\nb@x.io,x-2\n", "UID"},
		{"member id", "Email;Member ID\na@x.io;M-1\nb@x.io;M-2\n", "Member ID"},
		{"an id column of emails", "id,name\na@x.io,A\nb@x.io,B\n", ""},
		{"repeated ids", "email,id\na@x.io,1\nb@x.io,1\n", ""},
		{"an id missing", "email,id\na@x.io,1\nb@x.io,\n", ""},
		{"flags", "email,id\na@x.io,true\nb@x.io,false\n", ""},
		{"no id column", "email,name\na@x.io,A\nb@x.io,B\n", ""},
		{"ndjson ObjectId", `{"_id":{"$oid":"5f1d7c8e9a1b2c3d4e5f6a7b"},"email":"a@x.io"}` + "\n" + `{"_id":{"$oid":"5f1d7c8e9a1b2c3d4e5f6a7c"},"email":"b@x.io"}` + "\n", "_id"},
		{"ndjson nested only", `{"email":"a@x.io","profile":{"id":1}}` + "\n" + `{"email":"b@x.io","profile":{"id":2}}` + "\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "users.csv"
			if strings.HasPrefix(tc.file, "{") {
				name = "users.ndjson"
			}
			src, err := NewSource(strings.NewReader(tc.file), name, SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			m, rep, err := SuggestMapping(src, SuggestOptions{Preset: "generic"})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.SourceIDPath(); got != tc.want {
				t.Fatalf("source.id %q, want %q", got, tc.want)
			}
			for _, u := range rep.Unmapped {
				if tc.want != "" && (u == tc.want || u == tc.want+".$oid") {
					t.Errorf("the old id %q is listed as not mapped", u)
				}
			}
			var note string
			for _, n := range rep.Notes {
				if strings.Contains(n, "old user id") {
					note = n
				}
			}
			switch {
			case tc.want == "" && !strings.Contains(note, "no column was taken for the old user id"):
				t.Errorf("no note that none was found: %q", rep.Notes)
			case tc.want != "" && (!strings.Contains(note, "the old user id is "+tc.want) || rep.NoteRemedy[note] != RemedyKeepSourceID ||
				!strings.Contains(note, "custom_attributes.legacy_id ← "+tc.want)):
				t.Errorf("the note does not name %s and offer it as a custom attribute: %q (remedy %v)", tc.want, note, rep.NoteRemedy[note])
			}
		})
	}
}

// TestKeepSourceID: SuggestOptions.KeepSourceID maps the old id to a
// custom attribute as well (the note then says it is kept, and offers
// nothing); with no old id, or a name no custom attribute can have, it is
// refused with a typed error.
func TestKeepSourceID(t *testing.T) {
	suggest := func(file, keep string) (*Mapping, *SuggestReport, error) {
		src, err := NewSource(strings.NewReader(file), "users.csv", SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		return SuggestMapping(src, SuggestOptions{KeepSourceID: keep})
	}
	m, rep, err := suggest("email,user_id\na@x.io,17\nb@x.io,18\n", "legacy_id")
	if err != nil {
		t.Fatal(err)
	}
	f := m.Fields["custom_attributes.legacy_id"]
	if f == nil || f.From != "user_id" {
		t.Fatalf("custom_attributes.legacy_id ← %+v", f)
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "old user id") && (!strings.Contains(n, "custom attribute legacy_id") || rep.NoteRemedy[n] != RemedyNone) {
			t.Errorf("note %q (remedy %v)", n, rep.NoteRemedy[n])
		}
	}
	if _, _, err := suggest("email,name\na@x.io,A\n", "legacy_id"); !errors.Is(err, ErrNoSourceID) {
		t.Errorf("no old id: %v", err)
	}
	var ne *AttributeNameError
	if _, _, err := suggest("email,user_id\na@x.io,17\n", "a.b"); !errors.As(err, &ne) {
		t.Errorf("a bad name: %v", err)
	}
}

// TestPresetsNameTheOldID: every preset names its system's user id as
// source.id, and the id reads from the sample (Meteor's and Parse's ids
// as text, Auth0's CSV without its "'", Firebase's headerless CSV by
// position).
func TestPresetsNameTheOldID(t *testing.T) {
	for _, tc := range []struct {
		file, preset, path, first string
	}{
		{"presets/auth0-users.csv", "auth0", "user_id", ""},
		{"presets/auth0-minimal.ndjson", "auth0", "user_id", ""},
		{"presets/firebase-export.csv", "firebase", "localId", ""},
		{"presets/supabase-users.json", "supabase", "id", ""},
		{"presets/clerk-reordered.csv", "clerk", "id", ""},
		{"exports/clerk-joined-emails.json", "clerk", "id", ""},
		{"presets/cognito-reordered.csv", "cognito", "cognito:username", ""},
		{"exports/cognito-list-users.json", "cognito", "Attributes[Name=sub].Value", ""},
		{"presets/keycloak-groups-first.json", "keycloak", "id", ""},
		{"presets/django-auth-user.csv", "django", "id", "1"},
		{"exports/django-dumpdata.json", "django", "pk", ""},
		{"exports/okta-users.csv", "okta", "User Id", ""},
		// FusionAuth's import JSON may leave the id out (it then has none).
		{"exports/fusionauth-import.json", "fusionauth", "", ""},
		{"exports/parse-user.json", "parse", "objectId", ""},
		{"exports/parse-user-mongo.json", "parse", "_id", ""},
		{"exports/meteor-users.json", "meteor", "_id", ""},
		{"exports/kratos-identities.json", "kratos", "id", ""},
		{"presets/wordpress-users.csv", "wordpress", "ID", ""},
		{"presets/laravel-users.csv", "laravel", "id", ""},
		{"presets/devise-users.csv", "devise", "id", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, _ := suggestFile(t, "testdata/"+tc.file, SuggestOptions{})
			if m.Preset != tc.preset {
				t.Fatalf("preset %q, want %q", m.Preset, tc.preset)
			}
			if got := m.SourceIDPath(); got != tc.path {
				t.Fatalf("source.id %q, want %q", got, tc.path)
			}
			if tc.path == "" {
				return
			}
			src, err := OpenInput("testdata/"+tc.file, m)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			plan, err := CompileFor(m, src)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				row, err := src.Next()
				if err != nil {
					break
				}
				p := plan.Apply(row)
				if p.NotUser != "" {
					continue
				}
				n++
				if p.SourceID == "" || strings.ContainsAny(p.SourceID, "{}'\"") {
					t.Errorf("row %d: old id %q", row.Num, p.SourceID)
				}
				if n == 1 && tc.first != "" && p.SourceID != tc.first {
					t.Errorf("first old id %q, want %q", p.SourceID, tc.first)
				}
			}
			if n == 0 {
				t.Error("no user read")
			}
		})
	}
}
