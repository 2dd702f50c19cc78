package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// A Path addresses a value in a record: a CSV column ("Email"), a nested JSON
// value ("user_metadata.first_name", "identities[0].provider"), or a value
// inside a CSV cell or JSON string that itself holds JSON
// ("raw_user_meta_data.first_name" where the column raw_user_meta_data holds
// a JSON object).
type Path struct {
	text  string
	extra string // key in Row.Extra when the path starts with a joined name
	col   int    // CSV column index, -1 for JSON sources
	steps []step
}

type step struct {
	key   string
	index int // >= 0 for [n]
	// [field=value] picks the first element of a list of objects whose
	// field has that value (credentials[type=password]); [=value], with
	// self set, the first element of a list that is that value
	// (UserMFASettingList[=SMS_MFA]).
	field, value string
	self         bool
}

// String returns the path as written in the mapping.
func (p *Path) String() string { return p.text }

// ParsePath splits "a.b[0].c" into steps. Keys may not be empty.
func parsePathSteps(s string) ([]step, error) {
	var steps []step
	i := 0
	for i < len(s) {
		switch s[i] {
		case '.':
			if i == 0 || i == len(s)-1 {
				return nil, fmt.Errorf("path %q: misplaced '.'", s)
			}
			i++
			continue
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("path %q: missing ']'", s)
			}
			inner := s[i+1 : i+j]
			if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				steps = append(steps, step{index: n})
			} else if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				steps = append(steps, step{key: inner[1 : len(inner)-1], index: -1})
			} else if f, v, ok := strings.Cut(inner, "="); ok {
				steps = append(steps, step{index: -1, field: f, value: v, self: f == ""})
			} else {
				return nil, fmt.Errorf("path %q: %q is not an index", s, inner)
			}
			i += j + 1
			continue
		}
		j := i
		for j < len(s) && s[j] != '.' && s[j] != '[' {
			j++
		}
		steps = append(steps, step{key: s[i:j], index: -1})
		i = j
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	return steps, nil
}

// compilePath resolves a path against a CSV header (columns != nil and csv)
// or for JSON objects. A CSV path whose whole text is a column name is that
// column; otherwise its longest leading part that names a column is the
// column, and the rest addresses JSON inside the cell.
func compilePath(text string, columns []string, isCSV bool) (*Path, error) {
	return compilePathExtra(text, columns, isCSV, nil)
}

// compilePathExtra also resolves paths into joined values: a path whose
// first segment is one of extras ("passwords.passwordHash") reads
// Row.Extra["passwords"].
func compilePathExtra(text string, columns []string, isCSV bool, extras []string) (*Path, error) {
	p := &Path{text: text, col: -1}
	for _, e := range extras {
		if rest, ok := strings.CutPrefix(text, e+"."); ok {
			steps, err := parsePathSteps(rest)
			if err != nil {
				return nil, err
			}
			p.extra, p.steps = e, steps
			return p, nil
		}
	}
	if !isCSV {
		steps, err := parsePathSteps(text)
		if err != nil {
			return nil, err
		}
		p.steps = steps
		return p, nil
	}
	for i, c := range columns {
		if c == text {
			p.col = i
			return p, nil
		}
	}
	// Longest column-name prefix followed by '.' or '['.
	best := -1
	for i, c := range columns {
		if len(c) < len(text) && strings.HasPrefix(text, c) && (text[len(c)] == '.' || text[len(c)] == '[') {
			if best < 0 || len(c) > len(columns[best]) {
				best = i
			}
		}
	}
	if best < 0 {
		return nil, &MissingColumnError{Column: text}
	}
	rest := strings.TrimPrefix(text[len(columns[best]):], ".")
	steps, err := parsePathSteps(rest)
	if err != nil {
		return nil, err
	}
	p.col, p.steps = best, steps
	return p, nil
}

// columnPath is the path of CSV column i named name, as compilePath finds
// it when the column names are unique (they are: see uniqueColumns).
func columnPath(name string, i int) *Path {
	return &Path{text: name, col: i}
}

// MissingColumnError says a mapping names a column the input does not have.
type MissingColumnError struct {
	Field  string
	Column string
}

func (e *MissingColumnError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("field %s: the input has no column %q", e.Field, e.Column)
	}
	return fmt.Sprintf("the input has no column %q", e.Column)
}

// lookup returns the value at p in row, and whether it exists.
func (p *Path) lookup(row *Row) (any, bool) {
	var v any
	if p.extra != "" {
		if row.Extra == nil {
			return nil, false
		}
		var ok bool
		if v, ok = row.Extra[p.extra]; !ok {
			return nil, false
		}
	} else if p.col >= 0 {
		if p.col >= len(row.Fields) {
			return nil, false
		}
		v = row.Fields[p.col]
	} else {
		if row.Object == nil {
			return nil, false
		}
		v = any(row.Object)
	}
	for i, st := range p.steps {
		// A string that holds JSON is entered transparently.
		if s, ok := v.(string); ok {
			var pv any
			if i == 0 && p.extra == "" && p.col >= 0 {
				pv, ok = row.jsonCell(p.col, s)
			} else {
				pv, ok = parseJSONCell(s)
			}
			if !ok {
				return nil, false
			}
			v = pv
		}
		if st.index >= 0 {
			arr, ok := v.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			v = arr[st.index]
			continue
		}
		if st.field != "" || st.self {
			arr, _ := v.([]any)
			found := false
			for _, e := range arr {
				if st.self {
					if _, obj := e.(map[string]any); !obj && scalarString(e) == st.value {
						v, found = e, true
						break
					}
				} else if obj, ok := e.(map[string]any); ok && scalarString(obj[st.field]) == st.value {
					v, found = e, true
					break
				}
			}
			if !found {
				return nil, false
			}
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = obj[st.key]
		if !ok {
			return nil, false
		}
	}
	return v, true
}

// jsonCell is parseJSONCell of CSV cell col, decoded once per row however
// many paths enter it (metadata.plan, metadata.score...). A row is applied
// on one goroutine; the decoded value is only read.
func (r *Row) jsonCell(col int, s string) (any, bool) {
	for _, c := range r.jsonCells {
		if c.col == col {
			return c.v, c.ok
		}
	}
	v, ok := parseJSONCell(s)
	r.jsonCells = append(r.jsonCells, jsonCell{col: col, v: v, ok: ok})
	return v, ok
}

type jsonCell struct {
	col int
	v   any
	ok  bool
}

func parseJSONCell(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	if v, sure := quickJSONCell(t); sure {
		return v, true
	}
	d := json.NewDecoder(strings.NewReader(t))
	d.UseNumber()
	var v any
	// Not d.More(): it reports no more after a stray '}' or ']'.
	if err := d.Decode(&v); err != nil || strings.TrimSpace(t[d.InputOffset():]) != "" {
		return nil, false
	}
	return v, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scalarString turns a scalar JSON value into text. Objects and arrays are
// returned as compact JSON.
func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
