package importer

import (
	"encoding/json"
	"unicode/utf8"
)

// quickJSONCell decodes t, a trimmed cell that starts with '{' or '[', as
// encoding/json's Decoder with UseNumber does, without the Decoder's own
// allocations (its buffer and state: most of what a JSON metadata column
// costs per row). It handles the common case only: sure is false, and the
// caller must use encoding/json, whenever t is not one well-formed JSON
// value, nests deeper than 1000, or holds a string with an escape, a
// control character or invalid UTF-8 (which encoding/json would decode or
// replace). When sure, v is what encoding/json gives: map[string]any,
// []any, string, json.Number, bool or nil, a later duplicate key winning.
func quickJSONCell(t string) (v any, sure bool) {
	p := jsonCellParser{s: t}
	v, ok := p.value(0)
	if !ok || p.i != len(p.s) {
		return nil, false
	}
	return v, true
}

type jsonCellParser struct {
	s string
	i int
}

func (p *jsonCellParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonCellParser) value(depth int) (any, bool) {
	if p.i >= len(p.s) || depth > 1000 {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		m := make(map[string]any)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, true
		}
		for {
			p.ws()
			k, ok := p.str()
			if !ok {
				return nil, false
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, false
			}
			p.i++
			p.ws()
			e, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			m[k] = e
			if more, ok := p.sep('}'); !ok {
				return nil, false
			} else if !more {
				return m, true
			}
		}
	case c == '[':
		p.i++
		a := make([]any, 0)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return a, true
		}
		for {
			p.ws()
			e, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			a = append(a, e)
			if more, ok := p.sep(']'); !ok {
				return nil, false
			} else if !more {
				return a, true
			}
		}
	case c == '"':
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		return s, true
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range [...]struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(p.s)-p.i >= len(lit.text) && p.s[p.i:p.i+len(lit.text)] == lit.text {
			p.i += len(lit.text)
			return lit.v, true
		}
	}
	return nil, false
}

// str reads a string without escapes, control characters or invalid UTF-8.
// sep reads what follows an element of an object or array: a comma (more
// elements) or the closing bracket (none); anything else is not JSON.
func (p *jsonCellParser) sep(close byte) (more, ok bool) {
	p.ws()
	if p.i >= len(p.s) {
		return false, false
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return true, true
	case close:
		p.i++
		return false, true
	}
	return false, false
}

func (p *jsonCellParser) str() (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			s := p.s[start:j]
			if !utf8.ValidString(s) {
				return "", false
			}
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// number reads a number of JSON's grammar as a json.Number of its text.
func (p *jsonCellParser) number() (any, bool) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.s[start:p.i]), true
}
