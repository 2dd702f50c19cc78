package importer

import (
	"path/filepath"
	"testing"
)

// TestIsOwnOutput: every default name of an output, derived by the
// functions that name them, is ours; exports are not.
func TestIsOwnOutput(t *testing.T) {
	report := DefaultReport("users.csv")
	ours := []string{
		report, DefaultJournal(report),
		RetryPath(report, FormatCSV), RetryPath(report, FormatJSON), RetryPath(report, FormatNDJSON),
		DefaultVerifyReport(report), DefaultUndoReport(report), DefaultUndoJournal(report),
		DefaultUndoDryRunReport(report), DefaultRolesJournal(report), DefaultIDMap(report), DefaultNoPassword(report),
		LockPath(DefaultJournal(report)),
		"users.request.json", "users.mapping.yaml", "Users.Mapping.YML",
		filepath.Join("some", "dir", "users.report.csv"), ".users.report.csv.123456.tmp",
	}
	for _, name := range ours {
		if !IsOwnOutput(name) {
			t.Errorf("IsOwnOutput(%q) = false", name)
		}
	}
	for _, name := range []string{"users.csv", "users.json", "users.ndjson", "export.tsv", "reports.csv",
		"report.csv", "mapping.yaml", "auth0-passwords.json", "journal", "users.report.csv.bak", ".bashrc"} {
		if IsOwnOutput(name) {
			t.Errorf("IsOwnOutput(%q) = true", name)
		}
	}
}
