package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Format is the layout of an export file.
type Format string

// The formats Open understands. FormatAuto detects the format from the file
// name and its first bytes.
const (
	FormatAuto   Format = ""
	FormatCSV    Format = "csv"
	FormatJSON   Format = "json"
	FormatNDJSON Format = "ndjson"
)

// Errors wrapped by ParseError and by row errors.
var (
	// ErrFieldCount means a CSV row has a different number of fields than the header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrNotObject means a JSON record is not an object.
	ErrNotObject = errors.New("record is not a JSON object")
	// ErrNoRecords means a JSON document holds no array of records.
	ErrNoRecords = errors.New("no array of records found")
	// ErrRecordTooLarge means one record holds more than MaxRecordBytes.
	ErrRecordTooLarge = errors.New("record too large")
	// ErrTooManyColumns means a CSV header (or first row) has more than
	// MaxColumns fields.
	ErrTooManyColumns = errors.New("too many columns")
	// ErrTrailingData means a JSON document is followed by more than
	// white space.
	ErrTrailingData = errors.New("invalid JSON: more data after the end of the document")
)

// Limits on the shape of an input, so that a hostile or broken file (a
// quote left open, a single 600 MB field, a header of a million columns)
// cannot take the memory or the time of a run: the reader never holds
// more than about MaxRecordBytes of one record.
const (
	// MaxRecordBytes is the most input one record may take (its bytes in
	// the file, delimiters and quotes included). The import API refuses
	// request bodies over 500,000 bytes, so no record anywhere near this
	// size can be imported: 1 MiB leaves room for quoting and escapes.
	MaxRecordBytes = 1 << 20
	// MaxColumns is the most columns a CSV header may name, and the most
	// paths listed for the records of a JSON export.
	MaxColumns = 10000
	// maxSampleBytes bounds the records read ahead for Sample, whatever
	// SampleSize says.
	maxSampleBytes = 32 << 20
	// readAheadSlack is what the CSV and JSON decoders may have buffered
	// beyond the end of a record when the next one starts (encoding/csv
	// reads in 4 KB steps; the margin is generous).
	readAheadSlack = 64 << 10
)

// tooLarge is the reason given for a record over MaxRecordBytes.
func tooLarge(what string) error {
	return fmt.Errorf("%w: %s is over 1 MiB (%d bytes), the most one record may hold (the import API takes at most 500,000 bytes per request); a quote or bracket left open can cause this", ErrRecordTooLarge, what, MaxRecordBytes)
}

// ParseError is a problem at a position of an input file. Line and Column
// are 1-based; Column counts bytes, like encoding/csv.
type ParseError struct {
	File   string
	Line   int
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// SourceOptions says how to read an export. The zero value detects everything.
type SourceOptions struct {
	// Format forces a format; FormatAuto detects it.
	Format Format
	// Delimiter forces the CSV delimiter; 0 detects one of , ; tab |.
	Delimiter rune
	// NoHeader reads a CSV whose first row is data. Columns then names the
	// columns (column1, column2, ... when nil).
	NoHeader bool
	Columns  []string
	// LazyQuotes accepts bare quotes inside unquoted CSV fields.
	LazyQuotes bool
	// RecordsKey names the key of a JSON object that holds the records
	// array ({"users": [...]}); empty lets the loader choose the array
	// that holds users (jsonlayout.go). A reader that is not an
	// io.ReadSeeker cannot be read twice: it gets the first array of
	// objects, and a single document.
	RecordsKey string
	// SampleSize is how many records are read ahead for Sample and for
	// the column list of JSON sources (default 200).
	SampleSize int

	// ndjsonByName: Format is NDJSON from the file's name alone, and a
	// file whose documents span lines is read as JSON.
	ndjsonByName bool
}

// Row is one input record. Exactly one of Fields (CSV) and Object (JSON) is set,
// unless Err says the row could not be read at all.
type Row struct {
	// Num is the 1-based record number in the input (the report's row).
	Num int
	// Line is the 1-based line where the record starts.
	Line int
	// Fields are the CSV cells in header order.
	Fields []string
	// Object is the decoded JSON record; numbers are json.Number.
	Object map[string]any
	// Raw is a JSON record's own bytes, kept for the retry file.
	Raw []byte
	// Extra holds values joined from other files (such as a password
	// export), addressed by paths that start with their key.
	Extra map[string]any
	// Err is a problem with this row alone (a ragged CSV row, a broken
	// NDJSON line): the row is reported invalid and the load goes on.
	Err error

	jsonCells []jsonCell // CSV cells decoded as JSON by paths, see jsonCell
}

// Source streams the records of an export. It is not safe for concurrent use.
type Source struct {
	ctx     context.Context
	name    string
	format  Format
	delim   rune
	columns []string
	header  bool
	// preamble counts the lines skipped before the CSV header (comments,
	// blank lines).
	preamble int
	closer   io.Closer
	// capped says the JSON column list stopped at MaxColumns.
	capped bool
	// recordsKey is the key of the JSON array read (given or chosen);
	// recordsKeyChosen says it was chosen among several arrays (or
	// occurrences) by the loader, which the mapping should then say.
	recordsKey       string
	recordsKeyChosen bool
	recordsKeyGiven  bool // SourceOptions.RecordsKey named it
	// warnings are what the person should know about how the file was
	// read (see Warnings).
	warnings []string
	// csvCheck follows the CSV fields that span lines (see stray.go).
	csvCheck *strayQuotes

	sample []*Row
	pos    int // next index into sample
	joins  []join
	next   func() (*Row, error)
	num    int
	done   bool
	err    error
}

// Open opens an export file for streaming.
func Open(path string, o SourceOptions) (*Source, error) {
	return OpenContext(context.Background(), path, o)
}

// OpenContext is Open bound to ctx: see NewSourceContext.
func OpenContext(ctx context.Context, path string, o SourceOptions) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if o.Format == FormatAuto {
		o.Format = formatFromName(path)
		o.ndjsonByName = o.Format == FormatNDJSON
	}
	s, err := NewSourceContext(ctx, f, path, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

func formatFromName(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".psv":
		return FormatCSV
	case ".ndjson", ".jsonl":
		return FormatNDJSON
	}
	return FormatAuto // .json may still be NDJSON; sniff
}

// NewSource reads an export from r; name is used in error messages.
func NewSource(r io.Reader, name string, o SourceOptions) (*Source, error) {
	return NewSourceContext(context.Background(), r, name, o)
}

// NewSourceContext reads an export from r until ctx is cancelled. The
// source keeps ctx: once it is cancelled, reading ahead, Next, and the
// work done over the source's sample (DetectPreset, Suggest,
// SuggestMapping, a preset reading the file again or joining a password
// file) stop and return ctx.Err(). (A context kept in a struct, because
// the presets' Detect and Build take only the source.)
func NewSourceContext(ctx context.Context, r io.Reader, name string, o SourceOptions) (*Source, error) {
	if o.SampleSize <= 0 {
		o.SampleSize = 200
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Where r starts, when it can be read again (see initJSONLayout).
	rs, seekable := r.(io.ReadSeeker)
	var at int64
	if seekable {
		var err error
		if at, err = rs.Seek(0, io.SeekCurrent); err != nil {
			seekable = false
		}
	}
	br := stripBOM(bufio.NewReaderSize(&ctxReader{ctx: ctx, r: r}, 256<<10))
	s := &Source{ctx: ctx, name: name, format: o.Format, recordsKeyGiven: o.RecordsKey != ""}
	head, _ := br.Peek(64 << 10)
	if s.format == FormatAuto {
		s.format = sniffFormat(head)
	} else if o.ndjsonByName && firstByte(head) == '{' && !firstLineIsDocument(head) {
		// Named .ndjson or .jsonl, but its documents span lines.
		s.format = FormatJSON
	}
	var layout *jsonLayout
	if s.format == FormatJSON && firstByte(head) == '{' {
		// Wrapper, single record or stream of documents: a first pass
		// decides, and the file is read again from where it started.
		if seekable {
			keys, next, err := s.scanJSONObject(br)
			if err != nil {
				return nil, err
			}
			l, notes, err := s.chooseJSONLayout(keys, next, o.RecordsKey)
			if err != nil {
				return nil, err
			}
			s.warnings = append(s.warnings, notes...)
			if _, err := rs.Seek(at, io.SeekStart); err != nil {
				return nil, &ParseError{File: name, Err: err}
			}
			br = stripBOM(bufio.NewReaderSize(&ctxReader{ctx: ctx, r: r}, 256<<10))
			layout = &l
		}
	}
	var err error
	switch s.format {
	case FormatCSV:
		err = s.initCSV(br, head, o)
	case FormatJSON:
		if layout != nil {
			err = s.initJSONLayout(br, *layout)
		} else {
			err = s.initJSON(br, o)
		}
	case FormatNDJSON:
		s.initNDJSON(br)
	default:
		err = fmt.Errorf("%s: unknown format %q (use csv, json or ndjson)", name, o.Format)
	}
	if err != nil {
		return nil, err
	}
	// Read the sample ahead.
	sampled := 0
	for len(s.sample) < o.SampleSize && sampled < maxSampleBytes {
		row, err := s.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			s.err = err
			break
		}
		s.sample = append(s.sample, row)
		sampled += rowBytes(row)
	}
	if s.format == FormatJSON || s.format == FormatNDJSON {
		s.columns, s.capped = jsonColumns(s.sample)
	}
	if s.err != nil && len(s.sample) == 0 {
		return nil, s.err
	}
	if s.format == FormatCSV && o.Format == FormatAuto && len(head) < 64<<10 {
		// A document that is one JSON number, string or literal is not a
		// one-column CSV whose header is its value.
		if t := bytes.TrimSpace(head); len(t) > 0 && json.Valid(t) {
			var v any
			if json.Unmarshal(t, &v) == nil {
				return nil, &ParseError{File: name, Line: 1, Err: &NotUserExportError{What: "a single JSON " + jsonType(v)}}
			}
		}
	}
	return s, nil
}

// NotUserExportError says that a file holds something other than user
// records (a JSON number, an array of strings, ...). Open returns it inside
// a *ParseError, which names the file.
type NotUserExportError struct {
	// File, when set, is named in the message.
	File string
	// What the file holds, in words ("a single JSON number").
	What string
}

func (e *NotUserExportError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("the file holds %s, not user records: is it the right file?", e.What)
	}
	return fmt.Sprintf("%s holds %s, not user records: is it the right file?", e.File, e.What)
}

// ErrEmptyExport says that a file holds no records at all (a header and
// nothing after it, or only blank lines).
var ErrEmptyExport = errors.New("no records")

// CheckUserExport refuses a source that cannot be a user export, from
// its sample: no records at all, or JSON records none of which is an
// object. It is for map and the wizard's load step, before a mapping is
// suggested; the errors name the file.
func CheckUserExport(src *Source) error {
	rows := src.Sample()
	if len(rows) == 0 {
		if src.Format() == FormatCSV && src.HasHeader() {
			return fmt.Errorf("%s: %w: the file has a header (%d columns) and no record after it", src.Name(), ErrEmptyExport, len(src.Columns()))
		}
		return fmt.Errorf("%s: %w: the file holds no user record", src.Name(), ErrEmptyExport)
	}
	if src.Format() == FormatCSV {
		return nil
	}
	kinds := map[string]int{}
	for _, r := range rows {
		if r.Object != nil {
			return nil
		}
		if r.Raw != nil {
			var v any
			if json.Unmarshal(r.Raw, &v) == nil {
				kinds[jsonType(v)]++
				continue
			}
		}
		kinds["unreadable record"]++
	}
	var parts []string
	for _, k := range []string{"number", "string", "boolean", "null", "list", "unreadable record"} {
		if n := kinds[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, k, k+"s")))
		}
	}
	what := "JSON values that are not objects"
	if len(parts) > 0 {
		what = strings.Join(parts, ", ") + " (no JSON object among the first records)"
	}
	return &NotUserExportError{File: src.Name(), What: what}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// rowBytes is about how much input a row took.
func rowBytes(r *Row) int {
	n := len(r.Raw)
	for _, f := range r.Fields {
		n += len(f) + 1
	}
	return n
}

// ctxReader fails reads once its context is cancelled, so that a scan of
// a large file stops on the first signal.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// errRecordLimit is what recordLimiter returns; the readers turn it into a
// ParseError that wraps ErrRecordTooLarge.
var errRecordLimit = errors.New("record over the size limit")

// recordLimiter sits under a decoder that buffers a whole field or value
// (encoding/csv, encoding/json) and fails once the bytes read since the
// start of the current record, which the caller sets with begin before
// each record, exceed limit: so a huge field is refused after about limit
// bytes instead of being read whole into memory.
type recordLimiter struct {
	r     io.Reader
	read  int64 // bytes handed to the decoder
	start int64 // offset where the current record starts
	limit int64

	// For CSV, whose reader skips blank lines without holding them, a
	// record is counted from its first byte that is not a line end, so
	// that a long run of empty lines is not an oversize record.
	skipBlank bool
	blankFrom int64 // the bytes read from blankFrom on are all line ends
	skipping  bool  // the current record has not started yet
	pendingCR bool  // skipping, and the last byte read is a '\r'
	endsCR    bool  // the last byte read is a '\r'
}

// begin starts a record at offset start.
func (l *recordLimiter) begin(start int64) {
	l.start = start
	l.skipping = l.skipBlank && l.blankFrom <= start
	l.pendingCR = l.skipping && l.endsCR
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if !l.skipping {
		room := l.start + l.limit - l.read
		if room <= 0 {
			return 0, errRecordLimit
		}
		if int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := l.r.Read(p)
	if l.skipBlank && n > 0 {
		l.scan(p[:n])
	}
	l.read += int64(n)
	return n, err
}

// scan follows line ends in b, the next bytes handed to the decoder: where
// the current record's first byte is, and where the run of line ends at
// the end of what was read starts. A line end is "\n" or "\r\n"; a '\r'
// not followed by '\n' is text (encoding/csv keeps it in the line).
func (l *recordLimiter) scan(b []byte) {
	if l.skipping {
		i := 0
		if l.pendingCR {
			l.pendingCR = false
			if b[0] != '\n' {
				l.start, l.skipping = l.read-1, false
			}
		}
		for l.skipping && i < len(b) {
			switch {
			case b[i] == '\n':
				i++
			case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
				i += 2
			case b[i] == '\r' && i+1 == len(b):
				l.pendingCR = true
				i++
			default:
				l.start, l.skipping = l.read+int64(i), false
			}
		}
	}
	// The run of line ends at the end of b.
	j := len(b)
	l.endsCR = b[j-1] == '\r'
	if b[j-1] == '\r' {
		j--
	}
	for j > 0 && b[j-1] == '\n' {
		j--
		if j > 0 && b[j-1] == '\r' {
			j--
		}
	}
	if j > 0 {
		l.blankFrom = l.read + int64(j)
	}
}

// decodeBOM strips a UTF-8 byte order mark and decodes UTF-16 with a BOM.
func decodeBOM(r io.Reader) io.Reader {
	return transform.NewReader(r, unicode.BOMOverride(transform.Nop))
}

// stripBOM is decodeBOM for the loader's hot path: plain input is read as
// it is, without a decoding layer that would copy it in 4 KB steps.
func stripBOM(br *bufio.Reader) *bufio.Reader {
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		br.Discard(3)
		return br
	case bytes.HasPrefix(head, []byte("\xFE\xFF")), bytes.HasPrefix(head, []byte("\xFF\xFE")):
		return bufio.NewReaderSize(transform.NewReader(br, unicode.BOMOverride(transform.Nop)), 256<<10)
	}
	return br
}

// firstByte is the first byte of head that is not white space (0 if none).
func firstByte(head []byte) byte {
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 {
		return t[0]
	}
	return 0
}

func sniffFormat(head []byte) Format {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return FormatCSV
	}
	switch t[0] {
	case '[':
		return FormatJSON
	case '{':
		// One object per line is NDJSON; a single (possibly multi-line)
		// document, or documents one after another that span lines
		// (mongoexport --pretty), is JSON.
		if linesAreDocuments(t) {
			return FormatNDJSON
		}
		return FormatJSON
	}
	return FormatCSV
}

// firstLineIsDocument reports whether the first line of head that is not
// blank is a JSON value of its own.
func firstLineIsDocument(head []byte) bool {
	line, _, _ := bytes.Cut(bytes.TrimLeft(head, " \t\r\n"), []byte("\n"))
	return json.Valid(bytes.TrimSpace(line))
}

// linesAreDocuments reports whether the first line of t is a JSON value of
// its own, more follows, and none of the next complete lines (up to 20) is
// a member or the end of a pretty-printed object: NDJSON (perhaps with
// broken lines), rather than documents that span lines.
func linesAreDocuments(t []byte) bool {
	line, rest, found := bytes.Cut(t, []byte("\n"))
	if !found || !json.Valid(bytes.TrimSpace(line)) || len(bytes.TrimSpace(rest)) == 0 {
		return false
	}
	for i := 0; i < 20; i++ {
		line, rest, found = bytes.Cut(rest, []byte("\n"))
		if !found {
			break // the last line may be cut short by the read-ahead
		}
		// A member of a pretty-printed object ("key": ...) or its end:
		// not a broken NDJSON line.
		if l := bytes.TrimSpace(line); len(l) > 0 && !json.Valid(l) && (l[0] == '"' || l[0] == '}') {
			return false
		}
	}
	return true
}

// RecordsKey is the key of the array of a JSON export's top-level object
// that the records are read from: the one the mapping names, or the one
// the loader chose ("" when the records are not under a key).
func (s *Source) RecordsKey() string { return s.recordsKey }

// RecordsKeyChosen reports whether the loader chose RecordsKey among
// several arrays of objects (or occurrences of one key) by their content
// and names: a mapping written for the file should then name it.
func (s *Source) RecordsKeyChosen() bool { return s.recordsKeyChosen }

// Warnings are what the person should know about how the file was read:
// the array chosen among several, a key that occurs twice, a quoted field
// that hides records. The list grows as records are read: after the last
// one it covers the whole file, before that the records read so far.
func (s *Source) Warnings() []string {
	out := append([]string(nil), s.warnings...)
	if s.csvCheck != nil {
		out = append(out, s.csvCheck.warnings(s)...)
	}
	return out
}

// Name is the file name given to Open or NewSource.
func (s *Source) Name() string { return s.name }

// Format is the detected or given format.
func (s *Source) Format() Format { return s.format }

// Delimiter is the CSV delimiter in use (0 for JSON).
func (s *Source) Delimiter() rune { return s.delim }

// Columns lists the CSV header, or for JSON the paths of the values seen in
// the sampled records (user_metadata.plan, identities[0].provider, ...),
// at most MaxColumns of them.
func (s *Source) Columns() []string { return s.columns }

// ColumnsCapped reports whether the sampled JSON records hold more paths
// than MaxColumns, of which Columns lists the first.
func (s *Source) ColumnsCapped() bool { return s.capped }

// Context is the context the source was opened with.
func (s *Source) Context() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// Preamble is how many lines before the CSV header were skipped: blank
// lines, lines of only delimiters, and comments ("# Password for ...").
func (s *Source) Preamble() int { return s.preamble }

// HasHeader reports whether the CSV's first row was a header.
func (s *Source) HasHeader() bool { return s.header }

// Sample returns the first records (up to SampleSize) without consuming them.
func (s *Source) Sample() []*Row { return s.sample }

// Next returns the next record, or io.EOF after the last one. A *ParseError
// means the file is broken beyond that point.
func (s *Source) Next() (*Row, error) {
	if s.pos < len(s.sample) {
		s.pos++
		return s.sample[s.pos-1], nil
	}
	if s.err != nil {
		return nil, s.err
	}
	row, err := s.read()
	if err != nil {
		s.err = err
		return nil, err
	}
	s.applyJoins(row)
	return row, nil
}

// join attaches values from another file to each row.
type join struct {
	name   string
	lookup func(*Row) (any, bool)
}

// AddJoin makes lookup's value for each row available to mappings under
// paths that start with name ("passwords.passwordHash"). Rows already read
// ahead into the sample get it too.
func (s *Source) AddJoin(name string, lookup func(*Row) (any, bool)) {
	s.joins = append(s.joins, join{name: name, lookup: lookup})
	for _, r := range s.sample {
		s.applyJoins(r)
	}
}

// Joins lists the names added with AddJoin.
func (s *Source) Joins() []string {
	names := make([]string, len(s.joins))
	for i, j := range s.joins {
		names[i] = j.name
	}
	return names
}

func (s *Source) applyJoins(row *Row) {
	for _, j := range s.joins {
		if v, ok := j.lookup(row); ok {
			if row.Extra == nil {
				row.Extra = map[string]any{}
			}
			row.Extra[j.name] = v
		}
	}
}

// Close closes the underlying file.
func (s *Source) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

func (s *Source) read() (*Row, error) {
	if s.done {
		return nil, io.EOF
	}
	if err := s.Context().Err(); err != nil {
		s.done = true
		return nil, err
	}
	row, err := s.next()
	if err != nil {
		s.done = true
		if cerr := s.Context().Err(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	s.num++
	row.Num = s.num
	return row, nil
}

// ---- CSV ----

var delimiters = []rune{',', ';', '\t', '|'}

// DetectDelimiter picks the delimiter that splits the sampled lines into the
// most fields, consistently from line to line.
func DetectDelimiter(head []byte) rune {
	if i := bytes.LastIndexByte(head, '\n'); i > 0 && len(head) >= 64<<10 {
		head = head[:i+1]
	}
	best, bestScore := ',', 0.0
	for _, d := range delimiters {
		r := csv.NewReader(bytes.NewReader(head))
		r.Comma = d
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		var counts []int
		for len(counts) < 50 {
			rec, err := r.Read()
			if err != nil {
				break
			}
			counts = append(counts, len(rec))
		}
		if len(counts) == 0 || counts[0] < 2 {
			continue
		}
		same := 0
		for _, c := range counts {
			if c == counts[0] {
				same++
			}
		}
		score := float64(counts[0]) * float64(same) / float64(len(counts))
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// csvPreamble measures the lines before a CSV header that are not the
// header: blank lines, lines of only delimiters and spaces, and lines that
// start with '#' and have fewer fields than the line after them (a header
// whose first column is named "#id" has as many). It returns their count
// and length in bytes; delim 0 means the delimiter is still unknown.
func csvPreamble(head []byte, delim rune) (lines, size int) {
	fields := func(line []byte, d rune) int {
		if d == 0 {
			n := 1
			for _, c := range delimiters {
				n = max(n, bytes.Count(line, []byte(string(c)))+1)
			}
			return n
		}
		return bytes.Count(line, []byte(string(d))) + 1
	}
	for lines < 100 {
		rest := head[size:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return lines, size // the line may be longer than what was read ahead: never skip it
		}
		line := bytes.TrimRight(rest[:i], "\r")
		blank := len(bytes.Trim(line, " \t,;|")) == 0
		if !blank && !bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("#")) {
			return lines, size
		}
		if !blank {
			// A comment only when the next line that is not one splits
			// into more fields.
			next := rest[i+1:]
			if j := bytes.IndexByte(next, '\n'); j >= 0 {
				next = next[:j]
			}
			if fields(next, delim) <= fields(line, delim) {
				return lines, size
			}
		}
		lines++
		size += i + 1
	}
	return lines, size
}

func (s *Source) initCSV(br *bufio.Reader, head []byte, o SourceOptions) error {
	s.delim = o.Delimiter
	lineOffset := 0
	if !o.NoHeader {
		if n, size := csvPreamble(head, s.delim); n > 0 {
			if _, err := br.Discard(size); err != nil {
				return &ParseError{File: s.name, Err: err}
			}
			head = head[size:]
			s.preamble, lineOffset = n, n
		}
	}
	if s.delim == 0 {
		s.delim = DetectDelimiter(head)
	}
	// encoding/csv buffers a whole line and a whole field: the limiter
	// under it stops a record at MaxRecordBytes. An oversize record stops
	// the load with a ParseError rather than being skipped as one invalid
	// row: where it ends cannot be known without reading it through the
	// quoting rules, and it is almost always a quote left open, after which
	// nothing that follows would be read as the export means it.
	lim := &recordLimiter{r: br, limit: MaxRecordBytes + readAheadSlack, skipBlank: true}
	r := csv.NewReader(lim)
	r.Comma = s.delim
	r.FieldsPerRecord = -1
	r.LazyQuotes = o.LazyQuotes
	nextLine := 1 // where the next record starts at the earliest
	wrap := func(err error) error {
		if errors.Is(err, errRecordLimit) {
			line := nextLine
			if l, ok := fieldLine(r); ok {
				line = l
			}
			return &ParseError{File: s.name, Line: line + lineOffset, Err: tooLarge("the record that starts on this line")}
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err := pe.Err
			switch {
			case errors.Is(err, csv.ErrBareQuote):
				err = fmt.Errorf("%w (a quote inside a field that is not quoted as a whole; set source.lazy_quotes: true in the mapping to accept it)", err)
			case errors.Is(err, csv.ErrQuote):
				// Reported where the reader gave up, often the end of the file.
				err = fmt.Errorf("%w (the quoted field that starts on line %d is not closed, or has text after its closing quote)", err, pe.StartLine+lineOffset)
			}
			return &ParseError{File: s.name, Line: pe.Line + lineOffset, Column: pe.Column, Err: err}
		}
		return &ParseError{File: s.name, Err: err}
	}
	read := func() ([]string, int, error) {
		lim.begin(r.InputOffset())
		rec, err := r.Read()
		if err != nil {
			return nil, 0, err
		}
		line, _ := r.FieldPos(0)
		if last, _ := r.FieldPos(len(rec) - 1); last >= line {
			nextLine = last + 1
		}
		return rec, line + lineOffset, nil
	}
	tooWide := func(line, n int, what string) error {
		return &ParseError{File: s.name, Line: line, Err: fmt.Errorf("%w: the %s has %d columns, at most %d are supported", ErrTooManyColumns, what, n, MaxColumns)}
	}
	if !o.NoHeader {
		hdr, line, err := read()
		if err == io.EOF {
			return &ParseError{File: s.name, Line: 1, Err: errors.New("the file is empty: no header row")}
		}
		if err != nil {
			return wrap(err)
		}
		if len(hdr) > MaxColumns {
			return tooWide(line, len(hdr), "header")
		}
		s.header = true
		s.columns = uniqueColumns(hdr)
	} else if len(o.Columns) > 0 {
		if len(o.Columns) > MaxColumns {
			return tooWide(0, len(o.Columns), "mapping's source.columns")
		}
		s.columns = append([]string(nil), o.Columns...)
	}
	s.csvCheck = &strayQuotes{delim: s.delim}
	s.next = func() (*Row, error) {
		rec, line, err := read()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, wrap(err)
		}
		row := &Row{Line: line, Fields: rec}
		s.csvCheck.check(rec, s.columns, lineOffset, nextLine-1, func(i int) (int, int) { return r.FieldPos(i) })
		if s.columns == nil { // headerless, unnamed: name by the first row
			if len(rec) > MaxColumns {
				return nil, tooWide(line, len(rec), "first row")
			}
			for i := range rec {
				s.columns = append(s.columns, fmt.Sprintf("column%d", i+1))
			}
		}
		if len(rec) != len(s.columns) {
			row.Err = &ParseError{File: s.name, Line: line, Err: fmt.Errorf("%w: the row has %d fields, the header has %d", ErrFieldCount, len(rec), len(s.columns))}
		}
		for i, f := range rec {
			if !utf8.ValidString(f) {
				col := ""
				if i < len(s.columns) {
					col = s.columns[i]
				}
				row.Err = &ParseError{File: s.name, Line: line, Err: fmt.Errorf("column %q is not valid UTF-8 (convert the file to UTF-8)", col)}
				break
			}
		}
		return row, nil
	}
	return nil
}

// fieldLine is the line where the record r failed on starts, when r knows
// it (encoding/csv keeps the positions of a failed record's fields, but
// FieldPos panics when there are none).
func fieldLine(r *csv.Reader) (line int, ok bool) {
	defer func() {
		if recover() != nil {
			line, ok = 0, false
		}
	}()
	line, _ = r.FieldPos(0)
	return line, line > 0
}

// uniqueColumns trims header names and renames repeats ("Email", "Email
// (2)"), so that every column has its own name, even when a header names
// a column "Email (2)" itself.
func uniqueColumns(hdr []string) []string {
	out := make([]string, len(hdr))
	seen := make(map[string]int, len(hdr))
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		if h == "" {
			h = fmt.Sprintf("column%d", i+1)
		}
		if n := seen[h]; n > 0 {
			base := h
			for {
				n++
				h = fmt.Sprintf("%s (%d)", base, n)
				if seen[h] == 0 {
					break
				}
			}
			seen[base] = n
		}
		seen[h] = 1
		out[i] = h
	}
	return out
}

// ---- JSON ----

// lineCounter tracks line starts in the bytes read so far so that a byte
// offset can be turned into a line and column. Queries must not go backwards.
type lineCounter struct {
	r       io.Reader
	off     int64   // bytes read so far
	nls     []int64 // offsets of newlines read but not yet passed by a query
	line    int     // lines before nls[0]
	lastNL  int64   // offset of the last newline before the queried offset
	started bool
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		c.nls = append(c.nls, c.off+int64(i+j))
		i += j + 1
	}
	c.off += int64(n)
	return n, err
}

// pos returns the 1-based line and column of byte offset off.
func (c *lineCounter) pos(off int64) (line, col int) {
	if !c.started {
		c.started, c.lastNL = true, -1
	}
	k := 0
	for k < len(c.nls) && c.nls[k] < off {
		c.lastNL = c.nls[k]
		k++
	}
	c.line += k
	c.nls = c.nls[k:]
	return c.line + 1, int(off - c.lastNL)
}

// jsonError turns an error of dec into a *ParseError at the offending byte.
func (s *Source) jsonError(lc *lineCounter, dec *json.Decoder, err error) error {
	if cerr := s.Context().Err(); cerr != nil {
		return cerr
	}
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, errRecordLimit):
		line, col := lc.pos(valueStart(dec))
		return &ParseError{File: s.name, Line: line, Column: col, Err: tooLarge("the JSON value that starts here")}
	case errors.As(err, &se):
		off = syntaxErrorOffset(dec)
	case errors.As(err, &te):
		off = dec.InputOffset()
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		off = lc.off
		err = errors.New("unexpected end of JSON input")
	}
	if off >= 0 {
		line, col := lc.pos(off)
		return &ParseError{File: s.name, Line: line, Column: col, Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	return &ParseError{File: s.name, Err: fmt.Errorf("invalid JSON: %w", err)}
}

// valueStart is the offset of the first byte of the value dec failed to
// read: a failed read leaves the decoder before the value's leading white
// space. When only white space was read, that is where it starts.
func valueStart(dec *json.Decoder) int64 {
	start := dec.InputOffset()
	r := dec.Buffered()
	b := make([]byte, 1)
	for off := start; ; off++ {
		if _, err := r.Read(b); err != nil {
			return start
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return off
	}
}

// checkTrailing refuses anything but white space after the end of the
// JSON document: a second document, a stray bracket, or records written
// one per line after a first object (NDJSON read as JSON) would otherwise
// be ignored without a word. It reads past the record limiter: white space
// is streamed, never held.
func (s *Source) checkTrailing(lc *lineCounter, dec *json.Decoder) error {
	off := dec.InputOffset()
	r := io.MultiReader(dec.Buffered(), lc)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for i, c := range buf[:n] {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			}
			line, col := lc.pos(off + int64(i))
			e := ErrTrailingData
			if c == '{' || c == '[' {
				e = fmt.Errorf("%w (a JSON file holds one array, one object, or objects one after another, not an array or a list of users followed by more documents: join their records into one array)", e)
			}
			return &ParseError{File: s.name, Line: line, Column: col, Err: e}
		}
		off += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if cerr := s.Context().Err(); cerr != nil {
				return cerr
			}
			return &ParseError{File: s.name, Err: err}
		}
	}
}

// syntaxErrorOffset returns the input offset of the byte at which dec met a
// syntax error. SyntaxError.Offset cannot be used: a Decoder counts only
// the bytes its scanner saw, summed over Decode calls and without those
// Token consumed. A failed Decode leaves the decoder at the start of the
// value, so decoding that value afresh finds the byte again; when it
// decodes fine, a separator was missing before it and the error is there.
func syntaxErrorOffset(dec *json.Decoder) int64 {
	start := dec.InputOffset()
	var v json.RawMessage
	var se *json.SyntaxError
	if err := json.NewDecoder(dec.Buffered()).Decode(&v); errors.As(err, &se) && se.Offset > 0 {
		return start + se.Offset - 1
	}
	return start
}

// nextIsObject reports whether the next value of dec, after dec.More
// returned true, is an object.
func nextIsObject(dec *json.Decoder) bool {
	b := make([]byte, 1)
	r := dec.Buffered()
	for {
		if _, err := r.Read(b); err != nil {
			return false
		}
		if c := b[0]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c == '{'
		}
	}
}

func (s *Source) initJSON(br *bufio.Reader, o SourceOptions) error {
	lc := &lineCounter{r: br}
	// encoding/json buffers a whole value: the limiter under the decoder
	// stops a record at MaxRecordBytes. An oversize record stops the load
	// with a ParseError: the decoder cannot skip a value without reading it
	// into memory, and a value that large is most often a string or
	// bracket left open, after which the rest of the file means nothing.
	lim := &recordLimiter{r: lc, limit: MaxRecordBytes + readAheadSlack}
	dec := json.NewDecoder(lim)
	dec.UseNumber()
	fail := func(err error) error { return s.jsonError(lc, dec, err) }
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			if cerr := s.Context().Err(); cerr != nil {
				return cerr
			}
			return &ParseError{File: s.name, Line: 1, Err: errors.New("the file is empty")}
		}
		return fail(err)
	}
	wrapped := false // the records array sits in an object
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		found, empty := false, false
		objStart := dec.InputOffset() - 1
		// Values of other keys are kept in case the object is itself one
		// record, unless they add up to more than a record may hold.
		var skipped map[string]any
		overflow := false
		keep := func(key string, v any) {
			if overflow {
				return
			}
			if dec.InputOffset()-objStart > MaxRecordBytes {
				overflow, skipped = true, nil
				return
			}
			if skipped == nil {
				skipped = map[string]any{}
			}
			skipped[key] = v
		}
		// Look for the records array among the object's keys.
		for dec.More() {
			lim.start = dec.InputOffset() // each value of the object is capped
			kt, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			key, _ := kt.(string)
			if o.RecordsKey != "" && key != o.RecordsKey {
				var discard json.RawMessage
				if err := dec.Decode(&discard); err != nil {
					return fail(err)
				}
				continue
			}
			// Peek: is it an array?
			t2, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			if t2 == json.Delim('[') {
				if !dec.More() {
					// An empty array: no records, unless another key has them.
					if _, err := dec.Token(); err != nil {
						return fail(err)
					}
					if o.RecordsKey != "" {
						found, empty = true, true
						break
					}
					keep(key, []any{})
					continue
				}
				if o.RecordsKey == "" && !nextIsObject(dec) {
					// A list of scalars belongs to a single record.
					var rest any
					if err := decodeRest(dec, '[', &rest); err != nil {
						return fail(err)
					}
					keep(key, rest)
					continue
				}
				found = true
				break
			}
			// Not an array: keep it in case the object is itself one record.
			if d, ok := t2.(json.Delim); ok {
				// Re-assemble the nested value: decode the remainder.
				var rest any
				if err := decodeRest(dec, d, &rest); err != nil {
					return fail(err)
				}
				keep(key, rest)
			} else {
				keep(key, t2)
			}
		}
		switch {
		case empty:
			if err := s.endWrapper(lc, lim, dec); err != nil {
				return err
			}
			s.next = func() (*Row, error) { return nil, io.EOF }
			return nil
		case found:
			wrapped = true
		case o.RecordsKey != "":
			return &ParseError{File: s.name, Err: fmt.Errorf("%w under key %q", ErrNoRecords, o.RecordsKey)}
		default:
			// The document is one object: one record.
			if _, err := dec.Token(); err != nil { // its '}'
				return fail(err)
			}
			if overflow {
				line, col := lc.pos(objStart)
				return &ParseError{File: s.name, Line: line, Column: col, Err: tooLarge("the JSON object that starts here")}
			}
			if err := s.checkTrailing(lc, dec); err != nil {
				return err
			}
			obj := skipped
			if obj == nil {
				obj = map[string]any{}
			}
			raw, _ := json.Marshal(obj)
			given := false
			s.next = func() (*Row, error) {
				if given {
					return nil, io.EOF
				}
				given = true
				return &Row{Line: 1, Object: obj, Raw: raw}, nil
			}
			return nil
		}
	default:
		return &ParseError{File: s.name, Line: 1, Column: 1, Err: fmt.Errorf("%w: the document is not an array or an object", ErrNoRecords)}
	}
	s.next = func() (*Row, error) {
		lim.start = dec.InputOffset()
		if !dec.More() {
			// The end of the records array, then of the document.
			if _, err := dec.Token(); err != nil {
				return nil, fail(err)
			}
			if wrapped {
				if err := s.endWrapper(lc, lim, dec); err != nil {
					return nil, err
				}
			} else if err := s.checkTrailing(lc, dec); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fail(err)
		}
		return s.rowAt(lc, dec, raw), nil
	}
	return nil
}

// endWrapper reads the rest of the object that holds the records array
// (its other keys, each value capped like a record, then '}') and checks
// that nothing follows the document.
func (s *Source) endWrapper(lc *lineCounter, lim *recordLimiter, dec *json.Decoder) error {
	for dec.More() {
		lim.start = dec.InputOffset()
		if _, err := dec.Token(); err != nil {
			return s.jsonError(lc, dec, err)
		}
		var discard json.RawMessage
		if err := dec.Decode(&discard); err != nil {
			return s.jsonError(lc, dec, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return s.jsonError(lc, dec, err)
	}
	return s.checkTrailing(lc, dec)
}

// decodeRest decodes the rest of a value whose opening delimiter d has been
// consumed already.
func decodeRest(dec *json.Decoder, d json.Delim, out *any) error {
	switch d {
	case '[':
		var arr []any
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				return err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		*out = arr
	case '{':
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return err
			}
			obj[fmt.Sprint(kt)] = v
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		*out = obj
	}
	return nil
}

// rowAt is the record raw that dec just read, at the line it starts on.
func (s *Source) rowAt(lc *lineCounter, dec *json.Decoder, raw []byte) *Row {
	line, _ := lc.pos(dec.InputOffset() - int64(len(raw)))
	return decodeObjectRow(s.name, line, raw)
}

func decodeObjectRow(name string, line int, raw []byte) *Row {
	row := &Row{Line: line, Raw: raw}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		row.Err = &ParseError{File: name, Line: line, Err: fmt.Errorf("invalid JSON: %w", err)}
		return row
	}
	obj, ok := v.(map[string]any)
	if !ok {
		row.Err = &ParseError{File: name, Line: line, Err: ErrNotObject}
		return row
	}
	row.Object = obj
	return row
}

// ---- NDJSON ----

// readLine reads one line of br, newline included, holding at most
// MaxRecordBytes of it: the rest of a longer line is read and dropped, and
// tooLong says so. A line longer than br's buffer is assembled in *buf.
// The line is valid until the next call.
func readLine(br *bufio.Reader, buf *[]byte) (line []byte, tooLong bool, err error) {
	chunk, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return chunk, false, err
	}
	b := append((*buf)[:0], chunk...)
	for err == bufio.ErrBufferFull {
		chunk, err = br.ReadSlice('\n')
		if !tooLong && len(b)+len(chunk) > MaxRecordBytes {
			tooLong, b = true, b[:0]
		}
		if !tooLong {
			b = append(b, chunk...)
		}
	}
	*buf = b[:0]
	return b, tooLong, err
}

func (s *Source) initNDJSON(br *bufio.Reader) {
	line := 0
	var buf []byte
	s.next = func() (*Row, error) {
		for {
			b, tooLong, err := readLine(br, &buf)
			if tooLong {
				// Lines are the records of NDJSON: the next one is read
				// safely, so an oversize line is one invalid record.
				line++
				return &Row{Line: line, Err: &ParseError{File: s.name, Line: line, Err: tooLarge("the line")}}, nil
			}
			if len(b) == 0 && err != nil {
				if err == io.EOF {
					return nil, io.EOF
				}
				return nil, &ParseError{File: s.name, Line: line + 1, Err: err}
			}
			line++
			t := bytes.TrimSpace(b)
			if len(t) == 0 {
				if err == io.EOF {
					return nil, io.EOF
				}
				continue
			}
			row := &Row{Line: line, Raw: append([]byte(nil), t...)}
			d := json.NewDecoder(bytes.NewReader(t))
			d.UseNumber()
			var v any
			if derr := d.Decode(&v); derr != nil {
				col := 0
				var se *json.SyntaxError
				if errors.As(derr, &se) {
					col = int(se.Offset)
				}
				if errors.Is(derr, io.ErrUnexpectedEOF) {
					derr = errors.New("unexpected end of JSON input")
				}
				row.Err = &ParseError{File: s.name, Line: line, Column: col, Err: fmt.Errorf("invalid JSON: %w", derr)}
				return row, nil
			}
			// Not d.More(): it reports no more after a stray '}' or ']'.
			if off := int(d.InputOffset()); len(bytes.TrimSpace(t[off:])) > 0 {
				col := off + len(t[off:]) - len(bytes.TrimLeft(t[off:], " \t\r\n")) + 1
				row.Err = &ParseError{File: s.name, Line: line, Column: col, Err: errors.New("invalid JSON: more than one value on the line")}
				return row, nil
			}
			obj, ok := v.(map[string]any)
			if !ok {
				row.Err = &ParseError{File: s.name, Line: line, Err: ErrNotObject}
				return row, nil
			}
			row.Object = obj
			return row, nil
		}
	}
}
