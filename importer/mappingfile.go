package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MappingDocument is a mapping file as it was read: the mapping, and the
// YAML document it came from, so that saving it again changes only what
// was edited and keeps the rest (comments, the order of keys, rules the
// front end does not show).
type MappingDocument struct {
	// Path is the file it was read from.
	Path string
	// Mapping is the mapping it holds (checked, defaults filled in).
	Mapping *Mapping
	raw     []byte
	root    *yaml.Node // the top-level mapping node
	read    *Mapping   // Mapping as read, before anyone changed it
}

// ReadMappingDocument reads a mapping file and keeps its document.
func ReadMappingDocument(path string) (*MappingDocument, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	m, err := ReadMapping(bytes.NewReader(data), path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a mapping file is a YAML object", path)
	}
	read, _ := ReadMapping(bytes.NewReader(data), path)
	return &MappingDocument{Path: path, Mapping: m, raw: data, root: doc.Content[0], read: read}, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 16<<20 {
		return nil, fmt.Errorf("%s: larger than 16 MiB: not a mapping file", path)
	}
	return data, nil
}

// MappingExistsError: the file to save to exists and holds something else
// than what would be written, and replacing it was not asked for.
type MappingExistsError struct{ Path string }

func (e *MappingExistsError) Error() string {
	return e.Path + " exists and holds another mapping"
}

// ErrMappingChanged: the mapping file was changed by someone else since
// it was read; saving over it would lose their changes.
var ErrMappingChanged = errors.New("the mapping file was changed since it was read")

// CheckMappingSave says whether m may be saved to path: a new file always;
// an existing file only when it is the document orig was read from and
// is unchanged since, when it already holds the same mapping, or, with
// overwrite, when it is a mapping file. It is the one rule of every front
// end; SaveMapping applies it again.
func CheckMappingSave(path string, m *Mapping, orig *MappingDocument, overwrite bool) error {
	_, err := planMappingSave(path, m, orig, overwrite)
	return err
}

// saveAction is what SaveMapping does after its check.
type saveAction int

const (
	saveWrite   saveAction = iota // write (a new file, or an allowed replacement)
	saveNothing                   // the file already holds this mapping
)

func planMappingSave(path string, m *Mapping, orig *MappingDocument, overwrite bool) (saveAction, error) {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return saveWrite, nil
	}
	if err != nil {
		return 0, err
	}
	if !st.Mode().IsRegular() {
		// A file to save to that is not a mapping is never replaced.
		return 0, &NotMappingError{Name: path, Seems: "not a regular file"}
	}
	data, err := readSmall(path)
	if err != nil {
		return 0, err
	}
	if orig != nil && sameFile(orig.Path, path) {
		if !bytes.Equal(data, orig.raw) && !overwrite {
			return 0, ErrMappingChanged
		}
		if bytes.Equal(data, orig.raw) {
			return saveWrite, nil // the document being edited
		}
	}
	if len(bytes.TrimSpace(data)) > 0 && !looksLikeMapping(data) {
		seems := notAMapping(data)
		if seems == "" {
			seems = "a file without a mapping's keys"
		}
		return 0, &NotMappingError{Name: path, Seems: seems}
	}
	if m != nil {
		if on, err := ReadMapping(bytes.NewReader(data), path); err == nil && sameMapping(on, m) {
			return saveNothing, nil
		}
	}
	if !overwrite {
		return 0, &MappingExistsError{Path: path}
	}
	return saveWrite, nil
}

// looksLikeMapping: a YAML object with fields or an identifier.
func looksLikeMapping(data []byte) bool {
	var doc map[string]any
	if yaml.Unmarshal(data, &doc) != nil {
		return false
	}
	_, f := doc["fields"]
	_, id := doc["identifier"]
	return f || id
}

func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// sameMapping compares two mappings as they are written, defaults filled
// in.
func sameMapping(a, b *Mapping) bool {
	x, y := normalWrite(a), normalWrite(b)
	return x != nil && bytes.Equal(x, y)
}

func normalWrite(m *Mapping) []byte {
	var b bytes.Buffer
	if m.Write(&b) != nil {
		return nil
	}
	c, err := ReadMapping(&b, "")
	if err != nil {
		return b.Bytes()
	}
	b.Reset()
	if c.Write(&b) != nil {
		return nil
	}
	return b.Bytes()
}

// SaveMapping writes m to path (atomically, mode 0644: a mapping holds no
// secret) under the rule of CheckMappingSave. When orig is the document
// being saved back, only the parts of it that differ from what was read
// are rewritten: comments, the order of keys and everything unchanged
// stay as they were. It reports whether the file was written (false when
// it already held m).
func SaveMapping(path string, m *Mapping, orig *MappingDocument, overwrite bool) (bool, error) {
	act, err := planMappingSave(path, m, orig, overwrite)
	if err != nil || act == saveNothing {
		return false, err
	}
	var b bytes.Buffer
	if orig != nil {
		if err := orig.merge(m, &b); err != nil {
			return false, err
		}
	} else if err := m.Write(&b); err != nil {
		return false, err
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return false, err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Abort()
		return false, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Abort()
		return false, err
	}
	return true, f.Commit()
}

// merge writes the document with m's values in place of what changed
// since it was read.
func (d *MappingDocument) merge(m *Mapping, w io.Writer) error {
	var fresh bytes.Buffer
	if err := m.Write(&fresh); err != nil {
		return err
	}
	var nd yaml.Node
	if err := yaml.Unmarshal(fresh.Bytes(), &nd); err != nil {
		return err
	}
	newRoot := nd.Content[0]
	root := cloneNode(d.root)
	for _, key := range unionKeys(root, newRoot) {
		if key == "fields" {
			mergeFields(root, newRoot, d.read.Fields, m.Fields)
			continue
		}
		if reflect.DeepEqual(sectionOf(d.read, key), sectionOf(m, key)) {
			continue // unchanged: kept as written
		}
		setKey(root, key, valueOf(newRoot, key), keyNode(newRoot, key))
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}

// mergeFields changes, adds and removes only the fields that differ.
func mergeFields(root, newRoot *yaml.Node, was, now map[string]*FieldSpec) {
	fields := valueOf(root, "fields")
	nf := valueOf(newRoot, "fields")
	if fields == nil || fields.Kind != yaml.MappingNode {
		setKey(root, "fields", nf, keyNode(newRoot, "fields"))
		return
	}
	if nf == nil {
		nf = &yaml.Node{Kind: yaml.MappingNode}
	}
	for _, k := range unionKeys(fields, nf) {
		if reflect.DeepEqual(was[k], now[k]) {
			continue
		}
		setKey(fields, k, valueOf(nf, k), keyNode(nf, k))
	}
}

// sectionOf is the part of m written under a top-level key.
func sectionOf(m *Mapping, key string) any {
	switch key {
	case "version":
		return m.Version
	case "preset":
		return m.Preset
	case "source":
		return m.Source
	case "identifier":
		return m.Identifier
	case "upsert":
		return m.Upsert
	case "username_case_sensitive":
		return m.UsernameCaseSensitive
	case "allow_reserved_usernames":
		return m.AllowReservedUsernames
	case "passwords":
		return m.Passwords
	case "phone":
		return m.Phone
	case "reject_if":
		return m.RejectIf
	}
	return nil // a key this build does not know (ReadMapping refuses them): kept as written
}

func unionKeys(a, b *yaml.Node) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range []*yaml.Node{a, b} {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func keyNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// setKey replaces the value under key (keeping the key and its comments),
// adds key (with the fresh key node) when missing, or removes it when v
// is nil.
func setKey(n *yaml.Node, key string, v, freshKey *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != key {
			continue
		}
		if v == nil {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
		old := n.Content[i+1]
		v.LineComment = strings.TrimSpace(old.LineComment + v.LineComment)
		n.Content[i+1] = v
		return
	}
	if v == nil {
		return
	}
	if freshKey == nil {
		freshKey = &yaml.Node{Kind: yaml.ScalarNode, Value: key}
	}
	n.Content = append(n.Content, freshKey, v)
}

func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

// FreeMappingPath is a name beside path that is not taken:
// "users-2.mapping.yaml", "users-3.mapping.yaml", ...
func FreeMappingPath(path string) string {
	dir, base := filepath.Split(path)
	stem, ext := base, ""
	if s, ok := strings.CutSuffix(base, ".mapping.yaml"); ok {
		stem, ext = s, ".mapping.yaml"
	} else if e := filepath.Ext(base); e != "" {
		stem, ext = base[:len(base)-len(e)], e
	}
	for i := 2; ; i++ {
		p := dir + fmt.Sprintf("%s-%d%s", stem, i, ext)
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
	}
}
