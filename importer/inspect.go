package importer

import (
	"context"
	"encoding/json"
	"strings"
)

// A Viewer shows the values of an export's columns or paths, for a front
// end that displays rows (the wizard's load and map steps).
type Viewer struct {
	paths map[string]*Path
	cols  []string
	csv   bool
}

// NewViewer reads values of src's rows.
func NewViewer(src *Source) *Viewer {
	return &Viewer{paths: map[string]*Path{}, cols: src.Columns(), csv: src.Format() == FormatCSV}
}

// Value is the text of row's column or path ("" when absent): a string as
// it is, anything else as compact JSON.
func (v *Viewer) Value(row *Row, path string) string {
	p, ok := v.paths[path]
	if !ok {
		p, _ = compilePath(path, v.cols, v.csv)
		v.paths[path] = p
	}
	if p == nil || row == nil {
		return ""
	}
	x, ok := p.lookup(row)
	if !ok || x == nil {
		return ""
	}
	if s, ok := x.(string); ok {
		return s
	}
	b, err := json.Marshal(x)
	if err != nil {
		return scalarString(x)
	}
	return string(b)
}

// FieldValue is the value a prepared record sends for a mapping key
// ("email", "address.locality", "custom_attributes.plan",
// "password.password_hash"), as JSON text, or "" when it sends none.
func FieldValue(p *Prepared, key string) string {
	if p == nil || p.Record == nil {
		return ""
	}
	b, err := p.Record.AppendJSON(nil)
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	var x any = m
	for _, part := range strings.Split(key, ".") {
		obj, ok := x.(map[string]any)
		if !ok {
			return ""
		}
		if x, ok = obj[part]; !ok {
			return ""
		}
	}
	out, _ := json.Marshal(x)
	return string(out)
}

// CountRecords counts the records of input the way m reads it (a fast pass
// that maps nothing), stopping when ctx ends. The count so far arrives
// through events (nil: none) as Counting, every CountingEvery records, and
// the total as Counted once the whole input is read.
func CountRecords(ctx context.Context, input string, m *Mapping, events func(Event)) (int, error) {
	ev := newEventSink(events)
	n := 0
	err := eachRow(ctx, input, m, func(*Row) error {
		n++
		if n%CountingEvery == 0 {
			ev.emit(Counting{Records: n})
		}
		return nil
	})
	if err == nil {
		ev.emit(Counted{Total: n})
	}
	return n, err
}
