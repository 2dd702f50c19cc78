package importer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// ProjectNeeds are the role and group keys the mapping sends over the
// whole file, each with the number of valid records that carry it. Keys
// Authgear can never hold (adminapi.KeyPattern: "beta-testers", "Has
// Space") are counted apart.
type ProjectNeeds struct {
	Roles, Groups map[string]int
	// InvalidRoles and InvalidGroups are keys that do not match
	// adminapi.KeyPattern: no project can have them.
	InvalidRoles, InvalidGroups map[string]int
}

// Add counts the roles and groups of one record.
func (n *ProjectNeeds) Add(r *Record) {
	if r == nil {
		return
	}
	add := func(valid, invalid *map[string]int, keys []string) {
		for _, k := range uniqueStrings(keys) {
			m := valid
			if !adminapi.KeyPattern.MatchString(k) {
				m = invalid
			}
			if *m == nil {
				*m = map[string]int{}
			}
			(*m)[k]++
		}
	}
	add(&n.Roles, &n.InvalidRoles, r.Roles)
	add(&n.Groups, &n.InvalidGroups, r.Groups)
}

func uniqueStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// Empty reports whether the records carry no role and no group.
func (n ProjectNeeds) Empty() bool {
	return len(n.Roles)+len(n.Groups)+len(n.InvalidRoles)+len(n.InvalidGroups) == 0
}

// CountNeeds reads the whole input with the mapping (joins included) and
// counts the roles and groups of its valid records.
func CountNeeds(ctx context.Context, input string, m *Mapping) (ProjectNeeds, error) {
	var n ProjectNeeds
	src, err := OpenInputContext(ctx, input, m)
	if err != nil {
		return n, fmt.Errorf("load %s: %w", input, err)
	}
	defer src.Close()
	plan, err := CompileFor(m, src)
	if err != nil {
		return n, err
	}
	_, err = Prepare(ctx, src, plan, PrepareOptions{}, func(p *Prepared) error {
		if p.Valid() {
			n.Add(p.Record)
		}
		return nil
	})
	return n, err
}

// SuggestKey turns a role or group name into a key Authgear can hold:
// every character outside [a-zA-Z0-9:_] becomes "_", and a key starting
// with a digit or ":" gets a leading "_" ("beta-testers" → "beta_testers",
// "Has Space" → "Has_Space", "2fa" → "_2fa").
func SuggestKey(key string) string {
	var b strings.Builder
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ':', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		s = "_" + s
	}
	return s
}

// KeyCount is a key with the number of records that carry it.
type KeyCount struct {
	Kind    string // "role" or "group"
	Key     string
	Records int
}

func (k KeyCount) String() string {
	return fmt.Sprintf("%s %q (%d %s)", k.Kind, k.Key, k.Records, plural(k.Records, "record", "records"))
}

func sortedCounts(kind string, m map[string]int) []KeyCount {
	out := make([]KeyCount, 0, len(m))
	for k, n := range m {
		out = append(out, KeyCount{kind, k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Records != out[j].Records {
			return out[i].Records > out[j].Records
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// InvalidKeys lists the keys Authgear can never hold, most used first.
func (n ProjectNeeds) InvalidKeys() []KeyCount {
	return append(sortedCounts("role", n.InvalidRoles), sortedCounts("group", n.InvalidGroups)...)
}

// InvalidKeyAdvice explains the keys Authgear can never hold and suggests
// the mapping change: a "key" transform on the roles or groups field,
// which maps every name to SuggestKey's form. "" when there are none.
func (n ProjectNeeds) InvalidKeyAdvice() string {
	bad := n.InvalidKeys()
	if len(bad) == 0 {
		return ""
	}
	var parts []string
	fields := map[string]bool{}
	for i, k := range bad {
		fields[k.Kind+"s"] = true
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(bad)-10))
			break
		}
		parts = append(parts, fmt.Sprintf("%s → %q", k, SuggestKey(k.Key)))
	}
	var fl []string
	for f := range fields {
		fl = append(fl, f)
	}
	sort.Strings(fl)
	return fmt.Sprintf("%d role or group %s can never exist in Authgear (keys must match %s): %s. Add the transform \"key\" to the %s field%s of the mapping (after split), which turns each name into a valid key as shown, or rename them in the export",
		len(bad), plural(len(bad), "key", "keys"), adminapi.KeyPattern, strings.Join(parts, "; "), strings.Join(fl, " and "), plural(len(fl), "", "s"))
}

// ProjectAPI reads and creates a project's roles and groups;
// *adminapi.Client is one.
type ProjectAPI interface {
	RoleKeys(ctx context.Context) ([]string, error)
	GroupKeys(ctx context.Context) ([]string, error)
	CreateRole(ctx context.Context, key, name string) (bool, error)
	CreateGroup(ctx context.Context, key, name string) (bool, error)
}

// MissingKeys compares the project's roles and groups with the keys the
// records need (valid keys only), most used first.
func MissingKeys(ctx context.Context, api ProjectAPI, n ProjectNeeds) ([]KeyCount, error) {
	var out []KeyCount
	if len(n.Roles) > 0 {
		have, err := api.RoleKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the project's roles: %w", err)
		}
		out = append(out, missingOf("role", n.Roles, have)...)
	}
	if len(n.Groups) > 0 {
		have, err := api.GroupKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the project's groups: %w", err)
		}
		out = append(out, missingOf("group", n.Groups, have)...)
	}
	return out, nil
}

func missingOf(kind string, need map[string]int, have []string) []KeyCount {
	h := make(map[string]bool, len(have))
	for _, k := range have {
		h[k] = true
	}
	var out []KeyCount
	for _, k := range sortedCounts(kind, need) {
		if !h[k.Key] {
			out = append(out, k)
		}
	}
	return out
}

// CreateKeys creates the missing roles and groups (named after their key);
// one that appeared meanwhile is not an error. It returns how many it
// created.
func CreateKeys(ctx context.Context, api ProjectAPI, missing []KeyCount) (int, error) {
	created := 0
	for _, k := range missing {
		create := api.CreateRole
		if k.Kind == "group" {
			create = api.CreateGroup
		}
		ok, err := create(ctx, k.Key, k.Key)
		if err != nil {
			return created, fmt.Errorf("create %s %q: %w", k.Kind, k.Key, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// ProjectNotReadyError refuses an import whose records need roles or
// groups the project lacks, or keys no project can hold.
type ProjectNotReadyError struct {
	Missing []KeyCount
	Invalid string // InvalidKeyAdvice
}

func (e *ProjectNotReadyError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		var ks []string
		for i, k := range e.Missing {
			if i == 20 {
				ks = append(ks, fmt.Sprintf("and %d more", len(e.Missing)-20))
				break
			}
			ks = append(ks, k.String())
		}
		parts = append(parts, "the project lacks "+strings.Join(ks, ", ")+
			": records carrying them would fail with RoleUnknownKeys or GroupUnknownKeys")
	}
	if e.Invalid != "" {
		parts = append(parts, e.Invalid)
	}
	return strings.Join(parts, "; ")
}

// Remedy is what gets the project ready (RemedyCreateRoles when roles
// or groups are missing), for the front end to word.
func (e *ProjectNotReadyError) Remedy() Remedy {
	if len(e.Missing) > 0 {
		return RemedyCreateRoles
	}
	return RemedyNone
}

// PrepareProject returns a RunConfig.Prepare: it compares the roles and
// groups the records need with the project's. With create, the missing
// ones are created (told through report) and a failure to read or create
// them refuses the run. Without create, the missing ones and the keys no
// project can hold are told through report as a *ProjectNotReadyError's
// text with its remedy, and the run goes on: the records that carry them
// fail, and the canary stops the import when the first request shows it.
func PrepareProject(api ProjectAPI, create bool, report func(msg string, r Remedy)) func(context.Context, ProjectNeeds) error {
	tellRemedy := func(msg string, r Remedy) {
		if report != nil {
			report(msg, r)
		}
	}
	tell := func(msg string) { tellRemedy(msg, RemedyNone) }
	return func(ctx context.Context, n ProjectNeeds) error {
		missing, err := MissingKeys(ctx, api, n)
		if err != nil {
			if create {
				return err
			}
			tell("could not compare the project's roles and groups with the records': " + err.Error())
			missing = nil
		}
		if create && len(missing) > 0 {
			made, err := CreateKeys(ctx, api, missing)
			if err != nil {
				return err
			}
			var ks []string
			for _, k := range missing {
				ks = append(ks, k.String())
			}
			tell(fmt.Sprintf("created %d %s in the project: %s", made, plural(made, "role or group", "roles and groups"), strings.Join(ks, ", ")))
			missing = nil
		}
		pe := &ProjectNotReadyError{Missing: missing, Invalid: n.InvalidKeyAdvice()}
		if len(pe.Missing) > 0 || pe.Invalid != "" {
			tellRemedy(pe.Error(), pe.Remedy())
		}
		return nil
	}
}
