package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzJSONStream checks the reading of a JSON document that starts with
// an object (a stream of documents, a wrapper, a single record) against
// encoding/json, which decodes the same bytes as a reference:
//
//	go test ./importer -run '^$' -fuzz FuzzJSONStream -fuzztime 3m
func FuzzJSONStream(f *testing.F) {
	for _, s := range []string{
		"{\"email\":\"a@x.io\"}\n{\"email\":\"b@x.io\"}\n",
		"{\n \"email\" : \"a@x.io\",\n \"_id\" : {\"$oid\" : \"5f\"}\n}\n{\n \"email\" : \"b@x.io\"\n}",
		"{\"a\":1}{\"a\":2} {\"a\":3}\t{\"a\":4}",
		"{\"a\":1}\n42\n\"x\"\n[1]\n{\"a\":2}",
		"{\"a\":1}\n{\"a\":",
		"{\"a\":1}]",
		"{\"users\":[{\"email\":\"a@x.io\"}],\"users\":[{\"email\":\"b@x.io\"},{\"email\":\"c@x.io\"}]}",
		"{\"orgs\":[{\"name\":\"o\"}],\"users\":[{\"email\":\"a@x.io\"}],\"n\":{\"x\":[1,{\"y\":2}]}}",
		"{\"admins\":[{\"email\":\"a@x.io\"}],\"staff\":[{\"email\":\"b@x.io\"}]}",
		"{\"users\":[{\"a\":1}],\"users\":null}",
		"{\"email\":\"a@x.io\",\"identities\":[{\"provider\":\"g\"}]}",
		"{\"users\":[]} ",
		"{\"users\":[1,{\"email\":\"a@x.io\"}]} x",
		"{}",
		"{} {}",
		"{\"Users\":[{\"Username\":\"u1\"}]}\n{\"Users\":[]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		src, err := NewSource(bytes.NewReader(data), "fuzz.json", SourceOptions{Format: FormatJSON})
		var rows []*Row
		if err == nil {
			rows, err = drain(t, src)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
		}
		if firstByte(data) != '{' || bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) || bytes.HasPrefix(data, []byte("\xFE\xFF")) || bytes.HasPrefix(data, []byte("\xFF\xFE")) {
			return
		}
		// The reference: the documents encoding/json reads one after
		// another, up to the first it cannot.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var docs []any
		var refErr error
		for {
			var v any
			if e := dec.Decode(&v); e != nil {
				if e != io.EOF {
					refErr = e
				}
				break
			}
			docs = append(docs, v)
		}
		if len(docs) == 0 {
			if err == nil {
				t.Fatalf("read %d rows of a document encoding/json refuses (%v)", len(rows), refErr)
			}
			return
		}
		first, _ := docs[0].(map[string]any)
		if first == nil {
			t.Fatalf("a document that starts with '{' decodes to %T", docs[0])
		}
		objects := func(vs []any) {
			t.Helper()
			if len(rows) != len(vs) {
				t.Fatalf("%d rows, encoding/json reads %d records (error %v, reference error %v)", len(rows), len(vs), err, refErr)
			}
			for i, v := range vs {
				obj, ok := v.(map[string]any)
				if !ok {
					if rows[i].Err == nil || !errors.Is(rows[i].Err, ErrNotObject) {
						t.Fatalf("row %d: %v for a %T", i+1, rows[i].Err, v)
					}
					continue
				}
				if rows[i].Err != nil || !reflect.DeepEqual(rows[i].Object, obj) {
					t.Fatalf("row %d: %v %v, encoding/json reads %v", i+1, rows[i].Object, rows[i].Err, obj)
				}
			}
		}
		if len(docs) > 1 || refErr != nil {
			// A stream: every document read is a record, then the
			// error where encoding/json stops, if it does. (A first
			// document followed by something that is not an object may
			// also end at the first document as trailing data.)
			if src == nil && errors.Is(err, ErrNoRecords) {
				return // pages of a listing one after another: refused
			}
			if src == nil || src.RecordsKey() != "" {
				if refErr == nil && len(docs) > 1 {
					if _, ok := docs[1].(map[string]any); ok {
						t.Fatalf("a stream of objects read under key %v (%v)", src != nil, err)
					}
				}
				return
			}
			if (refErr != nil) != (err != nil) {
				if !(err != nil && errors.Is(err, ErrTrailingData) && len(rows) == 1) {
					t.Fatalf("error %v, encoding/json's %v", err, refErr)
				}
			}
			if err != nil && errors.Is(err, ErrTrailingData) {
				objects(docs[:1])
				return
			}
			objects(docs)
			return
		}
		// One document: the record itself, or the elements of the
		// array the loader chose (the last occurrence of its key, as
		// encoding/json keeps).
		if err != nil {
			var ke *RecordsKeyError
			if !errors.As(err, &ke) {
				t.Fatalf("one well-formed document: %v", err)
			}
			return
		}
		if key := src.RecordsKey(); key != "" {
			arr, ok := first[key].([]any)
			if !ok {
				t.Fatalf("records under %q, which holds %T", key, first[key])
			}
			objects(arr)
			return
		}
		objects(docs)
	})
}
