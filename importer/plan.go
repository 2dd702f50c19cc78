package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outcome is what became of one input record.
type Outcome string

// Outcomes. A dry run yields valid or invalid; a live import inserted,
// updated, skipped, failed or invalid.
const (
	OutcomeValid    Outcome = "valid"
	OutcomeInvalid  Outcome = "invalid"
	OutcomeInserted Outcome = "inserted"
	OutcomeUpdated  Outcome = "updated"
	OutcomeSkipped  Outcome = "skipped"
	OutcomeFailed   Outcome = "failed"
	// OutcomeNotUser is an object of a Django fixture that is not of the
	// user model (source.model): a page, an image, a form submission. It
	// is neither sent nor counted invalid.
	OutcomeNotUser Outcome = "not_user"
)

// Prepared is one input record after mapping, normalisation and validation.
type Prepared struct {
	// Row is the input record (kept for the retry file).
	Row *Row
	// Record is what would be sent; nil when the row could not be mapped.
	Record *Record
	// Identifier is the record's normalised identifier value (or the raw
	// value when it could not be normalised).
	Identifier string
	// Problems are the reasons the record cannot be sent; none means valid.
	Problems []Problem
	// Notes are remarks on a valid record ("password dropped: ...").
	Notes []string
	// PasswordFamily is the family of the record's password hash, if any.
	PasswordFamily HashFamily
	// PasswordDropped is set when the policy dropped an unimportable hash.
	PasswordDropped bool
	// PasswordHashedLocally is set when a clear-text password was
	// bcrypt-hashed here (passwords.plaintext: hash).
	PasswordHashedLocally bool
	// PhonesDropped counts the phone numbers (phone_number, mfa.phone_number)
	// that could not be read and were left out (they are among Dropped).
	PhonesDropped int
	// Dropped are the values Authgear would refuse, or that could not be
	// read, left out of the record under the field's invalid policy
	// (Mapping.InvalidPolicy): the user is imported without them. Each
	// has its note.
	Dropped []DroppedField
	// PlaintextLeftOut is set when the record has a password in clear
	// text in a column the mapping leaves out (Plan.plainCol): the user
	// is imported without a password.
	PlaintextLeftOut bool
	// NotUser, when set, is the model of an object that is not of the
	// user model the mapping keeps (source.model), such as
	// "wagtailcore.page" (or "(no model)"): the record is not a user. Its
	// one problem (ProblemNotUser) says so; it is reported with
	// OutcomeNotUser, not as invalid.
	NotUser string
	// SourceID is the record's id in the old system (source.id; "" when
	// the mapping names none or the record has none): never sent, it goes
	// to the report and the id map (idmap.go).
	SourceID string
}

// Valid reports whether the record can be sent.
func (p *Prepared) Valid() bool { return len(p.Problems) == 0 }

// Reason joins the problems, or else the notes.
func (p *Prepared) Reason() string {
	if len(p.Problems) > 0 {
		msgs := make([]string, len(p.Problems))
		for i, pr := range p.Problems {
			msgs[i] = pr.Message
		}
		return strings.Join(msgs, "; ")
	}
	return strings.Join(p.Notes, "; ")
}

func (p *Prepared) addProblem(code ProblemCode, field, msg string) {
	p.Problems = append(p.Problems, Problem{Code: code, Field: field, Message: msg})
}

type compiledField struct {
	target *Target
	path   *Path // nil for a constant
	// col is the CSV column when path is one with nothing after it, read
	// as a string without going through an interface; else -1.
	col   int
	value any
	ts    []compiledTransform
	// str is a text field's index in the record's backing array of
	// strings (recordBuilder.strs), or -1.
	str int
	// drop says that a value Authgear would refuse is left out of the
	// record rather than rejecting it (Mapping.InvalidPolicy).
	drop bool
}

type compiledTransform struct {
	Transform
	spec *transformSpec
}

// Plan is a mapping compiled against an input's columns; it is safe for
// concurrent use by many goroutines.
type Plan struct {
	mapping  *Mapping
	fields   []compiledField
	extra    map[string]*Path // paths used by transforms (contains)
	rejectIf []compiledCondition
	phones   *phoneNormalizer
	model    string // source.model, trimmed: the user model of a Django fixture
	now      time.Time
	nStrs    int // text fields backed by recordBuilder.strs
	nCustom  int // custom attributes
	// hashes caches the bcrypt hashes of clear-text passwords by row
	// (passwords.plaintext: hash; plainhash.go).
	hashes *hashCache
	// keyNames remembers the names each field's key transform converted
	// (keynames.go).
	keyNames map[string]*keyNames

	// regionFrom reads each record's country (phone.region_from;
	// phoneregion.go).
	regionFrom *Path
	// plainCol is a column of clear-text passwords the mapping leaves
	// out, and plainPath its path (plaintextleft.go).
	plainCol  string
	plainPath *Path
	// sourceID reads each record's old id (source.id; idmap.go).
	sourceID *compiledField
}

type compiledCondition struct {
	path *Path
	Condition
}

// Mapping returns the plan's mapping.
func (p *Plan) Mapping() *Mapping { return p.mapping }

// Compile checks the mapping against the input's columns. isCSV says whether
// paths name CSV columns (true) or JSON paths (false). Every column the
// mapping names that the input lacks is reported in one *MappingError.
func Compile(m *Mapping, columns []string, isCSV bool) (*Plan, error) {
	return compile(m, columns, isCSV, nil)
}

// CompileFor compiles the mapping for src, including paths into the values
// joined to it (Source.AddJoin).
func CompileFor(m *Mapping, src *Source) (*Plan, error) {
	p, err := compile(m, src.Columns(), src.Format() == FormatCSV, src.Joins())
	if err != nil {
		return nil, err
	}
	if col := unmappedPlaintextColumn(m, src); col != "" {
		if path, err := compilePath(col, src.Columns(), src.Format() == FormatCSV); err == nil {
			p.plainCol, p.plainPath = col, path
		}
	}
	return p, nil
}

func compile(m *Mapping, columns []string, isCSV bool, extras []string) (*Plan, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	p := &Plan{
		mapping: m,
		extra:   map[string]*Path{},
		phones:  &phoneNormalizer{possibleOnly: m.Phone.Validation == PhoneIsPossibleNumber, assumeInternational: m.Phone.AssumeInternational},
		model:   strings.TrimSpace(m.Source.Model),
		now:     time.Now(),
	}
	if m.Passwords.Plaintext == PlaintextHash {
		p.hashes = newHashCache()
	}
	var errs []string
	if p.model != "" && isCSV {
		errs = append(errs, fmt.Sprintf("source.model %q keeps the objects of one model of a Django fixture (JSON): a CSV file has no model", p.model))
	}
	compile := func(field, text string) *Path {
		path, err := compilePathExtra(text, columns, isCSV, extras)
		if err != nil {
			var mc *MissingColumnError
			if errors.As(err, &mc) {
				mc.Field = field
				errs = append(errs, mc.Error()+suggestColumn(text, columns))
			} else {
				errs = append(errs, fmt.Sprintf("field %s: %v", field, err))
			}
			return nil
		}
		return path
	}
	for _, key := range m.FieldKeys() {
		spec := m.Fields[key]
		t, _ := LookupTarget(key)
		cf := compiledField{target: t, col: -1, str: -1, drop: m.InvalidPolicy(key) == InvalidDrop}
		for _, tr := range spec.Transforms {
			ts := transforms[tr.Name]
			if tr.Name == "key" {
				ts = p.keySpec(key, ts)
			}
			cf.ts = append(cf.ts, compiledTransform{Transform: tr, spec: &ts})
		}
		if spec.From != "" {
			cf.path = compile(key, spec.From)
			if cf.path != nil && cf.path.extra == "" && cf.path.col >= 0 && len(cf.path.steps) == 0 {
				cf.col = cf.path.col
			}
		} else {
			cf.value = normalizeYAMLValue(spec.Value)
		}
		if t.kind == kindString {
			cf.str = p.nStrs
			p.nStrs++
		}
		if t.kind == kindAny {
			p.nCustom++
		}
		for _, tr := range spec.Transforms {
			if transforms[tr.Name].argPath {
				if path := compile(key, tr.Arg); path != nil {
					p.extra[tr.Arg] = path
				}
			}
		}
		p.fields = append(p.fields, cf)
	}
	for i, c := range m.RejectIf {
		if path := compile(fmt.Sprintf("reject_if[%d]", i), c.From); path != nil {
			p.rejectIf = append(p.rejectIf, compiledCondition{path: path, Condition: c})
		}
	}
	if m.Phone.RegionFrom != "" {
		p.regionFrom = compile("phone.region_from", m.Phone.RegionFrom)
	}
	p.sourceID = compileSourceID(m.Source.ID, compile)
	if len(errs) > 0 {
		return nil, &MappingError{Problems: errs}
	}
	return p, nil
}

func suggestColumn(text string, columns []string) string {
	want := normName(text)
	for _, c := range columns {
		if normName(c) == want {
			return fmt.Sprintf(" (did you mean %q?)", c)
		}
	}
	if len(columns) > 0 && len(columns) <= 40 {
		return fmt.Sprintf(" (columns: %s)", strings.Join(columns, ", "))
	}
	return ""
}

// normalizeYAMLValue turns YAML-decoded numbers into json.Number so that
// constants behave like input values.
func normalizeYAMLValue(v any) any {
	switch t := v.(type) {
	case int:
		return json.Number(fmt.Sprint(t))
	case int64:
		return json.Number(fmt.Sprint(t))
	case float64:
		return json.Number(fmt.Sprint(t))
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalizeYAMLValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalizeYAMLValue(e)
		}
		return out
	}
	return v
}

// recordBuilder is what Apply allocates for a record, in one piece: the
// result, the record, the context of its transforms, the backing of its
// strings and password, and the values that wait for the password policy.
// Targets set their values on it (Target.setStr and the others).
type recordBuilder struct {
	prep            Prepared
	rec             Record
	ctx             applyCtx
	password        Password
	passwordHash    string
	mfaPasswordHash string
	expireAfter     string
	nCustom         int // the plan's custom attributes, to size the map
	strs            [8]string
}

// Apply maps one row to a record, normalises and validates it. It does not
// look at other rows: duplicates are found by Prepare.
func (p *Plan) Apply(row *Row) *Prepared {
	if row.Err != nil {
		return rowProblem(row)
	}
	if p.model != "" {
		if other, ok := p.otherModel(row); ok {
			out := &Prepared{Row: row, NotUser: other, SourceID: p.SourceIDOf(row)}
			out.addProblem(ProblemNotUser, "", NotUserReason(other))
			return out
		}
	}
	b := &recordBuilder{nCustom: p.nCustom}
	b.prep.Row = row
	b.prep.SourceID = p.SourceIDOf(row)
	b.ctx = applyCtx{row: row, plan: p, now: p.now}
	strs := b.strs[:]
	if p.nStrs > len(strs) {
		strs = make([]string, p.nStrs)
	}
	for i := range p.fields {
		f := &p.fields[i]
		v, cell, isCell, err := f.read(row, &b.ctx)
		if err != nil {
			b.refuse(f, dropReason(f.target, err), err)
			continue
		}
		if isCell && f.target.kind == kindString {
			p.setString(b, f, cell, false, strs)
			continue
		}
		if isCell {
			v = cell
		}
		if !isEmpty(v) {
			p.set(b, f, v, strs)
		}
	}
	p.finish(b)
	if p.plainPath != nil && b.rec.Password == nil {
		if v, ok := p.plainPath.lookup(row); ok && !isEmpty(v) {
			b.prep.PlaintextLeftOut = true
		}
	}
	b.rec.upsert = p.mapping.Upsert
	b.prep.Record = &b.rec
	return &b.prep
}

// otherModel says whether row is an object of another model than the
// user model the mapping keeps, and which ("(no model)" when it names
// none). The model's name comes from the file: it is made printable.
func (p *Plan) otherModel(row *Row) (string, bool) {
	v, _ := row.Object["model"].(string)
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, p.model) {
		return "", false
	}
	if v == "" {
		return "(no model)", true
	}
	if r := []rune(v); len(r) > 100 {
		v = string(r[:100]) + "..."
	}
	return Printable(v), true
}

// NotUserReason is the report's reason for an object of a Django fixture
// that is not of the user model.
func NotUserReason(model string) string { return "not a user: " + model }

// rowProblem is the result for a row that could not be read.
func rowProblem(row *Row) *Prepared {
	out := &Prepared{Row: row}
	msg := row.Err.Error()
	var pe *ParseError
	if errors.As(row.Err, &pe) {
		msg = pe.Err.Error()
		if pe.Line > 0 {
			msg = fmt.Sprintf("line %d: %s", pe.Line, msg)
			if pe.Column > 0 {
				msg = fmt.Sprintf("line %d column %d: %s", pe.Line, pe.Column, pe.Err)
			}
		}
	}
	out.addProblem(ProblemUnreadable, "", msg)
	return out
}

// read reads the field's source and runs its transforms. A plain CSV cell
// stays a string (cell, isCell) through the transforms that have a string
// form; v holds the value from the first that has not.
func (f *compiledField) read(row *Row, ctx *applyCtx) (v any, cell string, isCell bool, err error) {
	switch {
	case f.col >= 0:
		if f.col < len(row.Fields) {
			cell, isCell = row.Fields[f.col], true
		}
	case f.path != nil:
		var ok bool
		if v, ok = f.path.lookup(row); !ok {
			v = nil
		}
	default:
		v = f.value
	}
	for _, t := range f.ts {
		switch {
		case isCell && t.spec.str != nil:
			cell = t.spec.str(cell, t.Arg)
			continue
		case isCell && t.spec.fromStr != nil:
			isCell = false
			v, err = t.spec.fromStr(cell, t.Arg, ctx)
		default:
			if isCell {
				isCell, v = false, cell
			}
			v, err = t.spec.fn(v, t.Arg, ctx)
		}
		if err != nil {
			return nil, "", false, err
		}
	}
	return v, cell, isCell, nil
}

// refuse handles a value of f that Authgear would refuse: left out of the
// record, with its reason, when the field's policy drops it; else the
// record's problem. It reports whether the value was dropped.
func (b *recordBuilder) refuse(f *compiledField, reason string, err error) bool {
	if f.drop {
		b.drop(f.target, reason)
		return true
	}
	b.prep.addProblem(ProblemInvalidValue, f.target.Key, f.target.Label+" "+err.Error())
	return false
}

// set checks a present value against the field's kind and sets it.
func (p *Plan) set(b *recordBuilder, f *compiledField, v any, strs []string) {
	t := f.target
	switch t.kind {
	case kindBool:
		v, err := toBool(v)
		if err != nil {
			b.refuse(f, DropNotBoolean, err)
		} else if v != nil {
			t.setBool(b, v.(bool))
		}
	case kindList:
		list, err := toStringList(v)
		if err != nil {
			b.refuse(f, DropNotList, err)
			return
		}
		for _, s := range list {
			if err := checkText(s); err != nil {
				if b.refuse(f, textReason(s), err) {
					return
				}
			}
		}
		t.setList(b, list)
	case kindAny:
		if m, ok := v.(map[string]any); ok {
			if x, ok := extendedJSONValue(m); ok {
				v = x // {"$oid": ...} is its value (custom_attributes.legacy_id ← _id)
			}
		}
		if err := checkJSONText(v); err != nil {
			if b.refuse(f, jsonTextReason(v), err) {
				return
			}
		}
		t.setAny(b, v)
	default:
		s, err := toText(v)
		if err != nil {
			b.refuse(f, DropNotText, err)
			return
		}
		// A phone number the phone transform normalised is checked already.
		_, checked := v.(e164Phone)
		p.setString(b, f, s, checked, strs)
	}
}

// setString trims, normalises and checks a text value, and sets it from
// the record's backing array of strings (one allocation per record
// instead of one per field).
func (p *Plan) setString(b *recordBuilder, f *compiledField, s string, phoneChecked bool, strs []string) {
	t := f.target
	if s = strings.TrimSpace(s); s == "" {
		return
	}
	if !(phoneChecked && t.format == "phone") {
		if err := p.normalizeAndCheck(t, &s, b.prep.Row); err != nil {
			if b.refuse(f, dropReason(t, err), err) {
				return
			}
		}
	}
	strs[f.str] = s
	t.setStr(b, &strs[f.str])
}

// finish applies the password policy, then checks what involves several
// fields: the identifier, the valid period, the mapping's reject_if.
func (p *Plan) finish(b *recordBuilder) {
	m, out, rec, row := p.mapping, &b.prep, &b.rec, b.prep.Row
	// Passwords: the primary and the MFA one follow the same policy.
	if b.passwordHash != "" {
		out.PasswordFamily = RecogniseHash(b.passwordHash)
		h, ok := "", false
		var lazy *lazyHash
		if out.PasswordFamily == HashPlaintext && m.Passwords.Plaintext == PlaintextHash {
			lazy, ok = p.hashPlaintext(out, row, b.passwordHash)
		} else {
			h, ok = p.password(out, "password.password_hash", "password", b.passwordHash, out.PasswordFamily)
		}
		if ok {
			b.password = Password{Type: "bcrypt", PasswordHash: h, lazy: lazy}
			rec.Password = &b.password
			if b.expireAfter != "" {
				rec.Password.ExpireAfter = &b.expireAfter
			}
			if lazy != nil {
				p.expireHashedPlaintext(rec.Password)
			}
		} else if out.PasswordFamily.IsHash() && m.Passwords.Unsupported == PasswordsDrop {
			out.PasswordDropped = true
		}
	} else if b.expireAfter != "" {
		out.Notes = append(out.Notes, "password expire_after ignored: the record has no password")
	}
	if b.mfaPasswordHash != "" {
		if h, ok := p.password(out, "mfa.password.password_hash", "MFA password", b.mfaPasswordHash, RecogniseHash(b.mfaPasswordHash)); ok {
			mfa(rec).Password = &Password{Type: "bcrypt", PasswordHash: h}
		}
	}
	// The identifier.
	id := rec.IdentifierValue(m.Identifier)
	out.Identifier = id
	if id == "" && !hasProblem(out, string(m.Identifier)) {
		out.Problems = append([]Problem{{Code: ProblemIdentifierEmpty, Field: string(m.Identifier), Message: fmt.Sprintf("identifier (%s) is empty", m.Identifier)}}, out.Problems...)
	}
	if id == "" && hasProblem(out, string(m.Identifier)) {
		out.Identifier = rawIdentifier(p, row)
	}
	// The valid period.
	if rec.AccountValidFrom != nil && rec.AccountValidUntil != nil {
		from, e1 := time.Parse(time.RFC3339, *rec.AccountValidFrom)
		until, e2 := time.Parse(time.RFC3339, *rec.AccountValidUntil)
		if e1 == nil && e2 == nil && !from.Before(until) {
			out.addProblem(ProblemValidPeriod, "account_valid_until", "account_valid_from must be before account_valid_until")
		}
	}
	for _, c := range p.rejectIf {
		v, ok := c.path.lookup(row)
		present := ok && !isEmpty(v)
		if s, isStr := v.(string); isStr && strings.EqualFold(strings.TrimSpace(s), "null") {
			present = false
		}
		if present == c.Present {
			reason := c.Reason
			if reason == "" && c.Present {
				reason = fmt.Sprintf("%s is set: not migrated", c.From)
			} else if reason == "" {
				reason = fmt.Sprintf("%s is empty: not migrated", c.From)
			}
			out.addProblem(ProblemRejected, "", reason)
		}
	}
}

// password applies the password policy to one hash: it returns the hash to
// send, or notes the drop, or adds the problem.
func (p *Plan) password(out *Prepared, field, label, hash string, fam HashFamily) (string, bool) {
	if h, ok := importableHash(hash); ok {
		return h, true
	}
	switch {
	case fam == HashPlaintext:
		out.addProblem(ProblemPassword, field, label+" is in clear text, not a hash: set passwords.plaintext: hash in the mapping to bcrypt-hash it locally, or remove "+field+" from the mapping")
	case !fam.IsHash():
		out.addProblem(ProblemPassword, field, label+" hash is not a valid bcrypt hash")
	case p.mapping.Passwords.Unsupported == PasswordsReject && fam == HashBcryptBroken:
		out.addProblem(ProblemPassword, field, label+" hash is not a valid bcrypt hash")
	case p.mapping.Passwords.Unsupported == PasswordsReject:
		out.addProblem(ProblemPassword, field, fmt.Sprintf("%s hash is %s, which Authgear cannot import (bcrypt only)", label, fam))
	case fam == HashBcryptBroken:
		out.Notes = append(out.Notes, fmt.Sprintf("%s dropped: the bcrypt hash is malformed (truncated, of the wrong length or with a cost out of range), which Authgear cannot import; the user must set a new %s", label, label))
	case fam == HashPlaceholder:
		out.Notes = append(out.Notes, fmt.Sprintf("%s dropped: the export holds a placeholder, not a hash of the user's %s; the user must set a new %s", label, label, label))
	default:
		out.Notes = append(out.Notes, fmt.Sprintf("%s dropped: %s hashes cannot be imported; the user must set a new %s", label, fam, label))
	}
	return "", false
}

// hashPlaintext takes a clear-text password (passwords.plaintext: hash)
// for bcrypt, which hashes it when the record is first sent or written
// (plainhash.go), not here: a pass that sends nothing never pays for it.
// The password itself never reaches a message.
func (p *Plan) hashPlaintext(out *Prepared, row *Row, pw string) (*lazyHash, bool) {
	if len(pw) > MaxPlaintextPassword {
		out.addProblem(ProblemPassword, "password.password_hash", "password in clear text could not be bcrypt-hashed (longer than 72 bytes)")
		return nil, false
	}
	out.PasswordHashedLocally = true
	out.Notes = append(out.Notes, "password was in clear text: bcrypt-hashed locally before sending")
	return &lazyHash{plain: pw, row: row.Num, cache: p.hashes}, true
}

func hasProblem(p *Prepared, field string) bool {
	for _, pr := range p.Problems {
		if pr.Field == field {
			return true
		}
	}
	return false
}

// rawIdentifier returns the identifier's source value for the report when
// it could not be normalised.
func rawIdentifier(p *Plan, row *Row) string {
	for _, f := range p.fields {
		if f.target.Key == string(p.mapping.Identifier) && f.path != nil {
			if v, ok := f.path.lookup(row); ok {
				return strings.TrimSpace(scalarString(v))
			}
		}
	}
	return ""
}

// normalizeAndCheck normalises a string field in place and returns what
// is wrong with it (a *fieldCheckError, which says why in a word, when the
// format alone does not), without the field's label. row gives a phone its
// region (phone.region_from).
func (p *Plan) normalizeAndCheck(t *Target, s *string, row *Row) error {
	if t.format == "password" {
		return nil // the password policy checks it (Plan.password)
	}
	if err := checkText(*s); err != nil {
		return withReason(textReason(*s), err)
	}
	var err error
	switch t.format {
	case "email":
		*s = NormalizeEmail(*s)
		err = checkEmail(*s)
	case "phone":
		var e164 string
		if e164, err = p.normalizePhone(*s, row, ""); err == nil {
			*s = e164
		}
	case "username":
		*s = NormalizeUsername(*s, p.mapping.UsernameCaseSensitive)
		if err = checkUsername(*s); err != nil {
			err = withReason(usernameReason(*s), err)
		} else if !p.mapping.AllowReservedUsernames && isReservedUsername(*s) {
			err = withReason(DropReserved, errReservedUsername)
		}
	case "uri":
		err = checkURI(*s)
	case "picture":
		err = checkPicture(*s)
	case "birthdate":
		err = checkBirthdate(*s)
	case "zoneinfo":
		err = checkZoneinfo(*s)
	case "locale":
		err = checkLocale(*s)
	case "datetime":
		err = checkDateTime(*s)
	case "totp":
		err = checkTOTP(*s)
	}
	return err
}

func toText(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case e164Phone:
		return string(t), nil
	case json.Number:
		return t.String(), nil
	case bool:
		return "", errors.New("is a boolean, not text")
	case []any:
		if len(t) == 1 {
			return toText(t[0])
		}
		return "", fmt.Errorf("is a list of %d values, not one (add the first transform)", len(t))
	case map[string]any:
		if x, ok := extendedJSONValue(t); ok { // {"$oid": ...}, {"$date": ...}
			return toText(x)
		}
		return "", errors.New("is an object, not text (map one of its keys with a path)")
	}
	return scalarString(v), nil
}

func toStringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		l, _ := tSplit(t, "", nil)
		return toStringList(l)
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, err := toText(e)
			if err != nil {
				return nil, fmt.Errorf("has an element that %v", err)
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case json.Number:
		return []string{t.String()}, nil
	}
	return nil, fmt.Errorf("is %s, not a list", withArticle(jsonType(v)))
}

// withArticle puts "a" or "an" before a type name.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// checkJSONText applies checkText to every string and key of a JSON value
// (custom attributes may be objects and lists).
func checkJSONText(v any) error {
	switch t := v.(type) {
	case string:
		return checkText(t)
	case []any:
		for _, e := range t {
			if err := checkJSONText(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range t {
			if err := checkText(k); err != nil {
				return err
			}
			if err := checkJSONText(e); err != nil {
				return err
			}
		}
	}
	return nil
}
