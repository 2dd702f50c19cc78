package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gocarina/gocsv"
)

// The files around a run are written through CreateAtomic: to a temporary
// file (mode 0600) in the destination's folder, renamed into place by
// Close. Abort drops the temporary file and leaves the destination as it
// was, for a run that fails before it produced anything meaningful. Abort
// after Close does nothing, so a caller may defer Abort and Close on
// success.

// ReportRow is one line of the per-record report.
type ReportRow struct {
	Row        int     `csv:"row"`
	Identifier string  `csv:"identifier"`
	Outcome    Outcome `csv:"outcome"`
	UserID     string  `csv:"user_id"`
	Reason     string  `csv:"reason"`
	// SourceID is the record's id in the old system (the mapping's
	// source.id): on every line whatever the outcome, "" when the mapping
	// names none. Reports written before it have no such column, and
	// read back with it empty.
	SourceID string `csv:"source_id"`

	// Unsent says why a failed line is not the record's outcome yet (a
	// resume sends or reads it again); Resumed marks a line whose outcome
	// came from the journal. Neither is written to the report.
	Unsent  Unsent `csv:"-"`
	Resumed bool   `csv:"-"`
}

// reportHeader names the report's columns, in order. source_id comes
// last, so that the columns of reports written before it keep their
// places (eachReportID reads user_id by position).
const reportHeader = "row,identifier,outcome,user_id,reason,source_id"

// reportHeaderNoSourceID is the header of reports written before the
// source_id column: they are still recognised and read.
const reportHeaderNoSourceID = "row,identifier,outcome,user_id,reason"

// ReportWriter writes the report CSV: row,identifier,outcome,user_id,reason,source_id.
//
// The report is opened in spreadsheets and read on terminals, and its
// identifiers come from the export and its user ids and reasons from the
// server: every text cell is neutralised (see reportCell) so that no cell
// is taken for a formula and no control character reaches a terminal.
// Every record is one line.
type ReportWriter struct {
	f   *AtomicFile
	bw  *bufio.Writer
	buf []byte
	err error
}

// NewReportWriter starts the report at path and writes its header. The
// file at path is untouched until Close.
func NewReportWriter(path string) (*ReportWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	w := &ReportWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10)}
	w.bw.WriteString(reportHeader + "\n")
	return w, nil
}

// Path is where the report is written.
func (w *ReportWriter) Path() string { return w.f.Path() }

// Write adds one row.
func (w *ReportWriter) Write(r ReportRow) error {
	if w.err != nil {
		return w.err
	}
	b := strconv.AppendInt(w.buf[:0], int64(r.Row), 10)
	for _, s := range [...]string{r.Identifier, string(r.Outcome), r.UserID, r.Reason, r.SourceID} {
		b = append(b, ',')
		b = appendCSVField(b, reportCell(s))
	}
	b = append(b, '\n')
	w.buf = b
	_, w.err = w.bw.Write(b)
	return w.err
}

// Close completes the report and renames it into place. After an error
// the destination is left as it was.
func (w *ReportWriter) Close() error { return w.f.Finish(w.err, w.bw.Flush) }

// Abort drops the report being written and leaves the file at its path
// as it was.
func (w *ReportWriter) Abort() { w.f.Abort() }

// reportCell neutralises one text cell of the report.
//
// First, control characters, bidi controls and invalid UTF-8 are written
// as escapes (Printable): a cell is one line, the CSV stays valid for any
// reader, and `cat report.csv` cannot drive the terminal. This loses
// nothing that matters (such text is no valid identifier, id or reason)
// but is not undone by ReadReport.
//
// Then formulas. OWASP (https://owasp.org/www-community/attacks/CSV_Injection)
// says no cell may begin with = + - @ tab CR or LF, and recommends a
// leading single quote, which spreadsheets take as "this is text". A cell
// gets one when its first character is one of those, also when it follows
// leading white space (some spreadsheets trim cells on import), and when
// it is a full-width ＝ ＋ － ＠ (U+FF1D, U+FF0B, U+FF0D, U+FF20) that an
// input method may turn into a formula. A number such as "-5" or a phone
// number "+14155550100" is quoted too: simple, and a spreadsheet no longer
// drops the plus sign. A cell that already starts with a quote gets
// another one, so that ReadReport can drop exactly one leading quote and
// give the cell back as it was. A cell with a separator (, ; |) or a
// double quote is enclosed in double quotes (appendCSVField), so that no
// separator starts a cell inside it, whatever separator the spreadsheet
// guesses: encoding/csv (and gocsv over it) quotes only for the comma, so
// the writer is our own; the report is read back with gocsv.
//
// The retry file is written raw: it is an input to fix and import again.
func reportCell(s string) string {
	s = Printable(s)
	if len(s) > 0 && (s[0] == '\'' || startsFormula(s)) {
		return "'" + s
	}
	return s
}

// startsFormula reports whether s, after any leading white space, starts
// with a character that makes a spreadsheet read a formula.
func startsFormula(s string) bool {
	for _, r := range s {
		switch r {
		case '=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠':
			return true
		}
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return false
}

// unquoteCell undoes reportCell's leading quote.
func unquoteCell(s string) string { return strings.TrimPrefix(s, "'") }

// appendCSVField appends s as one CSV field, enclosed in double quotes
// when it holds a separator, a quote or a line break, or white space at
// an end.
func appendCSVField(b []byte, s string) []byte {
	quote := strings.ContainsAny(s, ",;|\"\r\n")
	if !quote && s != "" {
		first, _ := utf8.DecodeRuneInString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		quote = unicode.IsSpace(first) || unicode.IsSpace(last)
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// ReadReport reads a report file back. Cells come back as they were
// written, with reportCell's leading quote removed: an identifier
// "+14155550100" or "=HYPERLINK(...)" reads back as it is; a control
// character reads back as its escape.
func ReadReport(path string) ([]ReportRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []ReportRow
	if err := gocsv.UnmarshalFile(f, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range rows {
		r := &rows[i]
		r.Identifier, r.UserID, r.Reason = unquoteCell(r.Identifier), unquoteCell(r.UserID), unquoteCell(r.Reason)
		r.Outcome = Outcome(unquoteCell(string(r.Outcome)))
		r.SourceID = unquoteCell(r.SourceID)
	}
	return rows, nil
}

// RetryWriter writes the rejected records in the input's own format, raw,
// so that they can be fixed and replayed with the same mapping:
//
//   - CSV: the same delimiter, the header when the input had one;
//   - NDJSON: one record per line, as read;
//   - JSON: a JSON array with one record per line (compacted when it
//     spanned lines), inside {"<key>": [...]} when SetRecordsKey names the
//     mapping's source.records_key. A plain array is read back by a
//     mapping without records_key as the wrapped export was (the first
//     array of records); the wrapper keeps the file the same shape as the
//     export for a mapping that names its key.
//
// The file is created when the first record arrives and renamed into
// place by Close.
type RetryWriter struct {
	path       string
	format     Format
	delim      rune
	columns    []string
	header     bool
	recordsKey string

	f    *AtomicFile
	bw   *bufio.Writer
	csvw *csv.Writer
	n    int
	err  error
}

// NewRetryWriter prepares a retry file for records of src.
func NewRetryWriter(path string, src *Source) *RetryWriter {
	return &RetryWriter{path: path, format: src.Format(), delim: src.Delimiter(), columns: src.Columns(), header: src.HasHeader()}
}

// SetRecordsKey makes a JSON retry file the document {"key": [...]},
// for a mapping whose source.records_key is key. It is called before the
// first Write; an empty key writes a plain array.
func (w *RetryWriter) SetRecordsKey(key string) { w.recordsKey = key }

// Path is where the retry file is (or would be) written.
func (w *RetryWriter) Path() string { return w.path }

// Count is how many records were written.
func (w *RetryWriter) Count() int { return w.n }

// Write adds one input row.
func (w *RetryWriter) Write(row *Row) error {
	if w.err != nil {
		return w.err
	}
	if w.format != FormatCSV && row.Raw == nil {
		// An NDJSON line over the record size limit was never kept: it
		// cannot be imported as it is, and its report line says why.
		return nil
	}
	w.err = w.write(row)
	return w.err
}

func (w *RetryWriter) write(row *Row) error {
	first := w.f == nil
	if first {
		f, err := CreateAtomic(w.path)
		if err != nil {
			return err
		}
		w.f, w.bw = f, bufio.NewWriterSize(f, 64<<10)
		switch w.format {
		case FormatCSV:
			w.csvw = csv.NewWriter(w.bw)
			w.csvw.Comma = w.delim
			if w.header {
				if err := w.csvw.Write(w.columns); err != nil {
					return err
				}
			}
		case FormatJSON:
			if w.recordsKey != "" {
				k, _ := json.Marshal(w.recordsKey)
				fmt.Fprintf(w.bw, "{%s: [\n", k)
			} else {
				w.bw.WriteString("[\n")
			}
		}
	}
	w.n++
	if w.csvw != nil {
		if len(row.Fields) == 0 || len(row.Fields) == 1 && row.Fields[0] == "" {
			// The CSV writer gives an empty line, which every reader
			// skips: the record would be lost.
			w.csvw.Flush()
			if err := w.csvw.Error(); err != nil {
				return err
			}
			_, err := w.bw.WriteString("\"\"\n")
			return err
		}
		return w.csvw.Write(row.Fields)
	}
	raw := row.Raw
	if len(raw) == 0 {
		raw = []byte("null")
	}
	if w.format == FormatJSON {
		if !json.Valid(raw) {
			// Never from a JSON document (its reader only gives whole
			// values), but one bad record must not break the array:
			// it goes in as a string, and is refused on replay.
			raw, _ = json.Marshal(string(raw))
		}
		if !first {
			w.bw.WriteString(",\n")
		}
	}
	// A record from a pretty-printed JSON document spans lines: compact it
	// so that it is one line.
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err == nil {
			raw = b.Bytes()
		} else {
			raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r"), nil), []byte("\n"), []byte(" "))
		}
	}
	_, err := w.bw.Write(raw)
	if err == nil && w.format != FormatJSON {
		err = w.bw.WriteByte('\n')
	}
	return err
}

// Close completes the retry file and renames it into place. When no record
// was written, a retry file of an earlier run is removed, so that it is
// not taken for this run's; anything but a regular file there (a link) is
// left alone and refused.
func (w *RetryWriter) Close() error {
	if w.f == nil && w.err != nil {
		return w.err
	}
	if w.f == nil {
		if err := refuseNonRegular(w.path); err != nil {
			return fmt.Errorf("the retry file of an earlier run was not removed: %w", err)
		}
		if err := os.Remove(w.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	err := w.err
	if err == nil && w.csvw != nil {
		w.csvw.Flush()
		err = w.csvw.Error()
	}
	if err == nil && w.format == FormatJSON {
		if w.recordsKey != "" {
			w.bw.WriteString("\n]}\n")
		} else {
			w.bw.WriteString("\n]\n")
		}
	}
	return w.f.Finish(err, w.bw.Flush)
}

// Abort drops the retry file being written and leaves the file at its
// path, and any earlier run's, as it was.
func (w *RetryWriter) Abort() {
	if w.f != nil {
		w.f.Abort()
	}
}

// JSONRecordsWriter streams records as one import request document.
type JSONRecordsWriter struct {
	f   *AtomicFile
	bw  *bufio.Writer
	n   int
	buf []byte
	err error
}

// NewJSONRecordsWriter starts the --emit-json file (mode 0600: it holds
// password hashes) and writes the request's opening. The file at path is
// untouched until Close.
func NewJSONRecordsWriter(path string, id Identifier, upsert bool) (*JSONRecordsWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	w := &JSONRecordsWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10)}
	fmt.Fprintf(w.bw, "{\n  \"identifier\": %q,\n  \"upsert\": %t,\n  \"records\": [", id, upsert)
	return w, nil
}

// Write appends one record.
func (w *JSONRecordsWriter) Write(r *Record) error {
	if w.err != nil {
		return w.err
	}
	var err error
	w.buf, err = r.AppendJSON(w.buf[:0])
	if err != nil {
		return err
	}
	if w.n > 0 {
		w.bw.WriteByte(',')
	}
	w.bw.WriteString("\n    ")
	w.n++
	_, w.err = w.bw.Write(w.buf)
	return w.err
}

// Close ends the document and renames it into place. After an error the
// destination is left as it was.
func (w *JSONRecordsWriter) Close() error {
	if w.n > 0 {
		w.bw.WriteString("\n  ")
	}
	w.bw.WriteString("]\n}\n")
	err := w.err
	return w.f.Finish(err, w.bw.Flush)
}

// Abort drops the document being written and leaves the file at its path
// as it was.
func (w *JSONRecordsWriter) Abort() { w.f.Abort() }

var (
	_ io.Closer = (*ReportWriter)(nil)
	_ io.Closer = (*RetryWriter)(nil)
	_ io.Closer = (*JSONRecordsWriter)(nil)
)
