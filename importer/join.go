package importer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// passwordsJoinName is the name under which a joined password export is
// addressed in a mapping ("passwords.passwordHash").
const passwordsJoinName = "passwords"

func init() {
	attachPasswordJoin = attachPasswordFile
}

// attachPasswordFile joins the password export j.File to src: each record
// of src gets the password record whose j.Match equals its j.Key, or, when
// there is none, whose j.AltMatch equals its j.AltKey. The whole password
// export is held in memory, indexed both ways (it is small next to the
// users: one short record per password user).
func attachPasswordFile(src *Source, inputPath string, j *JoinSpec) error {
	if j.Key == "" && j.Match == "" && j.AltKey == "" && j.AltMatch == "" {
		j = auth0PasswordJoin(j.File) // only a file named (replay --passwords): Auth0's way
	}
	idx, err := loadJoinIndex(src.Context(), resolveJoinFile(j.File, inputPath), j)
	if err != nil {
		return err
	}
	return idx.attach(src, j)
}

// attach joins the indexed records to src's.
func (idx *joinIndex) attach(src *Source, j *JoinSpec) error {
	lookup, err := idx.lookupFor(src, j)
	if err != nil {
		return err
	}
	src.AddJoin(passwordsJoinName, lookup)
	return nil
}

// resolveJoinFile finds the joined file: as written (absolute, or relative
// to the working directory), else beside the input, so that a mapping
// saved with a relative name still works from another directory.
func resolveJoinFile(file, inputPath string) string {
	if filepath.IsAbs(file) {
		return file
	}
	if _, err := os.Stat(file); err == nil {
		return file
	}
	beside := filepath.Join(filepath.Dir(inputPath), file)
	if _, err := os.Stat(beside); err == nil {
		return beside
	}
	beside = filepath.Join(filepath.Dir(inputPath), filepath.Base(file))
	if _, err := os.Stat(beside); err == nil {
		return beside
	}
	return file
}

// joinIndex holds the joined records by their match values.
type joinIndex struct {
	file    string
	records int
	byMatch map[string]map[string]any
	byAlt   map[string]map[string]any
	// ambiguous keys name more than one joined record: they join nothing,
	// as a wrong user's password must never be attached.
	ambiguous map[string]bool
	// prefix is the literal start of a templated Match ("auth0|"): a
	// record whose Key has another start (a social login's
	// "google-oauth2|...") is joined by neither way.
	prefix string
}

func loadJoinIndex(ctx context.Context, path string, j *JoinSpec) (*joinIndex, error) {
	if j.Match == "" && j.AltMatch == "" {
		return nil, fmt.Errorf("the password file join names no match path")
	}
	s, err := OpenContext(ctx, path, SourceOptions{})
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	defer s.Close()
	idx := &joinIndex{
		file:      path,
		byMatch:   map[string]map[string]any{},
		byAlt:     map[string]map[string]any{},
		ambiguous: map[string]bool{},
	}
	if i := strings.IndexByte(j.Match, '{'); i > 0 {
		idx.prefix = normJoinKey(j.Match[:i])
	}
	add := func(m map[string]map[string]any, key string, obj map[string]any, tag string) {
		if key == "" {
			return
		}
		if prev, dup := m[key]; dup && !sameRecord(prev, obj) {
			idx.ambiguous[tag+key] = true
			return
		}
		m[key] = obj
	}
	for {
		row, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("password file: %w", err)
		}
		obj := row.Object
		if obj == nil && row.Fields != nil { // a CSV password file
			obj = make(map[string]any, len(row.Fields))
			for i, c := range s.Columns() {
				if i < len(row.Fields) {
					obj[c] = row.Fields[i]
				}
			}
		}
		if obj == nil {
			continue // a broken line: its user simply gets no password
		}
		idx.records++
		add(idx.byMatch, normJoinKey(joinValue(obj, j.Match)), obj, "m:")
		if j.AltMatch != "" {
			add(idx.byAlt, normJoinKey(joinValue(obj, j.AltMatch)), obj, "a:")
		}
	}
	return idx, nil
}

func sameRecord(a, b map[string]any) bool {
	return scalarString(a) == scalarString(b)
}

// lookupFor returns the join function for src's records.
func (idx *joinIndex) lookupFor(src *Source, j *JoinSpec) (func(*Row) (any, bool), error) {
	isCSV := src.Format() == FormatCSV
	compile := func(text string) *Path {
		if text == "" {
			return nil
		}
		p, err := compilePath(text, src.Columns(), isCSV)
		if err != nil {
			return nil
		}
		return p
	}
	key, alt := compile(j.Key), compile(j.AltKey)
	if key == nil && alt == nil {
		return nil, fmt.Errorf("joining %s: the input has neither %q nor %q to join on", idx.file, j.Key, j.AltKey)
	}
	value := func(p *Path, row *Row) string {
		if p == nil {
			return ""
		}
		v, ok := p.lookup(row)
		if !ok {
			return ""
		}
		return normJoinKey(scalarString(v))
	}
	return func(row *Row) (any, bool) {
		k := value(key, row)
		if k != "" && idx.prefix != "" && !strings.HasPrefix(k, idx.prefix) {
			return nil, false // another kind of account: no password of this export is its own
		}
		if k != "" && !idx.ambiguous["m:"+k] {
			if obj, ok := idx.byMatch[k]; ok {
				return obj, true
			}
		}
		if a := value(alt, row); a != "" && !idx.ambiguous["a:"+a] {
			if obj, ok := idx.byAlt[a]; ok {
				return obj, true
			}
		}
		return nil, false
	}, nil
}

// normJoinKey compares join values without case, surrounding space, or the
// "'" Auth0 puts before strings in its CSV exports.
func normJoinKey(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "'")
	return strings.ToLower(strings.TrimSpace(s))
}

// joinValue reads a match value from a joined record. spec is a path
// ("email") or a template with one path in braces ("auth0|{_id}"). Keys
// are matched without regard to case when no key matches exactly (Auth0's
// "_id" and "_ID"), and MongoDB's {"$oid": "..."} stands for its string.
func joinValue(obj map[string]any, spec string) string {
	prefix, path, suffix := "", spec, ""
	if i := strings.IndexByte(spec, '{'); i >= 0 {
		if k := strings.IndexByte(spec[i:], '}'); k > 0 {
			prefix, path, suffix = spec[:i], spec[i+1:i+k], spec[i+k+1:]
		}
	}
	v, ok := lookupLoose(obj, path)
	if !ok && strings.EqualFold(path, "email") {
		// Newer Auth0 password exports list login identifiers instead:
		// "identifiers": [{"type": "email", "value": "..."}].
		v, ok = lookupLoose(obj, "identifiers[type=email].value")
	}
	if !ok {
		return ""
	}
	s := strings.TrimSpace(scalarString(v))
	if s == "" {
		return ""
	}
	return prefix + s + suffix
}

func lookupLoose(obj map[string]any, path string) (any, bool) {
	steps, err := parsePathSteps(path)
	if err != nil {
		return nil, false
	}
	var v any = obj
	for _, st := range steps {
		if st.field != "" {
			arr, _ := v.([]any)
			found := false
			for _, e := range arr {
				if m, ok := e.(map[string]any); ok && strings.EqualFold(scalarString(m[st.field]), st.value) {
					v, found = e, true
					break
				}
			}
			if !found {
				return nil, false
			}
			continue
		}
		if st.index >= 0 {
			arr, ok := v.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			v = arr[st.index]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		next, ok := m[st.key]
		if !ok {
			for k, e := range m {
				if strings.EqualFold(k, st.key) {
					next, ok = e, true
					break
				}
			}
		}
		if !ok {
			return nil, false
		}
		v = next
	}
	if m, ok := v.(map[string]any); ok {
		if oid, ok := m["$oid"]; ok {
			v = oid
		}
	}
	if _, isObj := v.(map[string]any); isObj {
		return nil, false
	}
	return v, true
}
