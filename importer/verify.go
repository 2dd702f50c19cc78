package importer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// UserReader reads users back through the Admin API's GraphQL endpoint;
// *adminapi.Client is one.
type UserReader interface {
	UsersByID(ctx context.Context, userIDs []string, o adminapi.BatchOptions) ([]*adminapi.User, error)
}

// DefaultVerifySample is how many users verify reads back without --all.
const DefaultVerifySample = 1000

// VerifyConfig is a verification: the mapping and input of an import, its
// report, and where the users are read back.
type VerifyConfig struct {
	Mapping *Mapping
	// MappingPath names the mapping's file: the verify report never
	// replaces it.
	MappingPath string
	Input       string
	Passwords   string
	// Report is the import's report: its inserted and updated rows, with
	// their user ids, are the users checked.
	Report string
	// Out is the verify report (default: REPORT with .verify.csv).
	Out string
	API UserReader
	// Sample users are picked at random (reproducibly with Seed) unless
	// All; 0 means DefaultVerifySample.
	Sample int
	All    bool
	Seed   uint64
	// Batch tunes the read back (its Progress is Verify's).
	Batch adminapi.BatchOptions
	// Events receives what happens, one at a time: Counted (the users to
	// check), Validating (the input read again for the records sent),
	// Retrying, ReadingBack, Stopped when interrupted, and VerifyDone last
	// (see events.go).
	Events func(Event)
}

// VerifySummary counts what verify found.
type VerifySummary struct {
	Eligible int // rows the report says were inserted or updated
	Checked  int
	Matched  int
	Differ   int
	Out      string
}

// FieldDiff is one difference between what was sent and what Authgear
// holds.
type FieldDiff struct {
	Field, Sent, Stored string
}

// Verify reads back the users an import inserted or updated and compares
// each with the record that was sent; every difference is a line of the
// verify report (row,user_id,field,sent,stored; mode 0600, since it holds
// users' data). Its progress arrives through c.Events; VerifyDone, last,
// carries the summary it returns.
func Verify(ctx context.Context, c VerifyConfig) (s VerifySummary, err error) {
	ev := newEventSink(c.Events)
	defer func() {
		if errors.Is(err, context.Canceled) {
			ev.emit(Stopped{Advice: "verify was interrupted: no verify report was written"})
		}
		ev.emit(VerifyDone{Summary: s})
	}()
	// Every retry is told: a server that does not answer is never a
	// silent stall.
	ctx = adminapi.ContextWithOnRetry(ctx, func(e adminapi.RetryEvent) { ev.emit(Retrying{Retry: e}) })
	if c.Mapping == nil || c.Input == "" || c.Report == "" || c.API == nil {
		return s, &RefusedError{Msg: "verify needs a mapping, an input, the import's report and a target"}
	}
	out := c.Out
	if out == "" {
		out = DefaultVerifyReport(c.Report)
	}
	// The one output check, before anything is read back or written; and
	// one verify at a time writing this report.
	if err := CheckFiles([]NamedPath{{c.Input, "the input"}, {c.Report, "the import's report"}, {c.MappingPath, "the mapping"},
		{c.Passwords, "the password file"}, {DefaultJournal(c.Report), "the import's journal"}},
		[]Output{{NamedPath: NamedPath{out, "the verify report"}, Kind: KindVerifyReport}}); err != nil {
		return s, refused(err)
	}
	release, err := LockFiles(out)
	if err != nil {
		return s, refusedLock(err)
	}
	defer release()
	rows, err := ReadReport(c.Report)
	if err != nil {
		return s, fmt.Errorf("read the report: %w", err)
	}
	var eligible []ReportRow
	for _, r := range rows {
		if (r.Outcome == OutcomeInserted || r.Outcome == OutcomeUpdated) && adminapi.ValidUserID(r.UserID) {
			eligible = append(eligible, r)
		}
	}
	s.Eligible = len(eligible)
	if len(eligible) == 0 {
		// Checking nobody proves nothing: never a silent success.
		return s, &NothingToVerifyError{Report: c.Report, Rows: len(rows)}
	}
	picked := eligible
	n := c.Sample
	if n <= 0 {
		n = DefaultVerifySample
	}
	if !c.All && len(eligible) > n {
		rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
		perm := rng.Perm(len(eligible))[:n]
		sort.Ints(perm)
		picked = make([]ReportRow, n)
		for i, p := range perm {
			picked[i] = eligible[p]
		}
	}
	ev.emit(Counted{Total: len(picked)})
	want := make(map[int]*Record, len(picked))
	for _, r := range picked {
		want[r.Row] = nil
	}
	m := c.Mapping.withPasswordFile(c.Passwords)
	src, err := OpenInputContext(ctx, c.Input, &m)
	if err != nil {
		return s, fmt.Errorf("load %s: %w", c.Input, err)
	}
	defer src.Close()
	plan, err := CompileFor(&m, src)
	if err != nil {
		return s, err
	}
	stats, err := Prepare(ctx, src, plan, PrepareOptions{
		Progress: func(st PrepareStats) { ev.emit(Validating{Stats: st}) },
	}, func(p *Prepared) error {
		if _, ok := want[p.Row.Num]; ok && p.Record != nil {
			want[p.Row.Num] = p.Record
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	ev.emit(Validating{Stats: stats})
	ids := make([]string, len(picked))
	for i, r := range picked {
		ids[i] = r.UserID
	}
	bo := c.Batch
	bo.Progress = func(done int) { ev.emit(ReadingBack{Read: done, Total: len(ids)}) }
	users, err := c.API.UsersByID(ctx, ids, bo)
	if err != nil {
		return s, fmt.Errorf("read the users back: %w", err)
	}
	f, err := CreateAtomic(out)
	if err != nil {
		return s, err
	}
	defer f.Abort()
	bw := bufio.NewWriter(f)
	bw.WriteString("row,user_id,field,sent,stored\n")
	var line []byte
	for i, r := range picked {
		rec := want[r.Row]
		var diffs []FieldDiff
		switch {
		case rec == nil:
			diffs = []FieldDiff{{Field: "record", Sent: "(the input's row no longer maps to a record)", Stored: ""}}
		case users[i] == nil:
			diffs = []FieldDiff{{Field: "user", Sent: "exists", Stored: "(no such user)"}}
		default:
			diffs = CompareUser(rec, users[i], r.Outcome == OutcomeUpdated)
		}
		s.Checked++
		if len(diffs) == 0 {
			s.Matched++
			continue
		}
		s.Differ++
		for _, d := range diffs {
			line = strconv.AppendInt(line[:0], int64(r.Row), 10)
			for _, cell := range []string{r.UserID, d.Field, d.Sent, d.Stored} {
				line = append(line, ',')
				line = appendCSVField(line, reportCell(cell))
			}
			line = append(line, '\n')
			bw.Write(line)
		}
	}
	if err := bw.Flush(); err != nil {
		return s, err
	}
	if err := f.Commit(); err != nil {
		return s, err
	}
	s.Out = out
	return s, nil
}

// stdText are the string standard attributes, with the Record field.
var stdText = []struct {
	name string
	get  func(*Record) *string
}{
	{"name", func(r *Record) *string { return r.Name }},
	{"given_name", func(r *Record) *string { return r.GivenName }},
	{"family_name", func(r *Record) *string { return r.FamilyName }},
	{"middle_name", func(r *Record) *string { return r.MiddleName }},
	{"nickname", func(r *Record) *string { return r.Nickname }},
	{"profile", func(r *Record) *string { return r.Profile }},
	{"picture", func(r *Record) *string { return r.Picture }},
	{"website", func(r *Record) *string { return r.Website }},
	{"gender", func(r *Record) *string { return r.Gender }},
	{"birthdate", func(r *Record) *string { return r.Birthdate }},
	{"zoneinfo", func(r *Record) *string { return r.Zoneinfo }},
	{"locale", func(r *Record) *string { return r.Locale }},
}

// CompareUser lists the fields where u differs from the record sent: every
// standard attribute sent, the verified flags, disabled, roles, groups,
// custom attributes, each login ID, and a primary password where a hash
// was sent. updated reports an upsert, where a false verified flag removes
// the claim (on insert it has no effect either way, so both read false).
func CompareUser(rec *Record, u *adminapi.User, updated bool) []FieldDiff {
	var out []FieldDiff
	diff := func(field, sent, stored string) { out = append(out, FieldDiff{field, sent, stored}) }
	std := u.StandardAttributes
	for _, f := range stdText {
		if v := f.get(rec); v != nil {
			if got, _ := std[f.name].(string); got != *v {
				diff("standard_attributes."+f.name, *v, show(std[f.name]))
			}
		}
	}
	if a := rec.Address; a != nil {
		stored, _ := std["address"].(map[string]any)
		for _, f := range []struct {
			k string
			v *string
		}{{"formatted", a.Formatted}, {"street_address", a.StreetAddress}, {"locality", a.Locality}, {"region", a.Region}, {"postal_code", a.PostalCode}, {"country", a.Country}} {
			if f.v != nil {
				if got, _ := stored[f.k].(string); got != *f.v {
					diff("standard_attributes.address."+f.k, *f.v, show(stored[f.k]))
				}
			}
		}
	}
	for _, l := range []struct {
		field, key string
		v          *string
		fold       bool
	}{{"email", "email", rec.Email, true}, {"phone_number", "phone", rec.PhoneNumber, false}, {"preferred_username", "username", rec.PreferredUsername, true}} {
		if l.v == nil {
			continue
		}
		found := false
		for _, id := range u.LoginIDs {
			if id.Key == l.key && (id.Value == *l.v || l.fold && strings.EqualFold(id.Value, *l.v)) {
				found = true
			}
		}
		if !found {
			var have []string
			for _, id := range u.LoginIDs {
				if id.Key == l.key {
					have = append(have, id.Value)
				}
			}
			diff("login_id."+l.key, *l.v, strings.Join(have, " "))
		}
	}
	for _, vf := range []struct {
		name string
		v    *bool
		has  *string
	}{{"email_verified", rec.EmailVerified, rec.Email}, {"phone_number_verified", rec.PhoneNumberVerified, rec.PhoneNumber}} {
		if vf.v == nil || vf.has == nil || (!*vf.v && !updated) {
			continue
		}
		if got, _ := std[vf.name].(bool); got != *vf.v {
			diff(vf.name, strconv.FormatBool(*vf.v), show(std[vf.name]))
		}
	}
	// An inserted user without "disabled" is enabled; an upsert without
	// it leaves the flag as it was.
	if rec.Disabled != nil && *rec.Disabled != u.Disabled || rec.Disabled == nil && !updated && u.Disabled {
		diff("disabled", strconv.FormatBool(rec.Disabled != nil && *rec.Disabled), strconv.FormatBool(u.Disabled))
	}
	if rec.Roles != nil && !sameSet(rec.Roles, u.Roles) {
		diff("roles", strings.Join(rec.Roles, " "), strings.Join(u.Roles, " "))
	}
	if rec.Groups != nil && !sameSet(rec.Groups, u.Groups) {
		diff("groups", strings.Join(rec.Groups, " "), strings.Join(u.Groups, " "))
	}
	keys := make([]string, 0, len(rec.CustomAttributes))
	for k := range rec.CustomAttributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !sameJSON(rec.CustomAttributes[k], u.CustomAttributes[k]) {
			diff("custom_attributes."+k, show(rec.CustomAttributes[k]), show(u.CustomAttributes[k]))
		}
	}
	if rec.Password != nil && !updated {
		// An upsert ignores the password (real-server/i13): only an
		// inserted user must have it.
		if !slices.Contains(u.Authenticators, adminapi.Authenticator{Type: "PASSWORD", Kind: "PRIMARY"}) {
			diff("password", "a bcrypt hash", "no primary password")
		}
	}
	return out
}

func show(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sameSet(a, b []string) bool {
	x := slices.Compact(slices.Sorted(slices.Values(a)))
	y := slices.Compact(slices.Sorted(slices.Values(b)))
	return slices.Equal(x, y)
}

// sameJSON compares two JSON values whatever their Go number types.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var xa, ya any
	if json.Unmarshal(x, &xa) != nil || json.Unmarshal(y, &ya) != nil {
		return false
	}
	return show(xa) == show(ya)
}

// ErrVerifyDiffers is returned by front ends when verify found
// differences (exit 3).
var ErrVerifyDiffers = errors.New("some users differ from the records sent: see the verify report")

// NothingToVerifyError: the report names no user that was inserted or
// updated (with an id), so verify checked nobody: a dry run's report, a
// rehearsal's, or an import that created no user.
type NothingToVerifyError struct {
	Report string
	Rows   int
}

func (e *NothingToVerifyError) Error() string {
	return fmt.Sprintf("%s names no inserted or updated user with a user id (of its %d rows): 0 users were checked, which proves nothing; is it the report of a dry run, or of an import that created no user?", e.Report, e.Rows)
}
