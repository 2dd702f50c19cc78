package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const handWritten = `# our mapping, reviewed by Ana on 3 March
version: 1
identifier: email
upsert: false
passwords:
  unsupported: drop
fields:
  email: {from: Email, transforms: [trim, lowercase]} # keep lowercase
  # the display name
  name: Name
  given_name: First
reject_if:
  - from: Deleted
    present: true
    reason: deleted in the old system
`

// TestSaveMappingKeepsTheDocument: saving back an edited mapping changes
// only the edited nodes; comments, the short form of untouched fields and
// the reject_if rules stay.
func TestSaveMappingKeepsTheDocument(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.mapping.yaml")
	os.WriteFile(path, []byte(handWritten), 0o644)
	doc, err := ReadMappingDocument(path)
	if err != nil {
		t.Fatal(err)
	}
	m := doc.Mapping
	m.Upsert = true
	delete(m.Fields, "given_name")
	m.Set("family_name", "Last", T("trim"))
	wrote, err := SaveMapping(path, m, doc, false)
	if err != nil || !wrote {
		t.Fatalf("save: %v %v", wrote, err)
	}
	b, _ := os.ReadFile(path)
	got := string(b)
	for _, want := range []string{"# our mapping, reviewed by Ana on 3 March", "# keep lowercase", "# the display name",
		"name: Name", "reject_if:", "reason: deleted in the old system", "upsert: true", "family_name:"} {
		if !strings.Contains(got, want) {
			t.Errorf("saved file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "given_name") {
		t.Errorf("given_name was unmapped but is still there:\n%s", got)
	}
	back, err := ReadMappingFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Upsert || len(back.RejectIf) != 1 || back.Fields["family_name"] == nil || back.Fields["email"].From != "Email" {
		t.Errorf("read back: %+v", back)
	}
}

// TestSaveMappingNeverReplacesWithoutAsking: a file that holds another
// mapping is replaced only with overwrite; a file that is no mapping
// never; the same mapping is left as it is; a document changed on disk
// since it was read is not saved over.
func TestSaveMappingNeverReplacesWithoutAsking(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.mapping.yaml")
	os.WriteFile(path, []byte(handWritten), 0o644)
	m := NewMapping(IdentifierEmail)
	m.Set("email", "mail")
	var ee *MappingExistsError
	if _, err := SaveMapping(path, m, nil, false); !errors.As(err, &ee) {
		t.Fatalf("saving over another mapping: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != handWritten {
		t.Fatal("the file was replaced")
	}
	if wrote, err := SaveMapping(path, m, nil, true); err != nil || !wrote {
		t.Fatalf("overwrite: %v %v", wrote, err)
	}
	if wrote, err := SaveMapping(path, m, nil, false); err != nil || wrote {
		t.Errorf("the same mapping again: wrote %v, %v", wrote, err)
	}
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, []byte("shopping list\n"), 0o644)
	var ne *NotMappingError
	if _, err := SaveMapping(other, m, nil, true); !errors.As(err, &ne) {
		t.Errorf("over a file that is no mapping: %v", err)
	}
	// Read, then changed by someone else, then saved: refused.
	os.WriteFile(path, []byte(handWritten), 0o644)
	doc, err := ReadMappingDocument(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte(handWritten+"# edited meanwhile\n"), 0o644)
	doc.Mapping.Upsert = true
	if _, err := SaveMapping(path, doc.Mapping, doc, false); !errors.Is(err, ErrMappingChanged) {
		t.Errorf("saving over a changed document: %v", err)
	}
	if p := FreeMappingPath(path); filepath.Base(p) != "users-2.mapping.yaml" {
		t.Errorf("free name: %s", p)
	}
}
