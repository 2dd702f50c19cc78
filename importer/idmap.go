package importer

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/gocarina/gocsv"
)

// Old ids. Every system people migrate from gives its users an id of its
// own (Auth0's user_id, Firebase's localId, a database's primary key), and
// the application's own tables refer to users by it. Authgear gives each
// imported user a new id. The mapping names where each record's old id is
// (source.id); the report carries it on every line (source_id), and a run
// that imports writes the id map beside the report (DefaultIDMap):
//
//	source_id,user_id,identifier
//	auth0|5f7c...,6f0f3b2e-...,ada@example.com
//
// one line per user inserted or updated, so that the application's tables
// can be rewritten from old ids to Authgear's. The old id is never sent:
// to keep it in Authgear too, map it to a custom attribute as well
// (custom_attributes.legacy_id: {from: <the same path>}), which map
// offers (RemedyKeepSourceID, Mapping.KeepSourceID).

// sourceIDKey names source.id in messages.
const sourceIDKey = "source.id"

// idMapHeader names the id map's columns, in order.
const idMapHeader = "source_id,user_id,identifier"

// SourceIDPath is the column or path the mapping reads each record's old
// id from ("" when it names none).
func (m *Mapping) SourceIDPath() string {
	if m.Source.ID == nil {
		return ""
	}
	return m.Source.ID.From
}

// checkSourceID checks source.id: a column or path (a constant is no
// one's id), with known transforms.
func (m *Mapping) checkSourceID() []string {
	f := m.Source.ID
	if f == nil {
		return nil
	}
	var errs []string
	if strings.TrimSpace(f.From) == "" {
		errs = append(errs, "source.id: give `from`, the column or path of the old system's user id")
	}
	if f.Value != nil {
		errs = append(errs, "source.id: the old user id comes from a column or path (`from`), not a constant (`value`)")
	}
	if f.Invalid != "" {
		errs = append(errs, "source.id: the old user id is never sent, so it takes no `invalid` policy")
	}
	for _, t := range f.Transforms {
		spec, ok := transforms[t.Name]
		if !ok {
			errs = append(errs, fmt.Sprintf("source.id: unknown transform %q (known: %s)", t.Name, strings.Join(TransformNames(), ", ")))
			continue
		}
		if spec.needArg && t.Arg == "" {
			errs = append(errs, fmt.Sprintf("source.id: transform %s needs an argument (%s)", t.Name, spec.argDoc))
		}
		if spec.argDoc == "" && t.Arg != "" {
			errs = append(errs, fmt.Sprintf("source.id: transform %s takes no argument", t.Name))
		}
	}
	return errs
}

// compileSourceID compiles source.id like a field's source; compile
// reports a column the input lacks. It returns nil when the mapping names
// no old id (or compile failed: its error is reported).
func compileSourceID(spec *FieldSpec, compile func(field, text string) *Path) *compiledField {
	if spec == nil || spec.From == "" {
		return nil
	}
	cf := &compiledField{col: -1, str: -1}
	for _, tr := range spec.Transforms {
		ts := transforms[tr.Name]
		cf.ts = append(cf.ts, compiledTransform{Transform: tr, spec: &ts})
	}
	if cf.path = compile("source.id", spec.From); cf.path == nil {
		return nil
	}
	if cf.path.extra == "" && cf.path.col >= 0 && len(cf.path.steps) == 0 {
		cf.col = cf.path.col
	}
	return cf
}

// SourceIDOf reads row's old id as text: an ObjectId or another MongoDB
// extended JSON wrapper ({"$oid": ...}) reads as its value, a number as
// written. It is "" when the mapping names no old id, or the record has
// none or one that is not text (an object, several values).
func (p *Plan) SourceIDOf(row *Row) string {
	if p == nil || p.sourceID == nil || row == nil || row.Err != nil {
		return ""
	}
	ctx := applyCtx{row: row, plan: p, now: p.now}
	v, cell, isCell, err := p.sourceID.read(row, &ctx)
	if err != nil {
		return ""
	}
	if isCell {
		return strings.TrimSpace(cell)
	}
	if isEmpty(v) {
		return ""
	}
	s, err := toText(v)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// IDMapLine is one line of the id map.
type IDMapLine struct {
	SourceID   string `csv:"source_id"`
	UserID     string `csv:"user_id"`
	Identifier string `csv:"identifier"`
}

// IDMapWriter writes the id map: one line per user a run inserted or
// updated (ReportRow.Imported), with the record's old id, the user's id in
// Authgear and the identifier. Its cells are neutralised as the report's
// (reportCell: a cell that a spreadsheet would take for a formula gets a
// leading ', which ReadIDMap removes). The file (mode 0600: it holds user
// ids) is written to a temporary file and renamed into place by Close.
type IDMapWriter struct {
	f   *AtomicFile
	bw  *bufio.Writer
	buf []byte
	n   int
	// missing counts the lines without an old id.
	missing int
	err     error
}

// NewIDMapWriter starts the id map at path and writes its header. The file
// at path is untouched until Close.
func NewIDMapWriter(path string) (*IDMapWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	w := &IDMapWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10)}
	w.bw.WriteString(idMapHeader + "\n")
	return w, nil
}

// Imported reports whether the line's user was imported (inserted or
// updated, with a user id): the users an id map lists.
func (r ReportRow) Imported() bool {
	return (r.Outcome == OutcomeInserted || r.Outcome == OutcomeUpdated) && r.UserID != ""
}

// Write adds the line of a report row whose user was imported, and
// ignores any other row.
func (w *IDMapWriter) Write(r ReportRow) error {
	if w.err != nil || !r.Imported() {
		return w.err
	}
	b := w.buf[:0]
	for i, s := range [...]string{r.SourceID, r.UserID, r.Identifier} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, reportCell(s))
	}
	b = append(b, '\n')
	w.buf = b
	w.n++
	if r.SourceID == "" {
		w.missing++
	}
	_, w.err = w.bw.Write(b)
	return w.err
}

// Path is where the id map is written.
func (w *IDMapWriter) Path() string { return w.f.Path() }

// Count is how many users the id map lists, and Missing how many of them
// have no old id (their record had none).
func (w *IDMapWriter) Count() int   { return w.n }
func (w *IDMapWriter) Missing() int { return w.missing }

// Close completes the id map and renames it into place. After an error
// the destination is left as it was.
func (w *IDMapWriter) Close() error { return w.f.Finish(w.err, w.bw.Flush) }

// Abort drops the id map being written.
func (w *IDMapWriter) Abort() { w.f.Abort() }

// ReadIDMap reads an id map back, its cells as they were written with
// reportCell's leading quote removed.
func ReadIDMap(path string) ([]IDMapLine, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []IDMapLine
	if err := gocsv.UnmarshalFile(f, &lines); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range lines {
		l := &lines[i]
		l.SourceID, l.UserID, l.Identifier = unquoteCell(l.SourceID), unquoteCell(l.UserID), unquoteCell(l.Identifier)
	}
	return lines, nil
}

// The import keeps each record's old id from its preparation until its
// report line (im.sids, a few requests' worth): the journal records it with
// the request and the outcome, so that a resumed run reports it for the
// records an earlier run settled and for the jobs it left to read.

// setSourceIDs remembers the old ids of rows (sids may be shorter, or
// nil: the rows have none).
func (im *importer) setSourceIDs(rows []int, sids []string) {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	for i, row := range rows {
		if i >= len(sids) || sids[i] == "" {
			continue
		}
		if im.sids == nil {
			im.sids = map[int]string{}
		}
		im.sids[row] = sids[i]
	}
}

// takeSourceID gives the old id of row and forgets it: its line is
// reported.
func (im *importer) takeSourceID(row int) string {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	sid, ok := im.sids[row]
	if ok {
		delete(im.sids, row)
	}
	return sid
}

// sourceIDs gives the old ids of rows, or nil when none has one.
func (im *importer) sourceIDs(rows []int) []string {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	if len(im.sids) == 0 {
		return nil
	}
	out := make([]string, len(rows))
	for i, row := range rows {
		out[i] = im.sids[row]
	}
	return out
}

// journalResult journals the outcomes of rows with their old ids.
func (im *importer) journalResult(seq int, rows []ReportRow) error {
	nums := make([]int, len(rows))
	for i, r := range rows {
		nums[i] = r.Row
	}
	if sids := im.sourceIDs(nums); sids != nil {
		for i := range rows {
			if rows[i].SourceID == "" {
				rows[i].SourceID = sids[i]
			}
		}
	}
	return im.o.Journal.Result(seq, rows)
}

// journalRequest journals req before it is sent, with its rows'
// identifiers and old ids.
func (im *importer) journalRequest(req *request) error {
	return im.o.Journal.requestWith(req.seq, req.rows, req.since, req.ids, im.sourceIDs(req.rows))
}

// idMapOf is where a run writes its id map: beside the report, for a live
// run with a mapping that names the old ids; "" for any other. A
// rehearsal writes none: its user ids are those of a sandbox that is gone,
// and an application's tables rewritten from them would point at no one.
func idMapOf(c RunConfig, m *Mapping, report string) string {
	if c.DryRun || c.NoReport || c.Target.Rehearsal || m.SourceIDPath() == "" {
		return ""
	}
	return DefaultIDMap(report)
}

// write is Write on a writer that may be nil (no id map).
func (w *IDMapWriter) write(r ReportRow) error {
	if w == nil {
		return nil
	}
	return w.Write(r)
}

// idMapNotes says, after a run that imported, what became of the old ids:
// none kept (the mapping names no source.id), or users without one.
func idMapNotes(s *RunSummary, m *Mapping) []string {
	if s.DryRun || s.Inserted+s.Updated == 0 {
		return nil
	}
	if m.SourceIDPath() == "" {
		return []string{"no id map was written: the mapping names no old user id (source.id)"}
	}
	if s.Rehearsal {
		return []string{"no id map was written: a rehearsal's user ids are the sandbox's (a live import writes one beside its report)"}
	}
	if s.IDMapMissing > 0 {
		return []string{fmt.Sprintf("%d of the %d users in the id map have no old id (their records have no %s): their source_id is empty", s.IDMapMissing, s.IDMapped, Printable(m.SourceIDPath()))}
	}
	return nil
}

// nameSourceID names the old id in m (source.id): the first of paths that
// sampled records of src have. It reports whether one was named.
func nameSourceID(src *Source, m *Mapping, paths ...string) bool {
	for _, p := range paths {
		if p != "" && len(sampleValues(src, p)) > 0 {
			m.Source.ID = &FieldSpec{From: p}
			return true
		}
	}
	return false
}

// ErrNoSourceID: the old user id cannot be kept as a custom attribute,
// for the mapping names none (source.id).
var ErrNoSourceID = errors.New("no column of the export was taken for the old user id (source.id)")

// AttributeNameError: a name given for a custom attribute is none.
type AttributeNameError struct{ Name string }

func (e *AttributeNameError) Error() string {
	return fmt.Sprintf("%q is not the name of a custom attribute (no dot, bracket or slash)", Printable(e.Name))
}

// KeepSourceID maps the old user id (source.id) to the custom attribute
// name as well, so that Authgear keeps it on each user (the project must
// define that custom attribute, or Authgear ignores it). It returns
// ErrNoSourceID when the mapping names no old id, and an error for a name
// that is no custom attribute's.
func (m *Mapping) KeepSourceID(name string) error {
	path := m.SourceIDPath()
	if path == "" {
		return ErrNoSourceID
	}
	key := CustomAttributePrefix + strings.TrimPrefix(strings.TrimSpace(name), CustomAttributePrefix)
	if _, ok := LookupTarget(key); !ok {
		return &AttributeNameError{Name: name}
	}
	ts := append([]Transform(nil), m.Source.ID.Transforms...)
	if len(ts) == 0 {
		ts = []Transform{T("trim")}
	}
	m.Set(key, path, ts...)
	return nil
}

// sourceIDAttribute is the custom attribute that keeps the old id in
// Authgear, when the mapping has one ("" when not).
func (m *Mapping) sourceIDAttribute() string {
	path := m.SourceIDPath()
	if path == "" {
		return ""
	}
	for _, k := range m.FieldKeys() {
		if name, ok := strings.CutPrefix(k, CustomAttributePrefix); ok && m.Fields[k].From == path {
			return name
		}
	}
	return ""
}

// noteSourceID says in a suggestion's notes which column holds the old
// user id, or that none was found, and offers to keep it in Authgear as a
// custom attribute (RemedyKeepSourceID; o.KeepSourceID does it). The old
// id is not among the columns left unmapped: it goes to the report and
// the id map.
func noteSourceID(m *Mapping, rep *SuggestReport, o SuggestOptions) error {
	if o.KeepSourceID != "" {
		if err := m.KeepSourceID(o.KeepSourceID); err != nil {
			return err
		}
	}
	path := m.SourceIDPath()
	if path == "" {
		rep.Notes = append(rep.Notes, "no column was taken for the old user id (a column such as id, user_id, uid or _id, with a different value in every sampled record): the report's source_id stays empty and an import writes no id map; name it in the mapping as source.id if the export has one")
		return nil
	}
	kept := rep.Unmapped[:0]
	for _, u := range rep.Unmapped {
		if u != path && u != path+".$oid" {
			kept = append(kept, u)
		}
	}
	rep.Unmapped = kept
	if name := m.sourceIDAttribute(); name != "" {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the old user id is %s (source.id): an import lists it beside each user's new id in the id map and the report's source_id column, and keeps it in Authgear as the custom attribute %s (define it in the portal: User Profile > Custom Attributes, or Authgear ignores it)", Printable(path), Printable(name)))
		return nil
	}
	rep.noteWith(RemedyKeepSourceID, fmt.Sprintf("the old user id is %s (source.id): an import lists it beside each user's new id in the id map and the report's source_id column. To keep it in Authgear as well, define a custom attribute for it in the portal (User Profile > Custom Attributes) and map it: custom_attributes.legacy_id ← %s", Printable(path), Printable(path)))
	return nil
}
