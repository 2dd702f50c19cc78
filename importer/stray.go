package importer

import (
	"encoding/csv"
	"fmt"
	"strings"
)

// A quote that opens a CSV field and is never closed where it should be
// (a note that starts with ", a name like "Bob) makes every following
// line part of that field until the next quote that can close it: the
// records on those lines are read as text of one field, not as users,
// and without a word, since the file stays well-formed. strayQuotes
// watches the fields that span lines for that: a field whose lines split
// like records of their own, or a file whose records are far fewer than
// its lines, is said (Source.Warnings) at the line where the quote opened,
// with the count of records it hides.

// maxStrayNamed is how many such fields are named one by one.
const maxStrayNamed = 5

type strayQuotes struct {
	delim  rune
	fields []strayField // the first maxStrayNamed suspect fields
	more   int          // suspect fields beyond those
	hidden int          // records hidden in suspect fields, all told
	// The field that spans the most lines, for the count of lines.
	longest  strayField
	lastLine int // the last line of the last record read
}

type strayField struct {
	line, col  int // where the field (its opening quote) starts
	endLine    int
	column     string
	hidden     int // lines that look like records of their own
	lineCount  int
	recordLine int // the line of the record that holds it
}

// check looks at the fields of one record; pos gives a field's line and
// column.
func (q *strayQuotes) check(rec []string, columns []string, lineOffset, lastLine int, pos func(int) (int, int)) {
	q.lastLine = lastLine + lineOffset
	for i, f := range rec {
		if !strings.Contains(f, "\n") {
			continue
		}
		line, col := pos(i)
		lines := strings.Split(f, "\n")
		sf := strayField{line: line + lineOffset, col: col, endLine: line + lineOffset + len(lines) - 1, lineCount: len(lines)}
		if i < len(columns) {
			sf.column = columns[i]
		}
		if sf.lineCount > q.longest.lineCount {
			q.longest = sf
		}
		sf.hidden = q.recordLines(lines[1:], len(columns))
		if sf.hidden == 0 {
			continue
		}
		q.hidden += sf.hidden
		if len(q.fields) < maxStrayNamed {
			q.fields = append(q.fields, sf)
		} else {
			q.more++
		}
	}
}

// recordLines counts the lines (after the first line of a field) that
// look like records of a file of ncols columns: as many fields as the
// header, or for the last line (the start of the record whose field the
// quote closed) at least two fields ending with a delimiter.
func (q *strayQuotes) recordLines(lines []string, ncols int) int {
	if ncols < 2 {
		return 0
	}
	n := 0
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		k, fields := csvFields(l, q.delim)
		if ncols < 3 && !hasEmailLike(fields) {
			// Two columns: a line of text with one comma is no record
			// unless it holds an address.
			continue
		}
		last := i == len(lines)-1
		switch {
		case k == ncols:
			n++
		case last && k >= 2 && k < ncols && strings.HasSuffix(l, string(q.delim)):
			n++
		}
	}
	return n
}

// csvFields splits line into fields (quotes taken lazily) and counts them.
func csvFields(line string, delim rune) (int, []string) {
	r := csv.NewReader(strings.NewReader(line))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = delim, true, -1
	rec, err := r.Read()
	if err != nil {
		rec = strings.Split(line, string(delim))
	}
	return len(rec), rec
}

// hasEmailLike reports whether a field is one word with an @ inside.
func hasEmailLike(fields []string) bool {
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if i := strings.IndexByte(f, '@'); i > 0 && i < len(f)-1 && !strings.ContainsAny(f, " \t") {
			return true
		}
	}
	return false
}

// warnings says what was found in the records read so far; records is
// how many records were read.
func (q *strayQuotes) warnings(s *Source) []string {
	var out []string
	for _, f := range q.fields {
		col := "a"
		if f.column != "" {
			col = fmt.Sprintf("the %q", f.column)
		}
		out = append(out, fmt.Sprintf("%s, line %d: %s field whose quote opens on this line (column %d) runs over %d lines, to line %d, and holds %d %s that look like records of their own: a quote left open has probably hidden %d %s in that field, which %s not read as users; close the quote on line %d and run again",
			s.name, f.line, col, f.col, f.lineCount, f.endLine, f.hidden, plural(f.hidden, "line", "lines"), f.hidden, plural(f.hidden, "record", "records"), plural(f.hidden, "is", "are"), f.line))
	}
	if q.more > 0 {
		out = append(out, fmt.Sprintf("%s: %d more quoted fields hide lines that look like records; %d records in all may be hidden in quoted fields", s.name, q.more, q.hidden))
	}
	// Far fewer records than lines, though no field looks like records,
	// and one field holds a good part of those lines (fields of a few
	// lines each, such as addresses, are how people write them).
	lines := q.lastLine - s.preamble
	if s.header {
		lines--
	}
	if f := q.longest; len(q.fields) == 0 && f.lineCount >= 10 && 4*f.lineCount >= lines && s.num > 0 && lines >= 3*s.num {
		f := q.longest
		out = append(out, fmt.Sprintf("%s: %d records were read from %d lines: quoted fields span lines, the longest from line %d (column %d) to line %d (%d lines); if its quote is left open, the records on those lines are hidden in it: check line %d",
			s.name, s.num, lines, f.line, f.col, f.endLine, f.lineCount, f.line))
	}
	return out
}

// HiddenRecords is how many lines of the records read so far sit inside
// quoted fields and look like records of their own (see Warnings).
func (s *Source) HiddenRecords() int {
	if s.csvCheck == nil {
		return 0
	}
	return s.csvCheck.hidden
}
