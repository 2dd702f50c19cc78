package importer

import (
	"path/filepath"
	"strings"
)

// ownOutputSuffixes end the names of the files this program writes under
// their default names: the report (INPUT-NAME.report.csv), its journal,
// the retry file, the request document, the mapping, verify's and undo's
// reports and journals.
var ownOutputSuffixes = []string{
	".report.csv", ".journal",
	".retry.csv", ".retry.json", ".retry.ndjson",
	".request.json",
	".mapping.yaml", ".mapping.yml",
	".verify.csv", ".undo.csv",
}

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
