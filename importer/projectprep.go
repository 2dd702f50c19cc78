package importer

import (
	"context"
	"errors"
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
	// Collisions are keys the key transform gave two different names:
	// sending them would merge two roles (or groups) into one.
	Collisions []KeyCollision
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

// CollisionErr is a *KeyCollisionError naming the names the key transform
// would merge, or nil.
func (n ProjectNeeds) CollisionErr() error {
	if len(n.Collisions) == 0 {
		return nil
	}
	return &KeyCollisionError{Collisions: n.Collisions}
}

// Empty reports whether the records carry no role and no group.
func (n ProjectNeeds) Empty() bool {
	return len(n.Roles)+len(n.Groups)+len(n.InvalidRoles)+len(n.InvalidGroups) == 0
}

// CountNeeds reads the whole input with the mapping (joins included) and
// counts the roles and groups of its valid records. Its progress arrives
// through events (nil: none) as Validating, one at a time, the last one
// with the counts of the whole pass.
func CountNeeds(ctx context.Context, input string, m *Mapping, events func(Event)) (ProjectNeeds, error) {
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
	ev := newEventSink(events)
	stats, err := Prepare(ctx, src, plan, PrepareOptions{
		Progress: func(st PrepareStats) { ev.emit(Validating{Stats: st}) },
	}, func(p *Prepared) error {
		if p.Valid() {
			n.Add(p.Record)
		}
		return nil
	})
	ev.emit(Validating{Stats: stats})
	n.Collisions = plan.KeyCollisions()
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

// DefaultMaxNewKeys bounds the roles and groups one run creates unless told
// more: 301 new roles from a 300-row file is a mapping mistake (a column
// of names mapped to roles), not a project to prepare.
const DefaultMaxNewKeys = 50

// KeyPlan is what a run is about to create in the project, asked before
// anything is created or sent.
type KeyPlan struct {
	Create []KeyCount
	// Limit is the most the run creates (ProjectOptions.MaxNew).
	Limit int
}

// Roles and Groups count the plan's keys by kind.
func (p KeyPlan) Roles() int  { return p.count("role") }
func (p KeyPlan) Groups() int { return p.count("group") }

func (p KeyPlan) count(kind string) int {
	n := 0
	for _, k := range p.Create {
		if k.Kind == kind {
			n++
		}
	}
	return n
}

// Confirmation is the phrase a person types to allow the plan in project:
// "create 3 roles and 1 group in myapp".
func (p KeyPlan) Confirmation(project string) string {
	var parts []string
	if n := p.Roles(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "role", "roles")))
	}
	if n := p.Groups(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "group", "groups")))
	}
	return "create " + strings.Join(parts, " and ") + " in " + project
}

// Within reports whether every key of the plan is among shown (what a
// person saw and agreed to).
func (p KeyPlan) Within(shown []KeyCount) bool {
	have := map[string]bool{}
	for _, k := range shown {
		have[k.Kind+"\x00"+k.Key] = true
	}
	for _, k := range p.Create {
		if !have[k.Kind+"\x00"+k.Key] {
			return false
		}
	}
	return true
}

// TooManyKeysError refuses to create more roles and groups than the limit;
// each front end says how to raise it.
type TooManyKeysError struct {
	Plan KeyPlan
}

func (e *TooManyKeysError) Error() string {
	var ks []string
	for i, k := range e.Plan.Create {
		if i == 10 {
			ks = append(ks, fmt.Sprintf("and %d more", len(e.Plan.Create)-10))
			break
		}
		ks = append(ks, k.String())
	}
	return fmt.Sprintf("the records need %d roles and groups the project lacks, more than the %d one run creates: %s. A column of names mapped to roles or groups is the usual cause; check the mapping, or raise the limit. Nothing was created or sent",
		len(e.Plan.Create), e.Plan.Limit, strings.Join(ks, ", "))
}

// ErrKeysNotConfirmed: the person did not allow the roles and groups to be
// created.
var ErrKeysNotConfirmed = errors.New("the roles and groups to create were not confirmed: nothing was created or sent")

// ProjectOptions tunes ProjectPrep.
type ProjectOptions struct {
	// Create creates the roles and groups the project lacks; without it
	// they are only listed (told), and the records that carry them fail.
	Create bool
	// MaxNew is the most roles and groups created (default
	// DefaultMaxNewKeys); above it the run is refused.
	MaxNew int
	// Confirm is asked with the plan before anything is created or sent;
	// false refuses the run (ErrKeysNotConfirmed). nil allows it.
	Confirm func(KeyPlan) bool
	// Journal is the roles journal (default: DefaultRolesJournal of the
	// run's report, set by Install); Target the destination's ID.
	Journal, Target string
	// Tell receives what the person should know (the keys missing, what
	// was created), with the remedy a front end words (RemedyNone when
	// there is nothing to do).
	Tell func(msg string, r Remedy)
}

// ProjectPrep prepares the project for a live run: before anything is
// sent it compares the roles and groups the records need with the
// project's, refuses more than the limit, and asks; the missing ones are
// created after the canary (the first request) has shown the project
// reachable and ready, journaled so that undo can remove them. Records
// that need them are kept out of the canary. Install it on a RunConfig.
type ProjectPrep struct {
	api  ProjectAPI
	o    ProjectOptions
	plan KeyPlan
	need map[string]bool // kind \x00 key of the plan
}

// NewProjectPrep prepares the project api reaches.
func NewProjectPrep(api ProjectAPI, o ProjectOptions) *ProjectPrep {
	if o.MaxNew <= 0 {
		o.MaxNew = DefaultMaxNewKeys
	}
	return &ProjectPrep{api: api, o: o}
}

// Install sets c's Prepare, and its import's AfterCanary and
// HoldFromCanary, to p; the roles journal defaults to the one beside c's
// report, and the target to c's.
func (p *ProjectPrep) Install(c *RunConfig) {
	if p.o.Journal == "" {
		report := c.Report
		if report == "" {
			report = DefaultReport(c.Input)
		}
		p.o.Journal = DefaultRolesJournal(report)
	}
	if p.o.Target == "" && c.Target != nil {
		p.o.Target = c.Target.ID
	}
	c.Prepare = p.Prepare
	c.Import.AfterCanary = p.AfterCanary
	c.Import.HoldFromCanary = p.Holds
}

func (p *ProjectPrep) tell(msg string) { p.tellRemedy(msg, RemedyNone) }

func (p *ProjectPrep) tellRemedy(msg string, r Remedy) {
	if p.o.Tell != nil {
		p.o.Tell(msg, r)
	}
}

// Plan is what p will create (after Prepare).
func (p *ProjectPrep) Plan() KeyPlan { return p.plan }

// Prepare is a RunConfig.Prepare: it reads the project's roles and groups
// (an authenticated call) and compares them with needs. Without Create the
// missing ones and the keys no project can hold are told, as a
// *ProjectNotReadyError's text, and the run goes on (the canary stops it
// when the first request shows it). With Create, more than MaxNew is a
// *TooManyKeysError, and Confirm is asked; nothing is created yet.
func (p *ProjectPrep) Prepare(ctx context.Context, n ProjectNeeds) error {
	missing, err := MissingKeys(ctx, p.api, n)
	if err != nil {
		if p.o.Create {
			return err
		}
		p.tell("could not compare the project's roles and groups with the records': " + err.Error())
		missing = nil
	}
	p.plan, p.need = KeyPlan{Limit: p.o.MaxNew}, nil
	if p.o.Create && len(missing) > 0 {
		plan := KeyPlan{Create: missing, Limit: p.o.MaxNew}
		if len(missing) > p.o.MaxNew {
			return &TooManyKeysError{Plan: plan}
		}
		if p.o.Confirm != nil && !p.o.Confirm(plan) {
			return ErrKeysNotConfirmed
		}
		p.plan = plan
		p.need = map[string]bool{}
		for _, k := range missing {
			p.need[k.Kind+"\x00"+k.Key] = true
		}
		missing = nil
	}
	pe := &ProjectNotReadyError{Missing: missing, Invalid: n.InvalidKeyAdvice()}
	if len(pe.Missing) > 0 || pe.Invalid != "" {
		p.tellRemedy(pe.Error(), pe.Remedy())
	}
	return nil
}

// Holds reports whether r carries a role or group p will create: it is
// kept out of the canary.
func (p *ProjectPrep) Holds(r *Record) bool {
	if len(p.need) == 0 || r == nil {
		return false
	}
	for _, k := range r.Roles {
		if p.need["role\x00"+k] {
			return true
		}
	}
	for _, k := range r.Groups {
		if p.need["group\x00"+k] {
			return true
		}
	}
	return false
}

// AfterCanary creates the planned roles and groups (named after their
// key), each journaled before and after its request; one that appeared
// meanwhile is not an error, and is not undo's to remove.
func (p *ProjectPrep) AfterCanary(ctx context.Context) error {
	if len(p.plan.Create) == 0 {
		return nil
	}
	j, err := openRolesJournal(p.o.Journal, p.o.Target)
	if err != nil {
		return fmt.Errorf("the roles journal: %w", err)
	}
	defer j.close()
	made := 0
	var ks []string
	for _, k := range p.plan.Create {
		create := p.api.CreateRole
		if k.Kind == "group" {
			create = p.api.CreateGroup
		}
		if err := j.add(roleEntry{T: roleCreate, Kind: k.Kind, Key: k.Key}); err != nil {
			return fmt.Errorf("the roles journal: %w", err)
		}
		ok, err := create(ctx, k.Key, k.Key)
		if err != nil {
			if made > 0 {
				p.tell(fmt.Sprintf("created %d %s in the project before the failure: %s", made, plural(made, "role or group", "roles and groups"), strings.Join(ks, ", ")))
			}
			return fmt.Errorf("create %s %q: %w", k.Kind, k.Key, err)
		}
		t := roleExisted
		if ok {
			t = roleCreated
			made++
			ks = append(ks, k.String())
		}
		if err := j.add(roleEntry{T: t, Kind: k.Kind, Key: k.Key}); err != nil {
			return fmt.Errorf("the roles journal: %w", err)
		}
	}
	p.tell(fmt.Sprintf("created %d %s in the project after the first request: %s (recorded in %s; undo removes them)",
		made, plural(made, "role or group", "roles and groups"), strings.Join(ks, ", "), p.o.Journal))
	return nil
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
