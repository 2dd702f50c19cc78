package importer

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// NotMappingError is returned by ReadMapping for a file that is not a
// mapping at all (a users.csv or a JSON export given by mistake). It says
// what the file seems to be and never quotes it: a YAML error would print
// the file's first line or its keys, which are users' data.
type NotMappingError struct {
	// Name is the file's name as given.
	Name string
	// Seems is what the file seems to be: "a CSV file of 7 columns".
	Seems string
}

func (e *NotMappingError) Error() string {
	return fmt.Sprintf("%s: not a mapping file: it seems to be %s", Printable(e.Name), e.Seems)
}

// mappingKeys are the top-level keys of a mapping file.
var mappingKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeOf(Mapping{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}()

// mappingReadError is the error of decoding data as a mapping: a
// *NotMappingError when the file is not a mapping at all (nothing of it
// quoted), else the YAML error of a mapping with mistakes, which names
// its keys and values (a mapping's, not users' data).
func mappingReadError(name string, data []byte, err error) error {
	if seems := notAMapping(data); seems != "" {
		return &NotMappingError{Name: name, Seems: seems}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// notAMapping says what data seems to be when it cannot be a mapping file
// (a mapping is a YAML object with at least one of the mapping's keys), or
// "" when it may be one with mistakes.
func notAMapping(data []byte) string {
	if !utf8.Valid(data) || bytes.ContainsFunc(data, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) {
		return "a binary file"
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		if csv := csvLike(data); csv != "" {
			return csv
		}
		if err != nil {
			return "" // YAML with a syntax error: the error says where
		}
		return "empty"
	}
	n := doc.Content[0]
	switch n.Kind {
	case yaml.SequenceNode:
		return fmt.Sprintf("a list of %d items (a JSON or YAML export of users?)", len(n.Content))
	case yaml.ScalarNode:
		if csv := csvLike(data); csv != "" {
			return csv
		}
		return "a text file"
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if mappingKeys[n.Content[i].Value] {
				return ""
			}
		}
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			return "a JSON object without any key of a mapping (an export of users?)"
		}
		return "a YAML object without any key of a mapping (fields, identifier, source...)"
	}
	return ""
}

// csvLike says "a CSV file of N columns" when data's first line reads as
// a header of several columns (comma, semicolon or tab separated) and not
// as YAML ("key: value").
func csvLike(data []byte) string {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	first = bytes.TrimSuffix(first, []byte("\r"))
	if bytes.Contains(first, []byte(": ")) || bytes.HasSuffix(first, []byte(":")) || bytes.HasPrefix(bytes.TrimSpace(first), []byte("#")) {
		return ""
	}
	for _, sep := range []string{",", ";", "\t"} {
		if n := bytes.Count(first, []byte(sep)); n >= 1 {
			kind := "CSV"
			if sep == "\t" {
				kind = "tab-separated"
			}
			return fmt.Sprintf("a %s file of %d columns (an export of users?)", kind, n+1)
		}
	}
	return ""
}
