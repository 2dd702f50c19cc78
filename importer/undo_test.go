package importer

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// failingDeleter fails every deletion after the first ok ones.
type failingDeleter struct {
	UserDeleter
	ok    int32
	calls atomic.Int32
}

func (f *failingDeleter) DeleteUser(ctx context.Context, id string) (bool, error) {
	if f.calls.Add(1) > f.ok {
		return false, errors.New("connection reset")
	}
	return f.UserDeleter.DeleteUser(ctx, id)
}

// TestUndoAfterImport imports the example into a sandbox, then: a user the
// report says was inserted is backdated (it existed before the migration)
// and another is deleted in the portal; a skipped user exists beside them.
// A dry run deletes nothing; a refused confirmation deletes nothing; an
// undo that fails half-way is resumed; at the end exactly the inserted
// users are gone, the backdated one is kept, and undo's report has one line
// per inserted user.
func TestUndoAfterImport(t *testing.T) {
	e := startLive(t, sandbox.Options{Roles: []string{"*"}, LoginIDTypes: []string{"email", "phone"}, CustomAttributes: []string{"member_id"}})
	c, _ := exampleRun(t)
	target := &Destination{API: e.api, Name: "sandbox", ID: "sandbox test"}
	c.Target = target
	c.Import = e.fastOptions(false)
	s, err := Run(context.Background(), c)
	if err != nil && s.Inserted == 0 {
		t.Fatal(err)
	}
	rows, _ := ReadReport(c.Report)
	var inserted []string
	for _, r := range rows {
		if r.Outcome == OutcomeInserted {
			inserted = append(inserted, r.UserID)
		}
	}
	if len(inserted) < 5 {
		t.Fatalf("%d inserted", len(inserted))
	}
	// A user that was there before: not in the report as inserted.
	before := len(e.sb.Users()) - len(inserted)
	old, gone := inserted[0], inserted[1]
	if err := e.sb.EditUser(old, func(u sandbox.User) sandbox.User { u.CreatedAt = time.Now().Add(-time.Hour); return u }); err != nil {
		t.Fatal(err)
	}
	if !e.sb.DeleteUser(gone) {
		t.Fatal("no user to delete")
	}
	n := len(inserted)

	uc := UndoConfig{Report: c.Report, API: e.api, Target: target.ID, DryRun: true}
	d, err := Undo(context.Background(), uc)
	if err != nil {
		t.Fatal(err)
	}
	if d.Inserted != n || d.Delete != n-2 || d.Kept != 1 || d.Gone != 1 || len(e.sb.Users()) != before+n-1 {
		t.Fatalf("dry run: %+v, %d users", d, len(e.sb.Users()))
	}
	dry, _ := os.ReadFile(d.Out)
	if strings.Count(string(dry), UndoWouldDelete) != n-2 {
		t.Fatalf("dry-run report:\n%s", dry)
	}

	// Another project's journal is refused.
	if _, err := Undo(context.Background(), UndoConfig{Report: c.Report, API: e.api, Target: "elsewhere"}); err == nil {
		t.Fatal("undo against another target was not refused")
	}

	uc.DryRun = false
	var asked UndoPlan
	uc.Confirm = func(p UndoPlan) bool { asked = p; return false }
	if _, err := Undo(context.Background(), uc); !errors.Is(err, ErrUndoCancelled) || asked.Delete != n-2 || asked.Target != target.ID {
		t.Fatalf("cancel: %v %+v", err, asked)
	}
	if len(e.sb.Users()) != before+n-1 {
		t.Fatal("a cancelled undo deleted users")
	}

	uc.Confirm = nil
	uc.API = &failingDeleter{UserDeleter: e.api, ok: 3}
	uc.Batch.Concurrency = 1
	u1, err := Undo(context.Background(), uc)
	if err != nil {
		t.Fatal(err)
	}
	if u1.Deleted != 3 || u1.Failed != n-5 || u1.KeptBefore != 1 || u1.AlreadyGone != 1 {
		t.Fatalf("first undo: %+v", u1)
	}
	uc.API = e.api
	u2, err := Undo(context.Background(), uc)
	if err != nil {
		t.Fatal(err)
	}
	if u2.Resumed != 4 || u2.Deleted != n-5 || u2.EarlierDeleted != 3 || u2.EarlierGone != 1 || u2.Failed != 0 || u2.KeptBefore != 1 || u2.AlreadyGone != 0 {
		t.Fatalf("resumed undo: %+v", u2)
	}
	left := e.sb.Users()
	if len(left) != before+1 {
		t.Fatalf("%d users left, want %d", len(left), before+1)
	}
	still := false
	for _, u := range left {
		if u.ID == old {
			still = true
		}
		for _, id := range inserted[2:] {
			if u.ID == id {
				t.Fatalf("inserted user %s was not deleted", id)
			}
		}
	}
	if !still {
		t.Fatal("the user created before the migration was deleted")
	}
	b, _ := os.ReadFile(u2.Out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != n+1 || strings.Count(string(b), ","+UndoDeleted+",") != n-2 || !strings.Contains(string(b), UndoKept) {
		t.Fatalf("undo report:\n%s", b)
	}
	if fi, _ := os.Stat(u2.Out); fi.Mode().Perm() != 0o600 {
		t.Fatalf("undo report mode %v", fi.Mode())
	}
	// A third run finds every user settled, deletes nothing, and keeps
	// the list of the users deleted.
	u3, err := Undo(context.Background(), uc)
	if err != nil || u3.Deleted != 0 || u3.AlreadyGone != 0 || u3.EarlierDeleted != n-2 || u3.EarlierGone != 1 || u3.KeptBefore != 1 {
		t.Fatalf("third undo: %+v %v", u3, err)
	}
}

// The deleter is the Admin API client.
var _ UserDeleter = (*adminapi.Client)(nil)
