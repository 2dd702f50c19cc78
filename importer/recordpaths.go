package importer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The paths of nested records (issue 18 items 2 and 3).
//
// Every value of a sampled record gets a path, so that nothing in it is
// invisible to the suggestions, to the list of what is not mapped, and to
// the wizard's choice of columns:
//
//   - a list of name/value pairs (Cognito's Attributes: [{"Name": "email",
//     "Value": ...}], WordPress's meta: [{"meta_key": "first_name",
//     "meta_value": ...}], [{"key": ..., "value": ...}]) is pivoted: its
//     values are addressed by name, Attributes[Name=email].Value, with the
//     selector Path already reads (credentials[type=password]), so that an
//     email is found by its name, not by its position;
//   - any other list of objects is addressed element by element, every
//     element, not only the first: identities[0].provider,
//     identities[1].provider, ...;
//   - a list of scalars is one value (roles: ["a", "b"]).

// pairNameKeys are the normalised keys that name the entry of a
// name/value pair, best first.
var pairNameKeys = []string{"name", "key", "metakey", "attributename", "attribute", "attr", "fieldname", "field", "propertyname", "property", "claimtype", "claim", "type", "label"}

// pairValueKeys are the normalised keys that hold the value of a pair.
var pairValueKeys = []string{"value", "metavalue", "val", "values", "data", "content", "attributevalue", "fieldvalue", "propertyvalue", "claimvalue"}

func isPairValueKey(k string) bool {
	n := normName(k)
	for _, v := range pairValueKeys {
		if n == v {
			return true
		}
	}
	return false
}

// pairShape is how the list at one place of the records is read: by name
// (nameKey set) or by position.
type pairShape struct {
	nameKey string
	// byPosition: some instance is not a list of pairs.
	byPosition bool
	seen       bool
}

// pairName is the text of a pair's name as a selector matches it, and
// whether it can be written in a selector.
func pairName(v any) (string, bool) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	default:
		return "", false
	}
	if s == "" || strings.ContainsAny(s, "]\n\r") {
		return "", false
	}
	return s, true
}

// pairNameKey returns the key of the elements of arr that names each
// pair, or "" when arr is not a list of name/value pairs: every element
// is an object with that key, holding a name that can be written in a
// selector and differs from the other elements' names, and some element
// has a value key beside it.
func pairNameKey(arr []any) string {
	if len(arr) == 0 {
		return ""
	}
	var first map[string]any
	for _, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			return ""
		}
		if first == nil {
			first = obj
		}
	}
	for _, want := range pairNameKeys {
		key := ""
		for _, k := range sortedKeys(first) {
			if normName(k) == want && !isPairValueKey(k) && !strings.ContainsAny(k, "=[]") {
				key = k
				break
			}
		}
		if key == "" {
			continue
		}
		names := map[string]bool{}
		hasValue, ok := false, true
		for _, e := range arr {
			obj := e.(map[string]any)
			n, good := pairName(obj[key])
			if !good || names[n] {
				ok = false
				break
			}
			names[n] = true
			for k := range obj {
				if k != key && isPairValueKey(k) {
					hasValue = true
				}
			}
		}
		if ok && hasValue {
			return key
		}
	}
	return ""
}

// jsonColumns lists the paths of the values of the sampled records in
// first-seen order, at most MaxColumns of them; capped says some were
// left out. A list is pivoted by name only when it is a list of pairs in
// every sampled record that has it (otherwise a name would hide another
// element of the same name): then it is addressed by position.
func jsonColumns(rows []*Row) (cols []string, capped bool) {
	// First, how each list is read, over every sampled record.
	shapes := map[string]*pairShape{}
	var scan func(generic string, v any, depth int)
	scan = func(generic string, v any, depth int) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				p := k
				if generic != "" {
					p = generic + "." + k
				}
				scan(p, e, depth+1)
			}
		case []any:
			if len(t) == 0 || depth >= 6 {
				return
			}
			if _, ok := t[0].(map[string]any); !ok {
				return
			}
			sh := shapes[generic]
			if sh == nil {
				sh = &pairShape{}
				shapes[generic] = sh
			}
			key := pairNameKey(t)
			switch {
			case key == "":
				sh.byPosition = true
			case !sh.seen:
				sh.nameKey = key
			case sh.nameKey != key:
				sh.byPosition = true
			}
			sh.seen = true
			for _, e := range t {
				scan(generic+"[]", e, depth+1)
			}
		}
	}
	for _, r := range rows {
		if r.Object != nil {
			scan("", r.Object, 0)
		}
	}

	seen := map[string]bool{}
	add := func(p string) {
		if p == "" || seen[p] {
			return
		}
		if len(cols) == MaxColumns {
			capped = true
			return
		}
		seen[p] = true
		cols = append(cols, p)
	}
	var walk func(prefix, generic string, v any, depth int)
	walk = func(prefix, generic string, v any, depth int) {
		switch t := v.(type) {
		case map[string]any:
			if depth > 0 && len(t) == 0 {
				break
			}
			for _, k := range sortedKeys(t) {
				p, g := k, k
				if prefix != "" {
					p, g = prefix+"."+k, generic+"."+k
				}
				walk(p, g, t[k], depth+1)
			}
			return
		case []any:
			if len(t) == 0 && shapes[generic] != nil {
				// An empty list where other records have a list of
				// objects: nothing to address.
				return
			}
			if len(t) > 0 && depth < 6 {
				if _, ok := t[0].(map[string]any); ok {
					sh := shapes[generic]
					if sh != nil && !sh.byPosition && sh.nameKey != "" {
						for _, e := range t {
							obj := e.(map[string]any)
							name, _ := pairName(obj[sh.nameKey])
							sel := prefix + "[" + sh.nameKey + "=" + name + "]"
							for _, k := range sortedKeys(obj) {
								if k != sh.nameKey {
									walk(sel+"."+k, generic+"[]."+k, obj[k], depth+2)
								}
							}
						}
						return
					}
					for i, e := range t {
						walk(prefix+"["+strconv.Itoa(i)+"]", generic+"[]", e, depth+1)
					}
					return
				}
			}
		}
		add(prefix)
	}
	for _, r := range rows {
		if r.Object != nil {
			walk("", "", r.Object, 0)
		}
	}
	return cols, capped
}

// pathName is the name a path gives its value, for the suggestions: the
// last key (user_metadata.first_name: first_name), or, for the value of
// a pair, the pair's name (Attributes[Name=email].Value: email).
func pathName(c string, isCSV bool) string {
	if isCSV {
		return c
	}
	steps, err := parsePathSteps(c)
	if err == nil && len(steps) >= 2 {
		last, sel := steps[len(steps)-1], steps[len(steps)-2]
		if sel.field != "" && last.key != "" && isPairValueKey(last.key) {
			return sel.value
		}
	}
	return lastSegment(c, isCSV)
}

// laterElement returns the list a path reads by a position other than
// the first (identities[1].provider: identities), or "".
func laterElement(c string) string {
	steps, err := parsePathSteps(c)
	if err != nil {
		return ""
	}
	for i, st := range steps {
		if st.index > 0 && i > 0 {
			return pathText(steps[:i])
		}
	}
	return ""
}

// pathText writes steps back as a path.
func pathText(steps []step) string {
	var b strings.Builder
	for _, st := range steps {
		switch {
		case st.index >= 0:
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
		case st.field != "":
			b.WriteString("[" + st.field + "=" + st.value + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(st.key)
		}
	}
	return b.String()
}

// laterElementNotes says why the later elements of lists among unmapped
// are not mapped, one note per list, so that no path of the sample is
// left out without a word.
func laterElementNotes(src *Source, unmapped []string) []string {
	if src.Format() == FormatCSV {
		return nil
	}
	var lists []string
	paths := map[string][]string{}
	for _, c := range unmapped {
		l := laterElement(c)
		if l == "" {
			continue
		}
		if paths[l] == nil {
			lists = append(lists, l)
		}
		paths[l] = append(paths[l], c)
	}
	var notes []string
	for _, l := range lists {
		records := 0
		if p, err := compilePath(l, src.Columns(), false); err == nil {
			for _, row := range src.Sample() {
				if v, ok := p.lookup(row); ok {
					if arr, _ := v.([]any); len(arr) > 1 {
						records++
					}
				}
			}
		}
		ps := paths[l]
		notes = append(notes, fmt.Sprintf("%s: %d of the %d sampled records %s more than one element; the %d %s of the later elements (such as %s) %s not mapped: a later element is suggested only for a field the first does not give, as its position need not mean the same thing in every record; map one by its path if it does",
			l, records, len(src.Sample()), has(records), len(ps), plural(len(ps), "path", "paths"), ps[0], plural(len(ps), "is", "are")))
	}
	return notes
}

// pathCovers says whether the mapping's path used reads the value at the
// sampled path col, or a value inside it, or a part of it: the same keys,
// and at each list the same element (a selector and a position are
// compared on the sampled records: credentials[type=password] covers
// credentials[1] when a sampled record's second credential is its
// password).
func pathCovers(src *Source, used, col string) bool {
	if used == col {
		return true
	}
	u, err1 := parsePathSteps(used)
	c, err2 := parsePathSteps(col)
	if err1 != nil || err2 != nil {
		return false
	}
	n := min(len(u), len(c))
	for i := 0; i < n; i++ {
		a, b := u[i], c[i]
		switch {
		case a.key != "" || b.key != "":
			if a.key != b.key || a.index >= 0 || b.index >= 0 || a.field != "" || b.field != "" {
				return false
			}
		case a.index >= 0 && b.index >= 0:
			if a.index != b.index {
				return false
			}
		case a.field != "" && b.field != "" && a.field == b.field:
			if a.value != b.value {
				return false
			}
		default:
			if !sameElement(src, c[:i], a, b) {
				return false
			}
		}
	}
	return true
}

// sameElement says whether, in some sampled record, the steps a and b
// pick the same element of the list at prefix.
func sameElement(src *Source, prefix []step, a, b step) bool {
	if len(prefix) == 0 {
		return false
	}
	p := &Path{col: -1, steps: prefix}
	for _, row := range src.Sample() {
		v, ok := p.lookup(row)
		if !ok {
			continue
		}
		arr, _ := v.([]any)
		if i := pickElement(arr, a); i >= 0 && i == pickElement(arr, b) {
			return true
		}
	}
	return false
}

// pickElement is the position of the element of arr that st picks, or -1.
func pickElement(arr []any, st step) int {
	if st.index >= 0 {
		if st.index < len(arr) {
			return st.index
		}
		return -1
	}
	for i, e := range arr {
		if obj, ok := e.(map[string]any); ok && scalarString(obj[st.field]) == st.value {
			return i
		}
	}
	return -1
}
