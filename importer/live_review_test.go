package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// fakeAPI is an ImportAPI that completes every job at once (or as onPost
// says), for the resume tests.
type fakeAPI struct {
	mu     sync.Mutex
	n      int
	jobs   map[string]*adminapi.Job
	onPost func(n int, recs []json.RawMessage) (*adminapi.Job, error)
	getErr func(id string) error
}

func (f *fakeAPI) CreateImport(ctx context.Context, body []byte) (*adminapi.Job, error) {
	var req struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if f.onPost != nil {
		if j, err := f.onPost(n, req.Records); j != nil || err != nil {
			return j, err
		}
	}
	j := &adminapi.Job{ID: fmt.Sprintf("userimport_%032d", n), Status: adminapi.StatusCompleted}
	for i, r := range req.Records {
		j.Details = append(j.Details, adminapi.Detail{Index: i, Record: r, Outcome: adminapi.OutcomeInserted, UserID: fmt.Sprint("u", n, "-", i)})
	}
	f.mu.Lock()
	if f.jobs == nil {
		f.jobs = map[string]*adminapi.Job{}
	}
	f.jobs[j.ID] = j
	f.mu.Unlock()
	return j, nil
}

func (f *fakeAPI) GetImport(ctx context.Context, id string) (*adminapi.Job, error) {
	if f.getErr != nil {
		if err := f.getErr(id); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[id]; ok {
		return j, nil
	}
	return &adminapi.Job{ID: id, Status: adminapi.StatusCompleted}, nil
}

// csvInput is n rows of one email column and its mapping.
func csvInput(t *testing.T, n int) (*Source, *Mapping) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "u%d@example.com\n", i)
	}
	src, err := NewSource(strings.NewReader(b.String()), "in.csv", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	return src, m
}

// TestResumeThenInterruptReportsEachRowOnce: a resumed run that is
// interrupted at once must leave every record either reported by Import or
// not (so that replay lists the unread ones) — never both.
func TestResumeThenInterruptReportsEachRowOnce(t *testing.T) {
	jpath := filepath.Join(t.TempDir(), "j")
	fp := Fingerprint{Input: "x", Mapping: "y"}
	api := &fakeAPI{}
	opts := func(j *Journal) ImportOptions {
		return ImportOptions{API: api, Journal: j, CanarySize: -1, Concurrency: 1, TargetJobSeconds: 1e-9, PollMin: time.Millisecond}
	}
	{
		src, m := csvInput(t, 1000)
		plan, _ := Compile(m, src.Columns(), true)
		j, err := OpenJournal(jpath, fp, false)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cnt := 0
		Import(ctx, src, plan, opts(j), func(r ReportRow) error {
			if r.Outcome == OutcomeInserted {
				if cnt++; cnt == 500 {
					cancel()
				}
			}
			return nil
		})
		j.Close()
	}
	src, m := csvInput(t, 1000)
	plan, _ := Compile(m, src.Columns(), true)
	j, err := OpenJournal(jpath, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	seen := map[int]int{}
	sum, err := Import(ctx, src, plan, opts(j), func(r ReportRow) error {
		seen[r.Row]++
		cancel()
		return nil
	})
	if err == nil {
		t.Fatal("the interrupted run returned no error")
	}
	for row := 1; row <= 1000; row++ {
		if seen[row] > 1 {
			t.Fatalf("row %d reported %d times", row, seen[row])
		}
		if (seen[row] == 1) != sum.Reported(row) {
			t.Fatalf("row %d: reported %d times, Reported() = %v", row, seen[row], sum.Reported(row))
		}
	}
	if len(seen) < 500 {
		t.Errorf("only %d rows reported: the journal's 500 outcomes should be among them", len(seen))
	}
}

// TestResumedRunMeasuresOnlyItsOwnPace: outcomes read from the journal do
// not count toward the server's rate, so requests stay sized to about
// TargetJobSeconds of the server's real pace.
func TestResumedRunMeasuresOnlyItsOwnPace(t *testing.T) {
	jpath := filepath.Join(t.TempDir(), "j")
	fp := Fingerprint{Input: "x", Mapping: "y"}
	api := &fakeAPI{}
	{
		src, m := csvInput(t, 30000)
		plan, _ := Compile(m, src.Columns(), true)
		j, _ := OpenJournal(jpath, fp, false)
		ctx, cancel := context.WithCancel(context.Background())
		cnt := 0
		Import(ctx, src, plan, ImportOptions{API: api, Journal: j, CanarySize: -1, Concurrency: 1, TargetJobSeconds: 1e-9, PollMin: time.Millisecond}, func(r ReportRow) error {
			if cnt++; cnt == 20000 {
				cancel()
			}
			return nil
		})
		j.Close()
	}
	src, m := csvInput(t, 30000)
	plan, _ := Compile(m, src.Columns(), true)
	j, _ := OpenJournal(jpath, fp, false)
	defer j.Close()
	var mu sync.Mutex
	var sizes []int
	clock := time.Unix(0, 0)
	api.onPost = func(n int, recs []json.RawMessage) (*adminapi.Job, error) {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(recs))
		clock = clock.Add(time.Duration(len(recs)) * 10 * time.Millisecond) // a server at 100 records/s
		return nil, nil
	}
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	if _, err := Import(context.Background(), src, plan, ImportOptions{API: api, Journal: j, CanarySize: -1, Concurrency: 1, Now: now, PollMin: time.Millisecond}, func(ReportRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(sizes) == 0 {
		t.Fatal("the resumed run sent nothing")
	}
	for i, n := range sizes {
		if n > 2000 {
			t.Fatalf("request %d holds %d records: at 100 records/s that is %d s, far over the 10 s target (sizes %v)", i+1, n, n/100, sizes)
		}
	}
}

func TestBcryptAlphabetAndNestedCustomAttributes(t *testing.T) {
	good := "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	if err := CheckBcrypt(good); err != nil {
		t.Fatalf("a valid hash is refused: %v", err)
	}
	for _, bad := range []string{good[:29] + "!! \x00" + good[33:], good[:40] + "\u00e9" + good[42:]} {
		if len(bad) == 60 && CheckBcrypt(bad) == nil {
			t.Errorf("%q passes CheckBcrypt", bad)
		}
	}
	src, err := NewSource(strings.NewReader(`[{"email":"a@example.com","meta":{"tier":"go\u0000ld","tags":["x\u0001"]}}]`), "in.json", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("custom_attributes.meta", "meta")
	plan, err := Compile(m, src.Columns(), false)
	if err != nil {
		t.Fatal(err)
	}
	row, _ := src.Next()
	// Left out by default (issue 18), rejected under invalid: reject.
	if p := plan.Apply(row); !p.Valid() || p.Record.CustomAttributes != nil || p.Reason() != "imported without custom_attributes.meta: control_character" {
		t.Errorf("a NUL inside a custom attribute object passed: %q", p.Reason())
	}
	m.Fields["custom_attributes.meta"].Invalid = InvalidReject
	if plan, err = Compile(m, src.Columns(), false); err != nil {
		t.Fatal(err)
	}
	if p := plan.Apply(row); p.Valid() || !strings.Contains(p.Reason(), "control character") {
		t.Errorf("a NUL inside a custom attribute object passed under reject: %q", p.Reason())
	}
	for name, want := range map[string]HashFamily{"Bcrypt": HashBcrypt, "md5_crypt": "md5_crypt", "s3cr3t p@ss w0rd!!": "s3cr3t_pss_w0rd", strings.Repeat("x", 40): "unrecognised hasher"} {
		if got := HasherFamily(name); got != want {
			t.Errorf("HasherFamily(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestJournalDamagedMiddleLine: only a torn last line is forgiven; garbage
// before other entries refuses the journal instead of dropping what follows.
func TestJournalDamagedMiddleLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	fp := Fingerprint{Input: "x", Mapping: "y"}
	j, err := OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Request(1, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := j.Accepted(1, "userimport_00000000000000000000000000000001"); err != nil {
		t.Fatal(err)
	}
	j.Close()
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	damaged := lines[0] + "{not json\n" + strings.Join(lines[1:], "")
	if err := os.WriteFile(path, []byte(damaged), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(path, fp, false); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a damaged journal was opened: %v", err)
	}
	// A torn last line is still forgiven.
	if err := os.WriteFile(path, []byte(string(data)+`{"t":"res","seq":1,"res":[["1","ins`), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatalf("a torn last line refused the journal: %v", err)
	}
	j.Close()
}
