package importer

import (
	"path/filepath"
	"strings"
)

// ownOutputSuffixes end the names of the files this program writes under
// their default names (names.go decides them: they are read off here, not
// written twice): the report, its journal and lock, the retry files, the
// request document, the mapping, verify's and undo's reports and journals,
// the roles journal, the id map and the list of users without a password.
var ownOutputSuffixes = func() []string {
	const stem = "x"
	input := stem + ".csv"
	report := DefaultReport(input)
	names := []string{report, DefaultJournal(report), LockPath(DefaultJournal(report)),
		RetryPath(report, FormatCSV), RetryPath(report, FormatJSON), RetryPath(report, FormatNDJSON),
		DefaultRequestDocument(input), DefaultMapping(input), stem + ".mapping.yml",
		DefaultVerifyReport(report), DefaultUndoReport(report), DefaultUndoDryRunReport(report),
		DefaultUndoJournal(report), DefaultRolesJournal(report), DefaultIDMap(report), DefaultNoPassword(report),
		DefaultNotifyJournal(report)}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.TrimPrefix(n, stem))
	}
	return out
}()

// IsOwnOutput reports whether the file name (a path or a base name) is
// one of this program's outputs under its default name, or a temporary
// file of one being written: never an export to load (the wizard does
// not offer them). The retry file is an input once fixed, but it is
// named, not offered.
func IsOwnOutput(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	if strings.HasPrefix(base, ".") && strings.HasSuffix(base, ".tmp") {
		return true // an AtomicFile being written
	}
	for _, s := range ownOutputSuffixes {
		if strings.HasSuffix(base, s) && len(base) > len(s) {
			return true
		}
	}
	return false
}
