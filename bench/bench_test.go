// Package bench holds the benchmarks of issue 3: the dry run (read, map,
// validate, de-duplicate and report every record of a generated export)
// and the client overhead of a live import against a sandbox that answers
// at once. Run with
//
//	go test ./bench -run XXX -bench . -benchmem [-cpuprofile cpu.prof]
//
// BENCH_ROWS sets the dry run's size (default 100,000).
//
// The wizard's preview (the same dry run, drawn as it goes) is measured
// beside the dry run in package steps, on a 1,000,000-row export:
//
//	go test ./steps -run '^$' -bench BenchmarkPreview -benchtime 3x
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

func benchRows(def int) int { return envInt("BENCH_ROWS", def) }

// writeExport writes an n-row usergen CSV into dir.
func writeExport(tb testing.TB, dir string, n int, o usergen.Options) (string, *importer.Mapping) {
	tb.Helper()
	path := filepath.Join(dir, "users.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	o.Rows = n
	if err := usergen.Write(f, o); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	m, err := importer.ReadMapping(strings.NewReader(usergen.Mapping), "usergen.mapping.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return path, m
}

// BenchmarkDryRun is replay --dry-run without the command around it:
// OpenInput, CompileFor, Prepare and the report writer.
func BenchmarkDryRun(b *testing.B) {
	n := benchRows(100_000)
	dir := b.TempDir()
	path, m := writeExport(b, dir, n, usergen.Options{})
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := importer.OpenInput(path, m)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := importer.CompileFor(m, src)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := importer.NewReportWriter(filepath.Join(dir, "report.csv"))
		if err != nil {
			b.Fatal(err)
		}
		stats, err := importer.Prepare(context.Background(), src, plan, importer.PrepareOptions{}, func(p *importer.Prepared) error {
			o := importer.OutcomeValid
			if !p.Valid() {
				o = importer.OutcomeInvalid
			}
			return rep.Write(importer.ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: o, Reason: p.Reason()})
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := rep.Close(); err != nil {
			b.Fatal(err)
		}
		src.Close()
		if stats.Total != n || stats.Invalid != 0 {
			b.Fatalf("stats %+v", stats)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkApply is Plan.Apply alone on the rows of a 10,000-row usergen
// export read beforehand: one op is one record, so allocs/op and B/op are
// per record.
func BenchmarkApply(b *testing.B) {
	path, m := writeExport(b, b.TempDir(), 10_000, usergen.Options{})
	src, err := importer.OpenInput(path, m)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	plan, err := importer.CompileFor(m, src)
	if err != nil {
		b.Fatal(err)
	}
	var rows []*importer.Row
	for {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, row)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := plan.Apply(rows[i%len(rows)]); !p.Valid() {
			b.Fatal(p.Reason())
		}
	}
}

var (
	keyOnce sync.Once
	key     *sandbox.KeyPair
	keyErr  error
)

func benchKey(b *testing.B) *sandbox.KeyPair {
	keyOnce.Do(func() { key, keyErr = sandbox.GenerateKey() })
	if keyErr != nil {
		b.Fatal(keyErr)
	}
	return key
}

// client returns an adminapi client for url, signed with the bench key.
func client(b *testing.B, url string) *adminapi.Client {
	kp := benchKey(b)
	ep, err := adminapi.ParseEndpoint(url)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "bench", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		b.Fatal(err)
	}
	return adminapi.New(ep, ts)
}

// runImport imports path once and checks that every record was inserted.
func runImport(b *testing.B, path string, m *importer.Mapping, api importer.ImportAPI, n int) {
	src, err := importer.OpenInput(path, m)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	plan, err := importer.CompileFor(m, src)
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	sum, err := importer.Import(context.Background(), src, plan, importer.ImportOptions{
		API: api, PollMin: time.Millisecond, PollMax: 50 * time.Millisecond,
	}, func(importer.ReportRow) error { rows++; return nil })
	if err != nil {
		b.Fatal(err)
	}
	if sum.Inserted != n || rows != n {
		b.Fatalf("inserted %d, %d report rows, want %d: %+v", sum.Inserted, rows, n, sum)
	}
}

// BenchmarkImportSandbox: 100,000 records (BENCH_IMPORT_ROWS) through
// prepare, pack, send and poll into a sandbox that processes as fast as it
// can (Rate 0). The sandbox runs in the same process: its validation and
// storage are part of the time.
func BenchmarkImportSandbox(b *testing.B) {
	n := envInt("BENCH_IMPORT_ROWS", 100_000)
	path, m := writeExport(b, b.TempDir(), n, usergen.Options{})
	kp := benchKey(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sb, err := sandbox.Start(context.Background(), "127.0.0.1:0", sandbox.Options{
			ProjectID: "bench", Keys: []sandbox.PublicKey{kp.PublicKey()}, LoginIDTypes: []string{"email", "phone"},
		})
		if err != nil {
			b.Fatal(err)
		}
		api := client(b, sb.URL)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		b.StartTimer()
		runImport(b, path, m, api, n)
		b.StopTimer()
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n), "allocs/record")
		st := sb.Stats()
		sb.Close()
		if st.RecordsReceived != n {
			b.Fatalf("sandbox received %d records", st.RecordsReceived)
		}
		b.ReportMetric(float64(st.JobsAccepted), "jobs")
		b.ReportMetric(float64(st.StatusGETs), "polls")
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkImportNullServer is the client's share alone: the same import
// against an HTTP server that checks nothing and answers every POST with a
// completed job, every record inserted.
func BenchmarkImportNullServer(b *testing.B) {
	n := envInt("BENCH_IMPORT_ROWS", 100_000)
	path, m := writeExport(b, b.TempDir(), n, usergen.Options{})
	srv := httptest.NewServer(nullImportServer())
	defer srv.Close()
	api := client(b, srv.URL)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runImport(b, path, m, api, n)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n*b.N), "allocs/record")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func envInt(name string, def int) int {
	if s := os.Getenv(name); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// nullImportServer answers POST /_api/admin/users/import with a completed
// job whose every record is inserted, and GET with 404 (never needed).
func nullImportServer() http.Handler {
	var seq atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		n := countRecords(body)
		now := time.Now().UTC().Format(time.RFC3339Nano)
		out := make([]byte, 0, 64+n*80)
		out = fmt.Appendf(out, `{"result":{"id":"userimport_%032d","created_at":%q,"completed_at":%q,"status":"completed","summary":{"total":%d,"inserted":%d,"updated":0,"skipped":0,"failed":0},"details":[`,
			seq.Add(1), now, now, n, n)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = fmt.Appendf(out, `{"index":%d,"outcome":"inserted","user_id":"%08x-0000-4000-8000-000000000000"}`, i, i)
		}
		out = append(out, "]}}"...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
}

// countRecords counts the elements of the "records" array of an import
// request body without decoding it: objects at depth 2.
func countRecords(body []byte) int {
	depth, n := 0, 0
	inStr, esc := false, false
	for _, c := range body {
		switch {
		case esc:
			esc = false
		case inStr:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			if c == '{' && depth == 3 {
				n++
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return n
}
