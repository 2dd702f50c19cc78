package importer

import (
	"path/filepath"
	"strconv"
	"strings"
)

// The default names of every file a run, verify and undo write, decided
// here once: the CLI and the wizard both call these. Every name derives
// from the input's (INPUT-NAME, without its folder or extension: the
// files go to the current folder) or from the report's (REPORT, the
// report's path without ".csv"), so that the files of one migration sit
// side by side:
//
//	INPUT-NAME.mapping.yaml   the mapping (map, the wizard)
//	INPUT-NAME.request.json   the request document of a dry run (the wizard)
//	INPUT-NAME.report.csv     the report of a run
//	INPUT-NAME.report.journal the journal of a live run (DefaultJournal)
//	INPUT-NAME.retry.EXT      the rejected records, in the input's format
//	REPORT.verify.csv         verify's report
//	REPORT.undo.csv           undo's report, and REPORT.undo.journal
//	REPORT.ids.csv            the id map: source_id,user_id,identifier
//	REPORT.no-password.csv    the users left without a password

// inputStem is the input's name without its folder and extension.
func inputStem(input string) string {
	base := filepath.Base(input)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}

// reportStem is the report's path without ".csv".
func reportStem(report string) string { return strings.TrimSuffix(report, ".csv") }

// DefaultMapping is the mapping's default name: INPUT-NAME.mapping.yaml
// in the current folder.
func DefaultMapping(input string) string { return inputStem(input) + ".mapping.yaml" }

// DefaultRequestDocument is the default name of the records as the import
// API receives them (a dry run's request document): INPUT-NAME.request.json.
func DefaultRequestDocument(input string) string { return inputStem(input) + ".request.json" }

// DefaultReport is the report's default name: INPUT-NAME.report.csv in
// the current folder.
func DefaultReport(input string) string { return inputStem(input) + ".report.csv" }

// DefaultJournal is the journal's default name, next to the report.
func DefaultJournal(report string) string {
	return strings.TrimSuffix(report, filepath.Ext(report)) + ".journal"
}

// RetryPath derives the retry file's name from the report's and the input's
// format: users.report.csv + JSON → users.retry.json.
func RetryPath(reportPath string, f Format) string {
	base := strings.TrimSuffix(reportPath, filepath.Ext(reportPath))
	base = strings.TrimSuffix(base, ".report")
	ext := ".csv"
	switch f {
	case FormatJSON:
		ext = ".json"
	case FormatNDJSON:
		ext = ".ndjson"
	}
	return base + ".retry" + ext
}

// DefaultVerifyReport names the verify report after the import report.
func DefaultVerifyReport(report string) string { return reportStem(report) + ".verify.csv" }

// DefaultUndoReport names undo's report after the import's.
func DefaultUndoReport(report string) string { return reportStem(report) + ".undo.csv" }

// DefaultUndoJournal names undo's journal after the import's report.
func DefaultUndoJournal(report string) string { return reportStem(report) + ".undo.journal" }

// DefaultIDMap names the id map after the import report: the old system's
// id of each imported user beside Authgear's.
func DefaultIDMap(report string) string { return reportStem(report) + ".ids.csv" }

// DefaultNoPassword names the list of users an import left without a
// password after the import report.
func DefaultNoPassword(report string) string { return reportStem(report) + ".no-password.csv" }

// NextReport names a new report beside report for a new import, when
// report (or its journal) holds the record of another: users.report.csv →
// users-2.report.csv, users-3.report.csv, ..., the first whose report and
// journal do not exist.
func NextReport(report string) string {
	dir, base := filepath.Split(report)
	stem, ext := base, ""
	if s, ok := strings.CutSuffix(base, ".report.csv"); ok {
		stem, ext = s, ".report.csv"
	} else if e := filepath.Ext(base); e != "" {
		stem, ext = strings.TrimSuffix(base, e), e
	}
	for i := 2; ; i++ {
		p := dir + stem + "-" + strconv.Itoa(i) + ext
		if !fileExists(p) && !fileExists(DefaultJournal(p)) {
			return p
		}
	}
}

// DefaultUndoDryRunReport names the report of undo's dry run: never the
// report of the undo that deleted users.
func DefaultUndoDryRunReport(report string) string {
	return reportStem(report) + ".undo-dry-run.csv"
}
