package importer

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// decoderJSONCell is parseJSONCell without quickJSONCell: encoding/json.
func decoderJSONCell(t string) (any, bool) {
	d := json.NewDecoder(strings.NewReader(t))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || strings.TrimSpace(t[d.InputOffset():]) != "" {
		return nil, false
	}
	return v, true
}

// checkQuickJSONCell: whenever quickJSONCell is sure, encoding/json
// accepts the cell and decodes the same value.
func checkQuickJSONCell(t *testing.T, cell string) bool {
	t.Helper()
	v, sure := quickJSONCell(cell)
	if !sure {
		return false
	}
	want, ok := decoderJSONCell(cell)
	if !ok || !reflect.DeepEqual(v, want) {
		t.Fatalf("quickJSONCell(%q) = %#v, encoding/json: %#v, %v", cell, v, want, ok)
	}
	return true
}

func TestQuickJSONCell(t *testing.T) {
	sure := []string{`{}`, `[]`, `{"plan":"pro","score":12}`, `{"a":{"b":[1,-2.5e+3,"x",true,false,null]}}`,
		`[ 1 , 2 ]`, "{\n\t\"a\" : 0.5E-1\r}", `{"a":1,"a":2}`, `[[[[]]]]`, `{"é":"日本"}`, `[-0,0e0,1E9]`}
	for _, c := range sure {
		if !checkQuickJSONCell(t, c) {
			t.Errorf("quickJSONCell(%q) is not sure", c)
		}
	}
	// Left to encoding/json: malformed, escapes, control characters,
	// invalid UTF-8, trailing text, deep nesting.
	unsure := []string{`{`, `[1,]`, `{"a"}`, `{"a":01}`, `[1.]`, `[1e]`, `[-]`, `{"a":"b\"c"}`, `["\u00e9"]`, "[\"a\tb\"]",
		"[\"\xff\"]", `{} {}`, `[1] x`, `[tru]`, `[nul]`, `{"a":1,}`, `{1:2}`, strings.Repeat("[", 1002) + strings.Repeat("]", 1002)}
	for _, c := range unsure {
		if _, ok := quickJSONCell(c); ok {
			t.Errorf("quickJSONCell(%q) is sure", c)
		}
	}
	// Random cells from JSON's own pieces.
	r := rand.New(rand.NewPCG(21, 22))
	pieces := []string{"{", "}", "[", "]", ",", ":", `"a"`, `"b"`, `""`, "1", "-0", "2.5", "1e3", "0", "01", "true", "null", "false", " ", "\n", `"\n"`, `"é"`, "\"\x01\"", "x"}
	n := 0
	for i := 0; i < 100_000; i++ {
		var b strings.Builder
		b.WriteString([]string{"{", "["}[r.IntN(2)])
		for k := r.IntN(10); k > 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if checkQuickJSONCell(t, b.String()) {
			n++
		}
	}
	if n < 100 {
		t.Fatalf("quickJSONCell was sure of only %d random cells", n)
	}
}

func FuzzQuickJSONCell(f *testing.F) {
	for _, s := range []string{`{"plan":"pro","score":12}`, `[1,2,{"a":null}]`, `{"a":"\u00e9"}`, `[01]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkQuickJSONCell(t, s)
	})
}
