package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocarina/gocsv"
)

// ReportRow is one line of the per-record report.
type ReportRow struct {
	Row        int     `csv:"row"`
	Identifier string  `csv:"identifier"`
	Outcome    Outcome `csv:"outcome"`
	UserID     string  `csv:"user_id"`
	Reason     string  `csv:"reason"`

	// Unsent says why a failed line is not the record's outcome yet (a
	// resume sends or reads it again); Resumed marks a line whose outcome
	// came from the journal. Neither is written to the report.
	Unsent  Unsent `csv:"-"`
	Resumed bool   `csv:"-"`
}

// ReportWriter writes the report CSV: row,identifier,outcome,user_id,reason.
// It is created with mode 0600 because it sits next to password hashes and
// names every user.
type ReportWriter struct {
	f     *os.File
	bw    *bufio.Writer
	csvw  *gocsv.SafeCSVWriter
	batch []ReportRow
	err   error
}

// CreatePrivate creates (or truncates) a file readable by its owner only,
// also when it existed before with wider permissions.
func CreatePrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// NewReportWriter creates the report file at path and writes its header.
func NewReportWriter(path string) (*ReportWriter, error) {
	f, err := CreatePrivate(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	w := &ReportWriter{f: f, bw: bw, csvw: gocsv.NewSafeCSVWriter(csv.NewWriter(bw))}
	if err := gocsv.MarshalCSV([]ReportRow{}, w.csvw); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Write queues one row; rows are encoded in batches.
func (w *ReportWriter) Write(r ReportRow) error {
	if w.err != nil {
		return w.err
	}
	w.batch = append(w.batch, r)
	if len(w.batch) >= 1024 {
		return w.flush()
	}
	return nil
}

func (w *ReportWriter) flush() error {
	if len(w.batch) == 0 || w.err != nil {
		return w.err
	}
	w.err = gocsv.MarshalCSVWithoutHeaders(w.batch, w.csvw)
	w.batch = w.batch[:0]
	return w.err
}

// Close flushes, syncs and closes the file.
func (w *ReportWriter) Close() error {
	err := w.flush()
	if err == nil {
		w.csvw.Flush()
		err = w.csvw.Error()
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadReport reads a report file back (for tests and resume).
func ReadReport(path string) ([]ReportRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []ReportRow
	if err := gocsv.UnmarshalFile(f, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// RetryWriter writes the rejected records in the input's own format (CSV
// with the same header and delimiter; JSON records as NDJSON), so they can
// be fixed and replayed. It is created lazily, with mode 0600, when the
// first record arrives.
type RetryWriter struct {
	path    string
	format  Format
	delim   rune
	columns []string
	header  bool

	f    *os.File
	bw   *bufio.Writer
	csvw *csv.Writer
	n    int
}

// NewRetryWriter prepares a retry file for records of src.
func NewRetryWriter(path string, src *Source) *RetryWriter {
	return &RetryWriter{path: path, format: src.Format(), delim: src.Delimiter(), columns: src.Columns(), header: src.HasHeader()}
}

// RetryPath derives the retry file's name from the report's and the input's:
// users.report.csv + users.json → users.retry.ndjson.
func RetryPath(reportPath string, f Format) string {
	base := strings.TrimSuffix(reportPath, filepath.Ext(reportPath))
	base = strings.TrimSuffix(base, ".report")
	ext := ".csv"
	if f == FormatJSON || f == FormatNDJSON {
		ext = ".ndjson"
	}
	return base + ".retry" + ext
}

// Path is where the retry file is (or would be) written.
func (w *RetryWriter) Path() string { return w.path }

// Count is how many records were written.
func (w *RetryWriter) Count() int { return w.n }

// Write adds one input row.
func (w *RetryWriter) Write(row *Row) error {
	if w.f == nil {
		f, err := CreatePrivate(w.path)
		if err != nil {
			return err
		}
		w.f, w.bw = f, bufio.NewWriter(f)
		if w.format == FormatCSV {
			w.csvw = csv.NewWriter(w.bw)
			w.csvw.Comma = w.delim
			if w.header {
				if err := w.csvw.Write(w.columns); err != nil {
					return err
				}
			}
		}
	}
	w.n++
	if w.csvw != nil {
		return w.csvw.Write(row.Fields)
	}
	// A record from a pretty-printed JSON document spans lines: compact it
	// so that the retry file is NDJSON.
	raw := row.Raw
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err == nil {
			raw = b.Bytes()
		} else {
			raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r"), nil), []byte("\n"), []byte(" "))
		}
	}
	if _, err := w.bw.Write(raw); err != nil {
		return err
	}
	return w.bw.WriteByte('\n')
}

// Close flushes the file; when no record was written, a stale retry file
// from an earlier run is removed.
func (w *RetryWriter) Close() error {
	if w.f == nil {
		if err := os.Remove(w.path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	if w.csvw != nil {
		w.csvw.Flush()
		if err := w.csvw.Error(); err != nil {
			w.f.Close()
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		w.f.Close()
		return err
	}
	return w.f.Close()
}

// JSONRecordsWriter streams records as one import request document.
type JSONRecordsWriter struct {
	f   *os.File
	bw  *bufio.Writer
	n   int
	buf []byte
}

// NewJSONRecordsWriter creates the --emit-json file (mode 0600: it holds
// password hashes) and writes the request's opening.
func NewJSONRecordsWriter(path string, id Identifier, upsert bool) (*JSONRecordsWriter, error) {
	f, err := CreatePrivate(path)
	if err != nil {
		return nil, err
	}
	w := &JSONRecordsWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10)}
	fmt.Fprintf(w.bw, "{\n  \"identifier\": %q,\n  \"upsert\": %t,\n  \"records\": [", id, upsert)
	return w, nil
}

// Write appends one record.
func (w *JSONRecordsWriter) Write(r *Record) error {
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
	_, err = w.bw.Write(w.buf)
	return err
}

// Close ends the document and closes the file.
func (w *JSONRecordsWriter) Close() error {
	if w.n > 0 {
		w.bw.WriteString("\n  ")
	}
	w.bw.WriteString("]\n}\n")
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

var _ io.Closer = (*ReportWriter)(nil)
