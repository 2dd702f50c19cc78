package importer

import (
	"fmt"
	"strings"
)

// A mapped path that no record has (issue 18 item 10): a mapping that
// says password.password_hash: {from: passwordHash} where the file says
// password_hash imports every user without a password, and nothing else
// would say so. A CSV column the file lacks is refused by Compile already;
// this is the check for JSON paths, paths into JSON inside a cell, and
// paths into a joined file, made on the sampled records.
//
// The rule: a path of the identifier or of the password hash that none
// of the sampled records has refuses the run (*MissingPathError), unless
// the field says optional: true (the records may lack it: the first ones
// happen to); any other mapped path that none has is a warning, in the
// notes of map and of the run. Both name the path and the closest path
// the sampled records do have.

// MissingPath is a path a mapping reads that no sampled record has.
type MissingPath struct {
	// Field is the mapping key ("password.password_hash").
	Field string
	// Path is the path as the mapping writes it.
	Path string
	// Closest is the path of the sampled records nearest to Path (by edit
	// distance), or "" when none is near.
	Closest string
	// Sampled is how many records were looked at.
	Sampled int
	// Matters: the field is the identifier or the password hash, and the
	// mapping does not say it is optional. Such a path refuses the run.
	Matters bool
}

// Consequence says what becomes of the users when the path stays as it is.
func (p MissingPath) Consequence(m *Mapping) string {
	switch {
	case p.Field == string(m.Identifier):
		return fmt.Sprintf("every record would be reported invalid for want of its %s (the identifier)", p.Field)
	case p.Field == passwordHashKey:
		return "every user would be imported without a password"
	case p.Field == sourceIDKey:
		return "no user's old id would be in the report or the id map"
	}
	return fmt.Sprintf("no user gets a %s from it", p.Field)
}

// Message is the warning or refusal, in the mapping's words.
func (p MissingPath) Message(m *Mapping) string {
	closest := ""
	if p.Closest != "" {
		closest = fmt.Sprintf(" (the closest path they have: %q)", p.Closest)
	}
	key := "fields." + p.Field
	if p.Field == sourceIDKey {
		key = p.Field
	}
	s := fmt.Sprintf("%s reads %q, which none of the %d sampled records has%s: %s", key, p.Path, p.Sampled, closest, p.Consequence(m))
	if p.Matters {
		s += fmt.Sprintf("; correct the path in the mapping, or set optional: true on fields.%s if the records may lack it", p.Field)
	}
	return s
}

// MissingPathError refuses a run whose identifier or password hash is
// read from a path no sampled record has.
type MissingPathError struct {
	Paths   []MissingPath
	Mapping *Mapping
}

func (e *MissingPathError) Error() string {
	var parts []string
	for _, p := range e.Paths {
		parts = append(parts, p.Message(e.Mapping))
	}
	return strings.Join(parts, "; and ")
}

const passwordHashKey = "password.password_hash"

// fieldMatters says whether a path of key that no record has refuses the
// run: the identifier and the password hash, unless optional.
func fieldMatters(m *Mapping, key string, f *FieldSpec) bool {
	return (key == string(m.Identifier) || key == passwordHashKey) && !f.Optional
}

// MissingPaths lists the paths m reads (fields and the paths of their
// transforms) that none of src's sampled records has. A path into a
// joined file counts only when some sampled record was joined; records of
// another model (source.model) and records that could not be read are
// not looked at. Nothing is missing when no record was looked at.
func MissingPaths(src *Source, m *Mapping) []MissingPath {
	isCSV := src.Format() == FormatCSV
	var rows []*Row
	for _, r := range src.Sample() {
		if r.Err != nil || !isCSV && r.Object == nil {
			continue
		}
		if model := strings.TrimSpace(m.Source.Model); model != "" {
			if v, _ := r.Object["model"].(string); !strings.EqualFold(strings.TrimSpace(v), model) {
				continue
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil
	}
	var out []MissingPath
	check := func(key, text string, matters bool) {
		p, err := compilePathExtra(text, src.Columns(), isCSV, src.Joins())
		if err != nil || p.col >= 0 && len(p.steps) == 0 {
			return // a CSV column: Compile says when it is missing
		}
		joined := false
		for _, r := range rows {
			if _, ok := p.lookup(r); ok {
				return
			}
			if p.extra != "" && r.Extra != nil {
				_, has := r.Extra[p.extra]
				joined = joined || has
			}
		}
		if p.extra != "" && !joined {
			return // the join found nothing: not a question of the path
		}
		out = append(out, MissingPath{Field: key, Path: text, Closest: closestPath(text, src.Columns()), Sampled: len(rows), Matters: matters})
	}
	for _, key := range m.FieldKeys() {
		f := m.Fields[key]
		if f == nil {
			continue
		}
		if f.From != "" {
			check(key, f.From, fieldMatters(m, key, f))
		}
		for _, t := range f.Transforms {
			if transforms[t.Name].argPath && t.Arg != "" {
				check(key, t.Arg, false)
			}
		}
	}
	if path := m.SourceIDPath(); path != "" {
		check(sourceIDKey, path, false) // a warning (idmap.go)
	}
	return out
}

// CheckMappedPaths is the rule on src's sampled records: the refusal
// (*MissingPathError) when a path that matters is missing, else the
// warnings on the others.
func CheckMappedPaths(src *Source, m *Mapping) (warnings []string, err error) {
	var refuse []MissingPath
	for _, p := range MissingPaths(src, m) {
		if p.Matters {
			refuse = append(refuse, p)
			continue
		}
		warnings = append(warnings, p.Message(m))
	}
	if len(refuse) > 0 {
		return warnings, &MissingPathError{Paths: refuse, Mapping: m}
	}
	return warnings, nil
}

// closestPath is the path among paths nearest to text by edit distance
// (ignoring case), when it is near enough to be a likely misspelling.
func closestPath(text string, paths []string) string {
	want := strings.ToLower(text)
	best, bestD := "", -1
	for _, p := range paths {
		d := editDistance(want, strings.ToLower(p))
		if bestD < 0 || d < bestD {
			best, bestD = p, d
		}
	}
	if bestD < 0 || bestD > max(2, len([]rune(text))/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		if a == b {
			return 0
		}
		return max(len(ra), len(rb))
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// settleMissingPaths is the rule at map time, for a mapping a preset
// wrote from the names its system uses: a field whose path no record of
// the file has is left out (the sample is the whole file: nothing would
// read it); when the sample is only the first records, it is kept, with a
// note, and the identifier's or password's is marked optional so that
// replay does not refuse it for what the first records lack.
func settleMissingPaths(sample *Source, m *Mapping, rep *SuggestReport) {
	whole := sampleIsWholeFile(sample)
	var left []string
	defer func() {
		if len(left) > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("not mapped, as no record of the file has the path: %s", strings.Join(left, ", ")))
		}
	}()
	for _, p := range MissingPaths(sample, m) {
		f := m.Fields[p.Field]
		switch {
		case f == nil:
		case f.From != p.Path:
			rep.Notes = append(rep.Notes, p.Message(m))
		case whole && p.Field != string(m.Identifier):
			delete(m.Fields, p.Field)
			kept := rep.Suggestions[:0]
			for _, s := range rep.Suggestions {
				if s.Field != p.Field {
					kept = append(kept, s)
				}
			}
			rep.Suggestions = kept
			left = append(left, fmt.Sprintf("%s ← %s", p.Field, p.Path))
		case p.Matters && !whole:
			f.Optional = true
			p.Matters = false
			rep.Notes = append(rep.Notes, p.Message(m)+"; kept for the later records and marked optional: true, so that replay does not refuse the mapping for what the first records lack")
		default:
			rep.Notes = append(rep.Notes, p.Message(m))
		}
	}
}
