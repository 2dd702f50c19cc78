package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// FirstImported reads a report up to its first line whose user was
// inserted or updated, and returns it (ok false when no line is). Unlike
// ReadReport it holds one line at a time, so that a report of millions of
// lines costs nothing: front ends suggest its identifier as the login ID
// of a sign-in check (issue 16). Cells come back as ReadReport gives them.
func FirstImported(path string) (row ReportRow, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return ReportRow{}, false, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return ReportRow{}, false, nil
		}
		return ReportRow{}, false, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"row", "identifier", "outcome"} {
		if _, ok := col[need]; !ok {
			return ReportRow{}, false, fmt.Errorf("%s: not a report (no %s column)", path, need)
		}
	}
	cell := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return unquoteCell(rec[i])
		}
		return ""
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ReportRow{}, false, nil
		}
		if err != nil {
			return ReportRow{}, false, fmt.Errorf("%s: %w", path, err)
		}
		switch o := Outcome(cell(rec, "outcome")); o {
		case OutcomeInserted, OutcomeUpdated:
			n, _ := strconv.Atoi(cell(rec, "row"))
			return ReportRow{Row: n, Identifier: cell(rec, "identifier"), Outcome: o,
				UserID: cell(rec, "user_id"), Reason: cell(rec, "reason")}, true, nil
		}
	}
}
