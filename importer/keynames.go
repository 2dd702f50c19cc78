package importer

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// The key transform turns a role or group name into a key Authgear can
// hold. Two different names can give the same key ("管理者" and "編集者" both
// give "___", "beta-testers" and "beta testers" both "beta_testers"):
// sending them would silently merge two roles into one, and editors would
// get the admin role. The transform never decides that alone: every name it
// converts is remembered per field (keyNames), and a key reached from two
// different names is a *KeyCollisionError, found by the dry run and by the
// count of roles and groups a live run makes before its first request, so
// that nothing is sent. The mapping keeps the names apart with the key
// transform's argument, a table of names and the keys they take
// ({key: "管理者=admin,編集者=editor"}), or the export is fixed.

// maxKeyNames bounds the names remembered per field: a key transform put
// on a column of unique values (an email, by mistake) must not grow
// without bound. Past it, names are no longer compared (and the count says
// so).
const maxKeyNames = 100_000

// keyNames remembers, for one field, the names the key transform turned
// into each key. It is safe for concurrent use.
type keyNames struct {
	field string
	mu    sync.Mutex
	names map[string][]string // key -> the distinct names that gave it (at most 3 kept)
	n     int
	full  bool
}

func newKeyNames(field string) *keyNames {
	return &keyNames{field: field, names: map[string][]string{}}
}

// add records that name gave key.
func (k *keyNames) add(name, key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	have, ok := k.names[key]
	if !ok {
		if k.n >= maxKeyNames {
			k.full = true
			return
		}
		k.n++
		k.names[key] = []string{name}
		return
	}
	for _, n := range have {
		if n == name {
			return
		}
	}
	if len(have) < 3 {
		k.names[key] = append(have, name)
	}
}

// KeyCollision is a key that two or more different names of one field give
// with the key transform.
type KeyCollision struct {
	Field string   // "roles" or "groups" (or another field the transform is on)
	Key   string   // the key they all give
	Names []string // the names, sorted (at most 3)
}

func (c KeyCollision) String() string {
	q := make([]string, len(c.Names))
	for i, n := range c.Names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return fmt.Sprintf("%s %s all give the key %q", c.Field, strings.Join(q, " and "), c.Key)
}

// KeyCollisionError refuses to send records whose role or group names the
// key transform would merge into one key.
type KeyCollisionError struct {
	Collisions []KeyCollision
}

func (e *KeyCollisionError) Error() string {
	var parts []string
	for i, c := range e.Collisions {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Collisions)-10))
			break
		}
		parts = append(parts, c.String())
	}
	ex := e.Collisions[0]
	table := make([]string, len(ex.Names))
	for i, n := range ex.Names {
		table[i] = fmt.Sprintf("%s=KEY%d", n, i+1)
	}
	return fmt.Sprintf("the key transform would merge different names into one key: %s. Nothing was sent: give each name its own key in the transform's argument (key: %q, with the keys you choose for KEY1, KEY2...) or rename them in the export",
		strings.Join(parts, "; "), strings.Join(table, ","))
}

// collisions lists the keys reached from more than one name, by field and
// key.
func (k *keyNames) collisions() []KeyCollision {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []KeyCollision
	for key, names := range k.names {
		if len(names) > 1 {
			ns := append([]string(nil), names...)
			sort.Strings(ns)
			out = append(out, KeyCollision{Field: k.field, Key: key, Names: ns})
		}
	}
	return out
}

// KeyCollisions lists the keys the plan's key transforms reached from two
// or more different names so far (in the records applied), sorted by field
// and key.
func (p *Plan) KeyCollisions() []KeyCollision {
	var out []KeyCollision
	for _, k := range p.keyNames {
		out = append(out, k.collisions()...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// KeyCollisionErr is KeyCollisions as an error, nil when there are none.
func (p *Plan) KeyCollisionErr() error {
	if c := p.KeyCollisions(); len(c) > 0 {
		return &KeyCollisionError{Collisions: c}
	}
	return nil
}

// UsesKey reports whether a field of the plan uses the key transform.
func (p *Plan) UsesKey() bool { return len(p.keyNames) > 0 }

// keySpec is the key transform of one field: the table in its argument
// first, SuggestKey for every other name, and each name remembered.
func (p *Plan) keySpec(field string, base transformSpec) transformSpec {
	if p.keyNames == nil {
		p.keyNames = map[string]*keyNames{}
	}
	k := p.keyNames[field]
	if k == nil {
		label := field + " values"
		if field == "roles" || field == "groups" {
			label = strings.TrimSuffix(field, "s") + " names"
		}
		k = newKeyNames(label)
		p.keyNames[field] = k
	}
	var once sync.Once
	var table map[string]string
	conv := func(s, arg string) string {
		once.Do(func() { table = keyTable(arg) })
		if out, ok := table[s]; ok {
			return out // chosen in the mapping: not compared
		}
		out := SuggestKey(s)
		k.add(s, out)
		return out
	}
	base.fn = eachString(conv)
	base.str = conv
	return base
}

// keyTable reads the key transform's argument: name=key pairs separated by
// commas, each side trimmed.
func keyTable(arg string) map[string]string {
	t := map[string]string{}
	for _, part := range strings.Split(arg, ",") {
		name, key, ok := strings.Cut(part, "=")
		name, key = strings.TrimSpace(name), strings.TrimSpace(key)
		if ok && name != "" && key != "" {
			t[name] = key
		}
	}
	return t
}
