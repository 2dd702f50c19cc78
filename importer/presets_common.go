package importer

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// RollingMigrationGuide is Authgear's migration guide, whose "Rolling
// deployment" strategy is the way to keep passwords that cannot be
// imported: the old system keeps checking them until each user has signed
// in through Authgear. (authgear/docs: migration/README.md.)
const RollingMigrationGuide = "https://docs.authgear.com/migration (Migration Strategies: Rolling deployment)"

// NewPasswordAdvice is what users without an importable password must do.
const NewPasswordAdvice = "must set a new password through the forgot-password flow or sign in with a passwordless login (email or SMS one-time code, magic link)"

// PasswordNotes says in plain words what becomes of the password hashes of
// families seen in an export: how many import and how many cannot, why,
// what those users must do, and where the way to keep them is described.
// total is how many records were looked at; ofSample says the counts are of
// the first records only. The replay summary can use it with
// PrepareStats.HashFamilies.
func PasswordNotes(families map[HashFamily]int, total int, policy string, ofSample bool) []string {
	var notes []string
	what := "records"
	if ofSample {
		what = fmt.Sprintf("first %d records", total)
	}
	var fams []HashFamily
	bad := 0
	for f, n := range families {
		if f == HashBcrypt || n == 0 {
			continue
		}
		fams = append(fams, f)
		if f.IsHash() {
			bad += n
		}
	}
	sort.Slice(fams, func(i, j int) bool {
		if families[fams[i]] != families[fams[j]] {
			return families[fams[i]] > families[fams[j]]
		}
		return fams[i] < fams[j]
	})
	if n := families[HashBcrypt]; n > 0 {
		notes = append(notes, fmt.Sprintf("passwords: %d of the %s %s a bcrypt hash, which Authgear imports as it is: %s", n, what, has(n), keepPhrase(n)))
	}
	for _, f := range fams {
		n := families[f]
		if f == HashPlaintext {
			notes = append(notes, fmt.Sprintf("passwords: %d of the %s %s a password in clear text, not a hash: bcrypt-hashed locally under passwords.plaintext: hash, else reported invalid", n, what, has(n)))
			continue
		}
		if !f.IsHash() {
			notes = append(notes, fmt.Sprintf("passwords: %d of the %s %s a password value that is not a recognised hash (%s): reported invalid; fix or remove the value", n, what, has(n), f))
			continue
		}
		notes = append(notes, fmt.Sprintf("passwords: %d of the %s %s %s hashes, which Authgear cannot import (it takes bcrypt only)%s", n, what, has(n), f, hashWhy(f)))
	}
	if ofSample && len(notes) > 0 {
		notes = append(notes, fmt.Sprintf("these password counts are of the first %d records only (a sample); a dry run counts the whole file", total))
	}
	if bad > 0 {
		those, are := fmt.Sprintf("those %d users", bad), "are"
		if bad == 1 {
			those, are = "that user", "is"
		}
		if ofSample {
			those, are = fmt.Sprintf("those users (%d in the sample)", bad), "are"
		}
		if policy == PasswordsReject {
			notes = append(notes, fmt.Sprintf("with passwords.unsupported: reject %s %s not imported; with drop they would be imported without a password and %s", those, are, NewPasswordAdvice))
		} else {
			notes = append(notes, fmt.Sprintf("%s %s imported without a password (passwords.unsupported: drop) and %s; to keep their old passwords instead, use Authgear's rolling migration: %s", those, are, NewPasswordAdvice, RollingMigrationGuide))
		}
	}
	return notes
}

func has(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

func keepPhrase(n int) string {
	if n == 1 {
		return "that user keeps the password"
	}
	return "those users keep their passwords"
}

// hashWhy adds why a family cannot be carried over, where it is not obvious.
func hashWhy(f HashFamily) string {
	switch f {
	case HashFirebaseScrypt:
		return ": Firebase's modified scrypt needs the project's secret signer key to verify"
	case HashPlaceholder:
		return ": the value stands where a hash would be (an emulator's fake hash or a redacted sample) and holds no password Authgear could check"
	case HashBcrypt2x:
		return ": $2x$ hashes come from a buggy bcrypt implementation and would not verify"
	case HashDjangoBcrypt:
		return ": the password was SHA-256 hashed before bcrypt, so plain bcrypt would not verify it"
	case HashWordPressBcrypt:
		return ": WordPress 6.8 hashes the password with HMAC-SHA384 before bcrypt, so plain bcrypt would not verify it"
	case HashBcryptPart:
		return ": the cost and salt are kept in other fields; map the field with the bcrypt_salt and bcrypt_cost transforms to import it whole"
	}
	return ""
}

// presetReport collects what a preset did.
type presetReport struct {
	rep   *SuggestReport
	title string
	// sample, when set, is the input read the way the mapping reads it,
	// opened by the preset (finishPreset then does not open it again).
	sample *Source
}

func newPresetReport(title string) *presetReport {
	return &presetReport{rep: &SuggestReport{}, title: title}
}

// set maps key from `from` and records why.
func (r *presetReport) set(m *Mapping, key, from string, ts ...Transform) {
	m.Set(key, from, ts...)
	r.rep.Suggestions = append(r.rep.Suggestions, Suggestion{Field: key, From: from, Why: r.title + " export format"})
}

// setFound maps key from a column or path the preset found, and does
// nothing when it found none (from is "").
func (r *presetReport) setFound(m *Mapping, key, from string, ts ...Transform) {
	if from != "" {
		r.set(m, key, from, ts...)
	}
}

func (r *presetReport) note(format string, args ...any) {
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(format, args...))
}

// noteWith adds a note that advises remedy, which each front end words.
func (r *presetReport) noteWith(remedy Remedy, format string, args ...any) {
	r.rep.noteWith(remedy, fmt.Sprintf(format, args...))
}

// newPresetMapping starts a mapping that reads src as it was opened.
func newPresetMapping(src *Source, o SuggestOptions, preset string) *Mapping {
	id := o.Identifier
	if id == "" {
		id = IdentifierEmail
	}
	m := NewMapping(id)
	m.Preset = preset
	m.Source = sourceSpecOf(src)
	m.Passwords.Unsupported = PasswordsDrop
	if o.HashPlaintext {
		m.Passwords.Plaintext = PlaintextHash
	}
	return m
}

// PlaintextWarning is said wherever clear-text passwords are found.
const PlaintextWarning = "plaintext passwords should never have existed: treat them as exposed, and delete the export once the import is done"

// checkPlaintextPasswords looks at the sampled values the mapping takes as
// password hashes. When most are passwords in clear text, it leaves the
// field unmapped with a note, or, under passwords.plaintext: hash, says
// that they are bcrypt-hashed locally. A few clear-text values among
// hashes are only counted in a note.
func checkPlaintextPasswords(src *Source, m *Mapping, rep *SuggestReport) {
	const key = "password.password_hash"
	reviewPasswordColumn(src, m, rep)
	f := m.Fields[key]
	if f == nil || f.From == "" {
		return
	}
	for _, t := range f.Transforms {
		switch t.Name {
		case "hasher", "hashed_with", "salted", "bcrypt_salt", "bcrypt_cost":
			return // the export names its algorithm, or keeps the hash in parts
		}
	}
	vals := sampleValues(src, f.From)
	plain := 0
	for _, v := range vals {
		if RecogniseHash(v) == HashPlaintext {
			plain++
		}
	}
	col := f.From
	switch {
	case plain == 0:
		return
	case m.Passwords.Plaintext == PlaintextHash:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%q holds passwords in clear text (%d of the %d sampled values): they are bcrypt-hashed locally (cost %d) before sending (passwords.plaintext: hash), so those users keep their passwords; %s", col, plain, len(vals), PlaintextBcryptCost, PlaintextWarning))
	case plain*2 < len(vals):
		rep.Notes = append(rep.Notes, fmt.Sprintf("%q holds %d passwords in clear text among %d sampled hashes: those records are reported invalid unless passwords.plaintext: hash is set (they are then bcrypt-hashed locally); %s", col, plain, len(vals), PlaintextWarning))
	default:
		delete(m.Fields, key)
		kept := rep.Suggestions[:0]
		for _, s := range rep.Suggestions {
			if s.Field != key {
				kept = append(kept, s)
			}
		}
		rep.Suggestions = kept
		rep.noteWith(RemedyHashPlaintext, fmt.Sprintf("%q holds passwords in clear text, not hashes (%d of the %d sampled values): it is not mapped, and those users are imported without a password. To keep them, hash them locally (passwords.plaintext: hash, with %s mapped from %q): they are then bcrypt-hashed before sending; %s", col, plain, len(vals), key, col, PlaintextWarning))
	}
}

// finishPreset completes the report: unmapped columns, what the sampled
// records show (identifiers, values Authgear would refuse, password hash
// families), the preset's limits, and the check that the mapping is
// complete. When the mapping reads the file differently from src (no
// header, another records array, a joined password file), the sample is
// read again the mapping's way.
func finishPreset(src *Source, m *Mapping, r *presetReport, limits []string) (*Mapping, *SuggestReport, error) {
	if _, ok := m.Fields[string(m.Identifier)]; !ok {
		return nil, nil, fmt.Errorf("%s exports give no %s to use as the identifier: choose another identifier: one of %s", r.title, m.Identifier, strings.Join(mappedIdentifiers(m), ", "))
	}
	if err := m.Check(); err != nil {
		return nil, nil, err
	}
	sample := src
	if r.sample != nil {
		sample = r.sample
	} else if needsReopen(src, m) {
		s, err := OpenInputContext(src.Context(), src.Name(), m)
		switch {
		case err == nil:
			defer s.Close()
			sample = s
		case m.Source.Passwords != nil:
			return nil, nil, fmt.Errorf("%s: read %s with the password file: %w", r.title, src.Name(), err)
		default:
			// Not a file that can be opened again (a stream): the mapping
			// stands, only the counts below are missing.
			r.note("the sampled records could not be read again the way the mapping reads them (%v): no counts of passwords or problems", err)
			r.rep.Unmapped = nil
			for _, l := range limits {
				r.note("not carried over: %s", l)
			}
			return m, r.rep, nil
		}
	}
	checkPlaintextPasswords(sample, m, r.rep)
	settleMissingPaths(sample, m, r.rep)
	suggestPhoneRegion(sample, m, r.rep)
	r.rep.Unmapped = unmappedColumns(sample, m)
	r.rep.Notes = append(r.rep.Notes, laterElementNotes(sample, r.rep.Unmapped)...)
	sort.Slice(r.rep.Suggestions, func(i, j int) bool {
		return targetOrder(r.rep.Suggestions[i].Field) < targetOrder(r.rep.Suggestions[j].Field)
	})
	if err := noteSample(sample, m, r.rep, true); err != nil {
		return nil, nil, fmt.Errorf("%s preset: %w", r.title, err)
	}
	noteLimits(m, r, limits)
	return m, r.rep, nil
}

// addedColumnWhy ends the reason of a field addSuggestedExtras mapped.
const addedColumnWhy = " (a column your application added)"

// noteLimits adds the preset's limits to the notes, except those the
// mapping contradicts: a limit that says a field or a column is not mapped
// while the mapping maps it from a column the application added (roles ←
// role in a Laravel dump) is replaced by a note on what is mapped.
func noteLimits(m *Mapping, r *presetReport, limits []string) {
	type added struct{ field, from string }
	var extras []added
	for _, s := range r.rep.Suggestions {
		if strings.HasSuffix(s.Why, addedColumnWhy) && m.Fields[s.Field] != nil {
			extras = append(extras, added{s.Field, s.From})
		}
	}
	said := map[string]bool{}
	for _, l := range limits {
		var hit []added
		if strings.Contains(l, "not mapped") {
			for _, e := range extras {
				if containsWord(l, e.field) || containsWord(l, e.from) || strings.HasSuffix(e.field, "roles") && containsWord(l, "role") {
					hit = append(hit, e)
				}
			}
		}
		if len(hit) == 0 {
			r.note("not carried over: %s", l)
			continue
		}
		for _, e := range hit {
			if said[e.field] {
				continue
			}
			said[e.field] = true
			extra := ""
			if e.field == "roles" || e.field == "groups" {
				extra = "; " + noteRolesExist
			}
			r.note("%s ← %s: mapped from a column your application added, which a standard export does not have%s", e.field, e.from, extra)
		}
	}
	for _, e := range extras {
		if (e.field == "roles" || e.field == "groups") && !said[e.field] {
			said[e.field] = true
			r.note("%s ← %s: mapped from a column your application added; %s", e.field, e.from, noteRolesExist)
		}
	}
}

// containsWord reports whether s holds w between non-word characters.
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	isWord := func(b byte) bool {
		return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isWord(s[j-1])) && (end == len(s) || !isWord(s[end])) {
			return true
		}
		i = j + 1
	}
}

// noteSample applies the mapping to the sampled records of sample and
// says in rep what it saw: records with no identifier, values of a mapped
// field Authgear would refuse, phone numbers dropped by the policy, and
// (with passwordNotes) the password hash families.
func noteSample(sample *Source, m *Mapping, rep *SuggestReport, passwordNotes bool) error {
	plan, err := CompileFor(m, sample)
	if err != nil {
		return err
	}
	r := &presetReport{rep: rep}
	if n := raggedNote(sample); n != "" {
		r.note("%s", n)
	}
	rows := sample.Sample()
	families := map[HashFamily]int{}
	noID, phones, usernames := 0, 0, 0
	var dropped PrepareStats // the values left out (issue 18), as the run counts them
	type fieldTrouble struct {
		n       int
		example string
	}
	trouble := map[string]*fieldTrouble{}
	var troubleOrder []string
	for _, row := range rows {
		p := plan.Apply(row)
		if p.PasswordFamily != "" {
			families[p.PasswordFamily]++
		}
		dropped.addDropped(p)
		if p.Record != nil && p.Record.PhoneNumber != nil {
			phones++
		}
		if p.Record != nil && p.Record.PreferredUsername != nil {
			usernames++
		}
		seen := map[string]bool{}
		for _, pr := range p.Problems {
			switch {
			case pr.Code == ProblemIdentifierEmpty:
				noID++
			case pr.Field == "password.password_hash", pr.Field == "", seen[pr.Field]:
			default:
				seen[pr.Field] = true
				t := trouble[pr.Field]
				if t == nil {
					t = &fieldTrouble{example: pr.Message}
					trouble[pr.Field] = t
					troubleOrder = append(troubleOrder, pr.Field)
				}
				t.n++
			}
		}
	}
	// The login ID types to enable, for the fields the sample fills.
	lm := *m
	lm.Fields = map[string]*FieldSpec{}
	for k, f := range m.Fields {
		if k == "phone_number" && phones == 0 || k == "preferred_username" && usernames == 0 {
			continue
		}
		lm.Fields[k] = f
	}
	if n := loginIDFieldsNote(&lm); n != "" {
		r.note("%s", n)
	}
	if u := UpsertIgnoredOf(m); u != nil {
		r.note("%s", u)
	}
	whole := sampleIsWholeFile(sample)
	if _, mapped := m.Fields["password.password_hash"]; passwordNotes && mapped && len(rows) > 0 {
		r.rep.Notes = append(r.rep.Notes, PasswordNotes(families, len(rows), m.Passwords.Unsupported, !whole)...)
	}
	if noID > 0 {
		var others []string
		for _, id := range mappedIdentifiers(m) {
			if id != string(m.Identifier) {
				others = append(others, id)
			}
		}
		if len(others) > 0 {
			r.noteWith(RemedyChooseIdentifier, "%d of the %d sampled records %s no %s: reported invalid, as Authgear needs the identifier (or choose another identifier: %s)", noID, len(rows), has(noID), m.Identifier, strings.Join(others, " or "))
		} else {
			r.note("%d of the %d sampled records %s no %s: reported invalid, as Authgear needs the identifier", noID, len(rows), has(noID), m.Identifier)
		}
	}
	for _, f := range troubleOrder {
		t := trouble[f]
		if f == string(m.Identifier) {
			r.note("%d of the %d sampled records %s %s Authgear refuses (%s): reported invalid", t.n, len(rows), has(t.n), withArticle(f), t.example)
			continue
		}
		if tg, ok := LookupTarget(f); ok && tg.format == "phone" {
			r.note("%s", phoneRefusedNote(t.n, len(rows), tg.Label, t.example))
			continue
		}
		r.note("%d of the %d sampled records %s %s Authgear refuses (%s): reported invalid (fields.%s.invalid: reject); set it to drop to import those users without it", t.n, len(rows), has(t.n), withArticle(f), t.example, f)
	}
	for _, n := range DroppedSampleNotes(dropped.DroppedFields, len(rows)) {
		r.note("%s", n)
	}
	return nil
}

// phoneRefusedNote is map's note on n of the sampled records whose phone
// field (phone_number, mfa.phone_number) cannot be read, offering the
// phone.invalid policy.
func phoneRefusedNote(n, sampled int, label, example string) string {
	example, _, _ = strings.Cut(example, ": set ")
	return fmt.Sprintf("%d of the %d sampled records %s a %s that cannot be read (%s): reported invalid; set phone.invalid: drop in the mapping to import those users without it (or phone.default_region when the numbers are local)", n, sampled, has(n), label, example)
}

// needsReopen says whether src was not read the way m reads the file: the
// first CSV row taken as a header when it is data, another records array,
// or a joined password file.
func needsReopen(src *Source, m *Mapping) bool {
	if m.Source.Passwords != nil {
		has := false
		for _, j := range src.Joins() {
			has = has || j == passwordsJoinName
		}
		if !has {
			return true
		}
	}
	if src.Format() == FormatCSV && m.Source.NoHeader == src.HasHeader() {
		return true
	}
	// The loader takes the first array of records unless told which: a
	// file whose records sit under a key is read again with it.
	return m.Source.RecordsKey != "" && src.Format() == FormatJSON
}

func sampleHasObjects(src *Source) bool {
	for _, r := range src.Sample() {
		if r.Object != nil {
			return true
		}
	}
	return false
}

// sampleIsWholeFile reports whether the sampled records are all there is.
func sampleIsWholeFile(src *Source) bool {
	return src.done && src.num == len(src.sample)
}

func mappedIdentifiers(m *Mapping) []string {
	var out []string
	for _, id := range []Identifier{IdentifierEmail, IdentifierPhone, IdentifierUsername} {
		if _, ok := m.Fields[string(id)]; ok {
			out = append(out, string(id))
		}
	}
	return out
}

// unmappedColumns lists the columns (or JSON paths) no field reads.
func unmappedColumns(src *Source, m *Mapping) []string {
	var used []string
	for _, f := range m.Fields {
		if f.From != "" {
			used = append(used, f.From)
		}
		for _, t := range f.Transforms {
			if transforms[t.Name].argPath {
				used = append(used, t.Arg)
			}
		}
	}
	for _, c := range m.RejectIf {
		used = append(used, c.From)
	}
	if m.Phone.RegionFrom != "" {
		used = append(used, m.Phone.RegionFrom)
	}
	isCSV := src.Format() == FormatCSV
	var out []string
	for _, c := range src.Columns() {
		taken := false
		for _, u := range used {
			if u == c || isCSV && (strings.HasPrefix(u, c+".") || strings.HasPrefix(u, c+"[") || strings.HasPrefix(c, u+".") || strings.HasPrefix(c, u+"[")) ||
				!isCSV && pathCovers(src, u, c) {
				taken = true
				break
			}
		}
		if !taken {
			out = append(out, c)
		}
	}
	return out
}

// ---- reading columns for detection and building ----

// columnSet indexes a source's columns by their normalised names (and, for
// JSON, also by the full path).
type columnSet struct {
	src   *Source
	names map[string]string // normName → column
	exact map[string]string // lowercased column → column
}

func columnsOf(src *Source) *columnSet {
	cs := &columnSet{src: src, names: map[string]string{}, exact: map[string]string{}}
	for _, c := range src.Columns() {
		k := strings.TrimPrefix(strings.TrimSpace(c), "'")
		if _, dup := cs.exact[strings.ToLower(k)]; !dup {
			cs.exact[strings.ToLower(k)] = c
		}
		if _, dup := cs.names[normName(k)]; !dup {
			cs.names[normName(k)] = c
		}
	}
	return cs
}

// find returns the first of names that is a column: by exact name (any
// case), then by normalised name.
func (cs *columnSet) find(names ...string) string {
	for _, n := range names {
		if c, ok := cs.exact[strings.ToLower(n)]; ok {
			return c
		}
	}
	for _, n := range names {
		if c, ok := cs.names[normName(n)]; ok {
			return c
		}
	}
	return ""
}

func (cs *columnSet) has(name string) bool { return cs.find(name) != "" }

// count says how many of names are columns.
func (cs *columnSet) count(names ...string) int {
	n := 0
	for _, name := range names {
		if cs.has(name) {
			n++
		}
	}
	return n
}

// hasPrefix reports whether a column starts with prefix (JSON paths such
// as "credentials[0].", or Cognito's "custom:").
func (cs *columnSet) hasPrefix(prefix string) bool {
	for _, c := range cs.src.Columns() {
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(prefix)) {
			return true
		}
	}
	return false
}

// values returns the non-empty sampled values at a column or path, as text
// with a leading "'" (Auth0's CSV escaping) removed.
func sampleValues(src *Source, path string) []string {
	p, err := compilePath(path, src.Columns(), src.Format() == FormatCSV)
	if err != nil {
		return nil
	}
	var out []string
	for _, row := range src.Sample() {
		v, ok := p.lookup(row)
		if !ok || isEmpty(v) {
			continue
		}
		s := strings.TrimSpace(scalarString(v))
		s = strings.TrimPrefix(s, "'")
		if s != "" && !strings.EqualFold(s, "null") {
			out = append(out, s)
		}
	}
	return out
}

// share is the fraction of vals that match re (0 when there are none).
func share(vals []string, re *regexp.Regexp) float64 {
	if len(vals) == 0 {
		return 0
	}
	n := 0
	for _, v := range vals {
		if re.MatchString(v) {
			n++
		}
	}
	return float64(n) / float64(len(vals))
}

// clamp keeps a detection score within 0..100.
func clamp(s int) int {
	if s > 100 {
		return 100
	}
	if s < 0 {
		return 0
	}
	return s
}

// ---- usernames ----

// usernameVerdict decides whether a username column can be mapped: every
// sampled value must be a valid Authgear username, distinct from the
// others, and not an email address (then it is the email again). It
// returns "" when it can, or why not.
func usernameVerdict(src *Source, col string) string {
	vals := sampleValues(src, col)
	if len(vals) == 0 {
		return "no sampled record has one"
	}
	var bad, dups, emails []string
	seen := map[string]bool{}
	for _, v := range vals {
		n := NormalizeUsername(v, false)
		switch {
		case reEmailish.MatchString(v):
			emails = append(emails, v)
		case checkUsername(n) != nil:
			bad = append(bad, v)
		case seen[n]:
			dups = append(dups, v)
		}
		seen[n] = true
	}
	var why []string
	verb := func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	if len(emails) > 0 {
		why = append(why, fmt.Sprintf("%d %s (the email is imported as the email login ID already)", len(emails), verb(len(emails), "is an email address", "are email addresses")))
	}
	if len(bad) > 0 {
		why = append(why, fmt.Sprintf("%d %s not fit Authgear's usernames (letters, digits, '-', '_' and '.' only), such as %q", len(bad), verb(len(bad), "does", "do"), bad[0]))
	}
	if len(dups) > 0 {
		why = append(why, fmt.Sprintf("%d %s used by more than one user, such as %q (a username must be unique)", len(dups), verb(len(dups), "is", "are"), dups[0]))
	}
	return strings.Join(why, "; ")
}

// mapUsername maps preferred_username from col when the sample allows it
// (or the person asked for usernames as the identifier) and says why not
// otherwise.
func mapUsername(src *Source, m *Mapping, r *presetReport, col string) {
	if col == "" {
		return
	}
	why := usernameVerdict(src, col)
	if why == "" || m.Identifier == IdentifierUsername {
		r.set(m, "preferred_username", col, T("trim"))
		if why != "" {
			r.note("usernames from %q are mapped because they are the identifier, but %s: those records will be reported invalid", col, why)
		} else if !sampleIsWholeFile(src) {
			r.note("usernames from %q were checked on the first %d records only; a later record whose username does not fit is reported invalid: remove preferred_username from the mapping to import such users without a username", col, len(src.Sample()))
		}
		return
	}
	if why == "no sampled record has one" {
		return
	}
	r.note("usernames (%q) are not mapped: of the sampled usernames %s; a username that Authgear refuses would make the whole user invalid. Add `preferred_username: %s` to the fields if your project signs users in by username, after cleaning them", col, why, col)
}

// ---- common wording ----

const (
	noteRolesExist  = "roles and groups must exist in the Authgear project (Portal > User Management > Roles / Groups) before the import, with the same keys; a record naming an unknown one fails at import time"
	noteOldIDs      = "Authgear gives each user a new id: the old ids (source.id) are listed beside the new ones in the report (source_id) and an import's id map (REPORT.ids.csv), to rewrite your apps' tables; to keep them in Authgear too, map the id column to a custom attribute (custom_attributes.<name>) defined in the portal"
	noteNoTimes     = "sign-up and last sign-in times: the import record has no field for them"
	noteCustomAttrs = "custom attributes must be defined in the portal (User Profile > Custom Attributes) first: Authgear silently ignores attributes it does not know, and refuses values of the wrong type"
)

// addSuggestedExtras maps the columns an application added to a standard
// users table (Laravel's phone, Devise's first_name, ...) by the generic
// suggestions: only profile fields not mapped yet, from columns the preset
// does not know (known lists the table's own columns, mapped or not).
func addSuggestedExtras(src *Source, m *Mapping, r *presetReport, known []string) {
	sm, srep := Suggest(src, m.Identifier)
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[normName(k)] = true
	}
	used := map[string]bool{}
	for _, f := range m.Fields {
		used[f.From] = true
	}
	for _, s := range srep.Suggestions {
		if isKnown[normName(s.From)] || used[s.From] {
			continue
		}
		if _, done := m.Fields[s.Field]; done {
			continue
		}
		if strings.HasPrefix(s.Field, "password.") || strings.HasPrefix(s.Field, "mfa.") {
			continue
		}
		f := sm.Fields[s.Field]
		m.Set(s.Field, f.From, f.Transforms...)
		used[f.From] = true
		r.rep.Suggestions = append(r.rep.Suggestions, Suggestion{Field: s.Field, From: s.From, Why: s.Why + addedColumnWhy})
	}
}

// raggedNote says what map saw of CSV rows whose field count is not the
// header's ("the header has 36 fields, 12 of the 146 sampled rows have
// 33"), or "" when every sampled row fits. Such rows are reported
// invalid by the run (ErrFieldCount).
func raggedNote(sample *Source) string {
	if sample.Format() != FormatCSV {
		return ""
	}
	rows := sample.Sample()
	byCount := map[int]int{}
	var counts []int
	ragged, firstLine := 0, 0
	for _, r := range rows {
		if r.Err == nil || !errors.Is(r.Err, ErrFieldCount) {
			continue
		}
		if ragged == 0 {
			firstLine = r.Line
		}
		ragged++
		if byCount[len(r.Fields)] == 0 {
			counts = append(counts, len(r.Fields))
		}
		byCount[len(r.Fields)]++
	}
	if ragged == 0 {
		return ""
	}
	sort.Slice(counts, func(i, j int) bool {
		if byCount[counts[i]] != byCount[counts[j]] {
			return byCount[counts[i]] > byCount[counts[j]]
		}
		return counts[i] < counts[j]
	})
	what := "header"
	if !sample.HasHeader() {
		what = "first row"
	}
	list := fmt.Sprintf("%d of the %d sampled rows %s %d", ragged, len(rows), has(ragged), counts[0])
	if len(counts) > 1 {
		var parts []string
		left := ragged
		for i, c := range counts {
			if i == 3 {
				parts = append(parts, fmt.Sprintf("%d %s", left, plural(left, "has another count", "have other counts")))
				break
			}
			parts = append(parts, fmt.Sprintf("%d %s %d", byCount[c], has(byCount[c]), c))
			left -= byCount[c]
		}
		n := len(parts)
		list = fmt.Sprintf("%d of the %d sampled rows do not: %s and %s", ragged, len(rows), strings.Join(parts[:n-1], ", "), parts[n-1])
	}
	why := "a delimiter inside a value that is not quoted, or rows cut short or written by another version of the export"
	if ragged == len(rows) {
		why = "every sampled row differs: the header may not belong to these rows, or the delimiter may be wrong (source.delimiter in the mapping)"
	}
	return fmt.Sprintf("the %s has %d fields, %s (the first on line %d): such rows are reported invalid (wrong number of fields), whatever they hold; check how the file was written: %s",
		what, len(sample.Columns()), list, firstLine, why)
}
