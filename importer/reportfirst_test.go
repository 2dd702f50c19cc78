package importer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFirstImported: the first inserted or updated line of a report, its
// cells unquoted as ReadReport gives them (a phone's formula quote
// removed); none in a report of only invalid and failed lines; a file
// that is no report is an error.
func TestFirstImported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.report.csv")
	w, err := NewReportWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []ReportRow{
		{Row: 2, Identifier: "not an email", Outcome: OutcomeInvalid, Reason: "email is not an email address"},
		{Row: 1, Identifier: "ada@example.com", Outcome: OutcomeFailed, Reason: "DuplicatedIdentity"},
		{Row: 3, Identifier: "+14155550100", Outcome: OutcomeInserted, UserID: "6f0f"},
		{Row: 4, Identifier: "grace@example.com", Outcome: OutcomeUpdated, UserID: "7a7a"},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	row, ok, err := FirstImported(path)
	if err != nil || !ok || row.Row != 3 || row.Identifier != "+14155550100" || row.UserID != "6f0f" || row.Outcome != OutcomeInserted {
		t.Fatalf("FirstImported = %+v %v %v", row, ok, err)
	}

	none := filepath.Join(dir, "none.report.csv")
	os.WriteFile(none, []byte(reportHeader+"\n1,a@x.io,invalid,,no\n2,b@x.io,failed,,x\n"), 0o600)
	if row, ok, err := FirstImported(none); err != nil || ok {
		t.Errorf("a report without imported users: %+v %v %v", row, ok, err)
	}
	bad := filepath.Join(dir, "users.csv")
	os.WriteFile(bad, []byte("email,name\na@x.io,A\n"), 0o600)
	if _, _, err := FirstImported(bad); err == nil {
		t.Error("a file that is no report was read as one")
	}
}
