package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// watchedAPI records how many records the sandbox had received when each
// role or group was created.
type watchedAPI struct {
	ProjectAPI
	sb      *sandbox.Running
	created map[string]int
}

func (w *watchedAPI) CreateRole(ctx context.Context, key, name string) (bool, error) {
	w.created["role "+key] = w.sb.Stats().RecordsReceived
	return w.ProjectAPI.CreateRole(ctx, key, name)
}

func (w *watchedAPI) CreateGroup(ctx context.Context, key, name string) (bool, error) {
	w.created["group "+key] = w.sb.Stats().RecordsReceived
	return w.ProjectAPI.CreateGroup(ctx, key, name)
}

// rolesExport writes 40 users: rows 1, 2 and 3 need the roles editor and
// author and the group staff (missing), every row the role viewer (in the
// project).
func rolesExport(t *testing.T) (string, *Mapping) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("email,roles,groups\n")
	for i := 1; i <= 40; i++ {
		roles, groups := "viewer", ""
		switch i {
		case 1:
			roles, groups = "viewer;editor", "staff"
		case 2:
			roles = "viewer;author"
		case 3:
			roles = "viewer;editor;author"
		}
		fmt.Fprintf(&b, "user%d@example.com,%s,%s\n", i, roles, groups)
	}
	input := filepath.Join(dir, "u.csv")
	os.WriteFile(input, []byte(b.String()), 0o600)
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("roles", "roles", TA("split", ";"))
	m.Set("groups", "groups", TA("split", ";"))
	return input, m
}

// TestCreateRolesBoundedAndUndone (issue 17 item 7): --create-roles lists
// what it will create and asks, refuses above its limit, creates after the
// canary (today: before any request, unasked and unbounded), journals what
// it created, and undo deletes the roles and groups it created once no
// user holds them, never one that existed before.
func TestCreateRolesBoundedAndUndone(t *testing.T) {
	input, m := rolesExport(t)
	e := startLive(t, sandbox.Options{Roles: []string{"viewer"}})
	dir := t.TempDir()
	report := filepath.Join(dir, "u.report.csv")
	target := &Destination{API: e.api, Name: "sandbox", ID: "sandbox roles"}
	run := func(o ProjectOptions) (RunSummary, error, *watchedAPI) {
		w := &watchedAPI{ProjectAPI: e.api, sb: e.sb, created: map[string]int{}}
		c := RunConfig{Mapping: m, MappingPath: "u.mapping.yaml", Input: input, Report: report, Target: target, Import: e.fastOptions(false)}
		NewProjectPrep(w, o).Install(&c)
		s, err := Run(context.Background(), c)
		return s, err, w
	}

	// Above the limit: refused, nothing created or sent.
	_, err, _ := run(ProjectOptions{Create: true, MaxNew: 2, Confirm: func(KeyPlan) bool { t.Error("asked above the limit"); return true }})
	var tm *TooManyKeysError
	if !errors.As(err, &tm) || len(tm.Plan.Create) != 3 || tm.Plan.Limit != 2 {
		t.Fatalf("above the limit: %v", err)
	}
	if st := e.sb.Stats(); st.RecordsReceived != 0 || len(e.sb.Roles()) != 1 || len(e.sb.Groups()) != 0 {
		t.Fatalf("refused run sent %d records; roles %v groups %v", st.RecordsReceived, e.sb.Roles(), e.sb.Groups())
	}
	if _, err := os.Stat(DefaultJournal(report)); !os.IsNotExist(err) {
		t.Fatalf("a refused run left a journal: %v", err)
	}

	// Not confirmed: refused the same way; the question lists the keys.
	var asked KeyPlan
	_, err, _ = run(ProjectOptions{Create: true, Confirm: func(p KeyPlan) bool { asked = p; return false }})
	if !errors.Is(err, ErrKeysNotConfirmed) || e.sb.Stats().RecordsReceived != 0 || len(e.sb.Roles()) != 1 {
		t.Fatalf("not confirmed: %v", err)
	}
	if got := asked.Confirmation("myapp"); got != "create 2 roles and 1 group in myapp" {
		t.Fatalf("confirmation phrase %q (plan %+v)", got, asked)
	}

	// Confirmed: the canary goes first, with none of the records that
	// need what is created; then the keys are created, then the rest.
	s, err, w := run(ProjectOptions{Create: true, Confirm: func(p KeyPlan) bool { return len(p.Create) == 3 }})
	if err != nil || s.Inserted != 40 || s.Failed != 0 {
		t.Fatalf("import: %v %+v", err, s.ImportSummary)
	}
	for _, k := range []string{"role editor", "role author", "group staff"} {
		if n, ok := w.created[k]; !ok || n != 10 {
			t.Fatalf("%s created after %d records were received (want the canary's 10): %v", k, n, w.created)
		}
	}
	rj := DefaultRolesJournal(report)
	if fi, err := os.Stat(rj); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("roles journal: %v", err)
	}

	// Undo: the users go, then the roles and groups the migration made;
	// "viewer" existed before and stays. A user kept by undo (created
	// before the migration) still holds "author": it stays too.
	rows, _ := ReadReport(report)
	var row2 string
	for _, r := range rows {
		if r.Row == 2 {
			row2 = r.UserID
		}
	}
	if err := e.sb.EditUser(row2, func(u sandbox.User) sandbox.User { u.CreatedAt = time.Now().Add(-time.Hour); return u }); err != nil {
		t.Fatal(err)
	}
	dry, err := Undo(context.Background(), UndoConfig{Report: report, API: e.api, Target: target.ID, DryRun: true})
	if err != nil || len(dry.Keys) != 3 || dry.KeysCreated != 3 {
		t.Fatalf("undo dry run: %v %+v", err, dry.Keys)
	}
	// The users undo would delete do not count as holders.
	for _, k := range dry.Keys {
		want := UndoKeyWouldDelete
		if k.Key == "author" {
			want = UndoKeyHeld
		}
		if k.Outcome != want {
			t.Fatalf("dry run: %s %s: %s %s, want %s", k.Kind, k.Key, k.Outcome, k.Reason, want)
		}
	}
	if r := strings.Join(e.sb.Roles(), ","); r != "viewer,author,editor" || len(e.sb.Groups()) != 1 {
		t.Fatalf("the dry run deleted: roles %s groups %v", r, e.sb.Groups())
	}
	u, err := Undo(context.Background(), UndoConfig{Report: report, API: e.api, Target: target.ID})
	if err != nil || u.Deleted != 39 || u.KeptBefore != 1 {
		t.Fatalf("undo: %v %+v", err, u)
	}
	got := map[string]string{}
	for _, k := range u.Keys {
		got[k.Kind+" "+k.Key] = k.Outcome
	}
	if got["role editor"] != UndoKeyDeleted || got["group staff"] != UndoKeyDeleted || got["role author"] != UndoKeyHeld || len(got) != 3 {
		t.Fatalf("roles and groups: %+v", u.Keys)
	}
	if r := strings.Join(e.sb.Roles(), ","); r != "viewer,author" || len(e.sb.Groups()) != 0 {
		t.Fatalf("left: roles %s groups %v", r, e.sb.Groups())
	}
	// Once the last holder is gone, a second undo removes "author" and
	// tries nothing else again.
	if !e.sb.DeleteUser(row2) {
		t.Fatal("no user")
	}
	u2, err := Undo(context.Background(), UndoConfig{Report: report, API: e.api, Target: target.ID})
	if err != nil || len(u2.Keys) != 1 || u2.Keys[0].Key != "author" || u2.Keys[0].Outcome != UndoKeyDeleted {
		t.Fatalf("second undo: %v %+v", err, u2.Keys)
	}
	if r := strings.Join(e.sb.Roles(), ","); r != "viewer" {
		t.Fatalf("left: roles %s", r)
	}
}
