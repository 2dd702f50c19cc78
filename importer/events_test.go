package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// checkReadingBack: the read-back progress never goes back, is of total
// users, and ends with all of them read.
func checkReadingBack(t *testing.T, events []Event, total int) {
	t.Helper()
	last := 0
	for _, e := range events {
		r, ok := e.(ReadingBack)
		if !ok {
			continue
		}
		if r.Total != total || r.Read < last || r.Read > total {
			t.Errorf("ReadingBack %+v after %d read, want a total of %d", r, last, total)
		}
		last = r.Read
	}
	if last != total {
		t.Errorf("read back %d of %d users", last, total)
	}
}

// failFirstGraphQL answers the first n Admin GraphQL requests 503: the
// client retries them.
type failFirstGraphQL struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (f *failFirstGraphQL) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/graphql") && f.n.Add(-1) >= 0 {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("unavailable")), Request: r}, nil
	}
	return f.next.RoundTrip(r)
}

// flakyClient is a client of e's sandbox whose first n GraphQL requests
// fail once with 503.
func flakyClient(t *testing.T, e *liveEnv, n int32) *adminapi.Client {
	t.Helper()
	ep, err := adminapi.ParseEndpoint(e.sb.URL)
	if err != nil {
		t.Fatal(err)
	}
	kp := sandboxKey(t)
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "test", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		t.Fatal(err)
	}
	rt := &failFirstGraphQL{next: http.DefaultTransport}
	rt.n.Store(n)
	return adminapi.New(ep, ts, adminapi.WithRetry(12, time.Millisecond, 20*time.Millisecond), adminapi.WithHTTPClient(&http.Client{Transport: rt}))
}

// TestVerifyEvents (issue 15 item 14): Verify reports through the same
// Event stream as Run, one event at a time: Counted (the users it checks)
// before any progress, the export read again (Validating), a retry told
// (Retrying), the users read back (ReadingBack, up to Counted's total),
// and VerifyDone last with the summary Verify returns. A refused verify
// still ends with VerifyDone, and nothing else.
func TestVerifyEvents(t *testing.T) {
	e := startLive(t, sandbox.Options{Roles: []string{"*"}, LoginIDTypes: []string{"email", "phone"}, CustomAttributes: []string{"member_id"}})
	c, dir := exampleRun(t)
	c.Target = &Destination{API: e.api, Name: "sandbox", ID: "sandbox test"}
	c.Import = e.fastOptions(false)
	rs, err := Run(context.Background(), c)
	if err != nil || rs.Inserted == 0 {
		t.Fatalf("import: %v %+v", err, rs.ImportSummary)
	}

	var log serialLog
	vc := VerifyConfig{Mapping: c.Mapping, Input: c.Input, Report: c.Report, API: flakyClient(t, e, 1), All: true,
		Batch: adminapi.BatchOptions{Size: 5, Concurrency: 2}, Events: log.add}
	s, err := Verify(context.Background(), vc)
	if err != nil {
		t.Fatal(err)
	}
	if s.Checked != rs.Inserted || s.Differ != 0 {
		t.Fatalf("verify: %+v, %d inserted", s, rs.Inserted)
	}
	kinds := log.kinds()
	if !regexp.MustCompile(`^Counted Validating\*? (ReadingBack\*? |Retrying )*VerifyDone$`).MatchString(kinds) || !strings.Contains(kinds, "Retrying") {
		t.Fatalf("verify events: %s", kinds)
	}
	if n := log.events[0].(Counted).Total; n != s.Checked {
		t.Errorf("Counted %d, %d checked", n, s.Checked)
	}
	var stats PrepareStats
	for _, ev := range log.events {
		if v, ok := ev.(Validating); ok {
			stats = v.Stats
		}
	}
	if stats.Total != rs.Total {
		t.Errorf("the export read again: %d records, want %d", stats.Total, rs.Total)
	}
	checkReadingBack(t, log.events, s.Checked)
	if d := log.events[len(log.events)-1].(VerifyDone); d.Summary != s {
		t.Errorf("VerifyDone carries %+v, Verify returned %+v", d.Summary, s)
	}

	// Refused (the verify report would replace the import's): only
	// VerifyDone.
	log = serialLog{}
	vc.Out, vc.API = c.Report, e.api
	if _, err := Verify(context.Background(), vc); err == nil {
		t.Fatal("a verify report over the import's report was not refused")
	}
	if got := log.kinds(); got != "VerifyDone" {
		t.Errorf("refused verify events: %s", got)
	}

	// Interrupted while reading back: Stopped, then VerifyDone; no report.
	log = serialLog{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vc.Out = filepath.Join(dir, "stopped.verify.csv")
	vc.Batch = adminapi.BatchOptions{Size: 1, Concurrency: 1}
	vc.Events = func(e Event) {
		log.add(e)
		if _, ok := e.(ReadingBack); ok {
			cancel()
		}
	}
	if _, err := Verify(ctx, vc); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted verify: %v", err)
	}
	if got := log.kinds(); !strings.HasSuffix(got, "ReadingBack Stopped VerifyDone") {
		t.Errorf("interrupted verify events: %s", got)
	}
	if _, err := os.Stat(vc.Out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted verify wrote its report: %v", err)
	}
}

// undoTally checks undo's events: Undoing's counts add up, grow, and
// end where the summary does; it returns the last one.
func undoTally(t *testing.T, events []Event, s UndoSummary) Undoing {
	t.Helper()
	var last Undoing
	for _, e := range events {
		u, ok := e.(Undoing)
		if !ok {
			continue
		}
		if u.Deleted+u.Gone+u.Failed != u.Done || u.Done != last.Done+1 || u.Total != s.Delete {
			t.Errorf("Undoing %+v after %+v (%d to delete)", u, last, s.Delete)
		}
		last = u
	}
	if last.Deleted != s.Deleted {
		t.Errorf("Undoing ends at %+v, the summary at %d deleted", last, s.Deleted)
	}
	if d := events[len(events)-1].(UndoDone); fmt.Sprint(d.Summary) != fmt.Sprint(s) {
		t.Errorf("UndoDone carries %+v, Undo returned %+v", d.Summary, s)
	}
	return last
}

// TestUndoEvents (issue 15 item 14): Undo reports through the same Event
// stream as Run, one event at a time: Counted (the users it looks up)
// before any progress, the look-up (ReadingBack), the deletions (Undoing,
// whose counts add up), a retry (Retrying), Stopped when interrupted, and
// UndoDone last with the summary Undo returns; a dry run deletes nothing
// and has no Undoing; a refusal is UndoDone alone.
func TestUndoEvents(t *testing.T) {
	f := importForUndo(t)
	uc := UndoConfig{Report: f.report, API: f.e.api, Target: f.target.ID, DryRun: true}

	var log serialLog
	uc.Events = log.add
	dry, err := Undo(context.Background(), uc)
	if err != nil || dry.Delete != 20 {
		t.Fatalf("dry run: %v %+v", err, dry.UndoPlan)
	}
	if got := log.kinds(); !regexp.MustCompile(`^Counted ReadingBack\*? UndoDone$`).MatchString(got) {
		t.Errorf("dry-run events: %s", got)
	}
	if n := log.events[0].(Counted).Total; n != 20 {
		t.Errorf("dry run: Counted %d, want 20", n)
	}
	checkReadingBack(t, log.events, 20)
	undoTally(t, log.events, dry)

	// Interrupted after the first deletion: the others are not deleted,
	// and Stopped says so before UndoDone.
	log = serialLog{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	uc.DryRun, uc.Batch = false, adminapi.BatchOptions{Concurrency: 1}
	uc.Events = func(e Event) {
		log.add(e)
		if _, ok := e.(Undoing); ok {
			cancel()
		}
	}
	first, err := Undo(ctx, uc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted undo: %v", err)
	}
	if got := log.kinds(); !regexp.MustCompile(`^Counted ReadingBack\*? Undoing\*? Stopped UndoDone$`).MatchString(got) {
		t.Errorf("interrupted undo events: %s", got)
	}
	last := undoTally(t, log.events, first)
	if first.Deleted < 1 || first.Deleted == 20 || last.Done == last.Total {
		t.Errorf("interrupted undo: %+v, last %+v", first, last)
	}
	if st := log.events[len(log.events)-2].(Stopped); !strings.Contains(st.Advice, "were not tried") {
		t.Errorf("Stopped: %q", st.Advice)
	}
	if n := len(f.e.sb.Users()); n != 20-first.Deleted {
		t.Errorf("%d users left after %d deleted", n, first.Deleted)
	}

	// Continued, through a server that fails its first answer: the users
	// left are looked up and deleted, with the retry told.
	log = serialLog{}
	uc.API, uc.Events = flakyClient(t, f.e, 1), log.add
	s, err := Undo(context.Background(), uc)
	if err != nil {
		t.Fatal(err)
	}
	got := log.kinds()
	if !regexp.MustCompile(`^Counted (ReadingBack\*? |Undoing\*? |Retrying )*UndoDone$`).MatchString(got) || !strings.Contains(got, "Retrying") || !strings.Contains(got, "Undoing") {
		t.Errorf("continued undo events: %s", got)
	}
	left := 20 - first.Deleted
	if n := log.events[0].(Counted).Total; n != left {
		t.Errorf("continued undo: Counted %d, want %d", n, left)
	}
	checkReadingBack(t, log.events, left)
	undoTally(t, log.events, s)
	if s.Deleted != left || s.EarlierDeleted != first.Deleted || len(f.e.sb.Users()) != 0 {
		t.Errorf("continued undo: %+v, %d users left", s, len(f.e.sb.Users()))
	}

	// Refused (another project): UndoDone alone.
	log = serialLog{}
	uc.Target = "elsewhere"
	if _, err := Undo(context.Background(), uc); err == nil {
		t.Fatal("undo against another project was not refused")
	}
	if got := log.kinds(); got != "UndoDone" {
		t.Errorf("refused undo events: %s", got)
	}
}
