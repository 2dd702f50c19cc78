package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

const replayUsage = `Usage: authgear-migrate replay --mapping MAPPING.yaml --input FILE [flags]

Runs a saved mapping over an export without a terminal UI: loads, maps,
normalises and validates every record, and then (unless --dry-run) imports
the valid ones through POST /_api/admin/users/import, following every job
to completion. Every input record gets exactly one line in the report.
Progress goes to stderr, the summary to stdout.

Target: --endpoint or AUTHGEAR_ENDPOINT with AUTHGEAR_PROJECT_ID,
AUTHGEAR_ADMIN_KEY_ID and AUTHGEAR_ADMIN_KEY_FILE (or --key-file); with no
endpoint configured, or with --sandbox, an in-process Authgear sandbox on
127.0.0.1 is the target (a rehearsal: nothing leaves this machine).

A live run keeps a journal next to the report; running the same command
again after a crash or Ctrl-C continues where it stopped.

`

type replayOptions struct {
	mapping, input, report, emitJSON, passwords, journal string
	journalFlag                                          string // --journal as given
	dryRun, jsonOut, upsert, restart, useSandbox         bool
	endpoint, keyFile, keyID, projectID                  string
	concurrency                                          int
	sandboxRoles, sandboxGroups, sandboxLoginIDs         string
	sandboxRate                                          float64
}

func runReplay(ctx context.Context, args []string, io *stdio) error {
	fs := newFlagSet("replay", replayUsage, io)
	var o replayOptions
	fs.StringVar(&o.mapping, "mapping", "", "the mapping file written by map or the wizard (required)")
	fs.StringVar(&o.input, "input", "", "the export: CSV, JSON or NDJSON (required)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "validate only: send nothing")
	fs.StringVar(&o.report, "report", "", "the per-record report CSV (default: INPUT-NAME.report.csv)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the summary as one JSON object")
	fs.StringVar(&o.emitJSON, "emit-json", "", "write the records exactly as the import API receives them to this file")
	fs.StringVar(&o.passwords, "passwords", "", "a separate password-hash export to join (Auth0); overrides the mapping's")
	fs.BoolVar(&o.useSandbox, "sandbox", false, "import into an in-process sandbox even if an endpoint is configured")
	fs.StringVar(&o.endpoint, "endpoint", "", "the Authgear endpoint, https://<project>.authgear.cloud (default: AUTHGEAR_ENDPOINT)")
	fs.StringVar(&o.keyFile, "key-file", "", "the Admin API private key file from the portal (default: AUTHGEAR_ADMIN_KEY_FILE)")
	fs.StringVar(&o.keyID, "key-id", "", "the Admin API key id from the portal (default: AUTHGEAR_ADMIN_KEY_ID)")
	fs.StringVar(&o.projectID, "project-id", "", "the project id (default: AUTHGEAR_PROJECT_ID, or from the endpoint)")
	fs.BoolVar(&o.upsert, "upsert", false, "update users that already exist (passwords are never updated)")
	fs.IntVar(&o.concurrency, "concurrency", 2, "import jobs in flight at once")
	fs.BoolVar(&o.restart, "restart", false, "ignore the journal of an unfinished earlier run and start over")
	fs.StringVar(&o.journal, "journal", "", "the resume journal (default: next to the report)")
	fs.StringVar(&o.sandboxRoles, "sandbox-roles", "", "roles that exist in the sandbox project, comma-separated, or * for any")
	fs.StringVar(&o.sandboxGroups, "sandbox-groups", "", "groups that exist in the sandbox project, comma-separated, or * for any")
	fs.StringVar(&o.sandboxLoginIDs, "sandbox-login-ids", "email", "login ID types enabled in the sandbox project: email,phone,username")
	fs.Float64Var(&o.sandboxRate, "sandbox-rate", 0, "records per second the sandbox processes (0: as fast as it can; the real server does about 100)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.journalFlag = o.journal
	if o.mapping == "" || o.input == "" {
		return usagef("replay: --mapping and --input are required\n\n%s", replayUsage)
	}
	if o.concurrency < 1 || o.concurrency > 16 {
		return usagef("replay: --concurrency must be between 1 and 16")
	}
	if o.dryRun && o.useSandbox {
		return usagef("replay: --dry-run sends nothing; drop --sandbox or --dry-run")
	}
	if o.emitJSON != "" && !o.dryRun {
		return usagef("replay: --emit-json goes with --dry-run (the records as they would be sent)")
	}
	for _, f := range [][2]string{{o.mapping, "--mapping"}, {o.input, "--input"}} {
		if err := checkReadable(f[0], f[1]); err != nil {
			return err
		}
	}
	if o.passwords != "" {
		if err := checkReadable(o.passwords, "--passwords"); err != nil {
			return err
		}
	}
	return replay(ctx, o, io)
}

// replay runs a mapping over an input; main and the demo share it.
func replay(ctx context.Context, o replayOptions, io *stdio) error {
	m, err := importer.ReadMappingFile(o.mapping)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if o.passwords != "" {
		if m.Source.Passwords == nil {
			m.Source.Passwords = &importer.JoinSpec{}
		}
		m.Source.Passwords.File = o.passwords
	}
	if o.upsert {
		m.Upsert = true
	}
	src, err := importer.OpenInput(o.input, m)
	if err != nil {
		return fmt.Errorf("load %s: %w", o.input, err)
	}
	defer src.Close()
	plan, err := importer.CompileFor(m, src)
	if err != nil {
		var me *importer.MappingError
		if errors.As(err, &me) {
			return usagef("%s does not fit %s: %v", o.mapping, o.input, err)
		}
		return err
	}
	if o.report == "" {
		o.report = stem(o.input) + ".report.csv"
	}
	if o.journal == "" {
		o.journal = strings.TrimSuffix(o.report, filepath.Ext(o.report)) + ".journal"
	}
	if err := checkOutputPaths(o, m, src.Format()); err != nil {
		return err
	}
	// Everything that can be refused is checked before any output file
	// is touched.
	var tgt *target
	if !o.dryRun {
		if tgt, err = resolveTarget(ctx, o, io); err != nil {
			return err
		}
		defer tgt.close()
	}
	limitMemory(io, tgt)
	rep, err := importer.NewReportWriter(o.report)
	if err != nil {
		return fmt.Errorf("create the report: %w", err)
	}
	reportClosed := false
	defer func() {
		if !reportClosed {
			rep.Close()
		}
	}()
	prog := newLineProgress(io.Err, io.StderrTTY)
	start := time.Now()
	// Rejected records go to the retry file as they come (invalid ones);
	// records the server failed are added by a second pass at the end.
	retry := importer.NewRetryWriter(importer.RetryPath(o.report, src.Format()), src)
	retryClosed := false
	defer func() {
		if !retryClosed {
			retry.Close()
		}
	}()
	bad := &rowSet{}
	var sum summary
	sum.Input, sum.Report, sum.DryRun = o.input, o.report, o.dryRun
	var runErr error
	if o.dryRun {
		var emit *importer.JSONRecordsWriter
		if o.emitJSON != "" {
			if emit, err = importer.NewJSONRecordsWriter(o.emitJSON, m.Identifier, m.Upsert); err != nil {
				return fmt.Errorf("create %s: %w", o.emitJSON, err)
			}
		}
		stats, err := importer.Prepare(ctx, src, plan, importer.PrepareOptions{
			Progress: func(s importer.PrepareStats) {
				prog.update(fmt.Sprintf("validated %d records (%d invalid)", s.Total, s.Invalid), false)
			},
		}, func(p *importer.Prepared) error {
			r := importer.ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: importer.OutcomeValid, Reason: p.Reason()}
			if !p.Valid() {
				r.Outcome = importer.OutcomeInvalid
				if err := retry.Write(p.Row); err != nil {
					return err
				}
			} else if emit != nil {
				if err := emit.Write(p.Record); err != nil {
					return err
				}
			}
			return rep.Write(r)
		})
		if emit != nil {
			if cerr := emit.Close(); err == nil {
				err = cerr
			}
			sum.EmitJSON = o.emitJSON
		}
		prog.update(fmt.Sprintf("validated %d records (%d invalid)", stats.Total, stats.Invalid), true)
		prog.done()
		sum.PrepareStats = stats
		runErr = err
	} else {
		runErr = replayLive(ctx, o, tgt, m, src, plan, rep, retry, bad, prog, &sum)
	}
	reportClosed = true
	if err := rep.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write the report: %w", err)
	}
	if bad.n > 0 {
		if err := addFailedToRetry(o, m, bad, retry); err != nil && runErr == nil {
			runErr = err
		}
	}
	retryClosed = true
	if err := retry.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write the retry file: %w", err)
	}
	if retry.Count() > 0 {
		sum.Retry = retry.Path()
	}
	sum.Seconds = time.Since(start).Seconds()
	printSummary(io, o, m, &sum, runErr)
	if runErr != nil {
		var se *importer.StopError
		if errors.As(runErr, &se) && errors.Is(runErr, context.Canceled) {
			return errInterrupted
		}
		if errors.Is(runErr, context.Canceled) {
			return errInterrupted
		}
		var pe *importer.ParseError
		if errors.As(runErr, &pe) {
			return fmt.Errorf("load: %w", runErr)
		}
		if errors.As(runErr, &se) {
			return &printedError{runErr}
		}
		return runErr
	}
	if sum.Invalid > 0 || sum.Failed > 0 || sum.NotSent > 0 {
		return &partialError{invalid: sum.Invalid, failed: sum.Failed}
	}
	return nil
}

// printedError has been shown in the summary already; it only sets exit 1.
type printedError struct{ err error }

func (e *printedError) Error() string { return e.err.Error() }
func (e *printedError) Unwrap() error { return e.err }

// summary is what replay prints at the end (--json: one object).
type summary struct {
	importer.ImportSummary
	DryRun   bool     `json:"dry_run"`
	Target   string   `json:"target,omitempty"`
	Input    string   `json:"input"`
	Report   string   `json:"report"`
	Retry    string   `json:"retry,omitempty"`
	EmitJSON string   `json:"emit_json,omitempty"`
	Journal  string   `json:"journal,omitempty"`
	Seconds  float64  `json:"seconds"`
	Error    string   `json:"error,omitempty"`
	Resume   string   `json:"resume_command,omitempty"`
	Notes    []string `json:"notes,omitempty"`

	inProcess bool
}

func printSummary(io *stdio, o replayOptions, m *importer.Mapping, s *summary, runErr error) {
	if runErr != nil {
		s.Error = runErr.Error()
		var se *importer.StopError
		if s.inProcess && errors.Is(runErr, context.Canceled) {
			s.Error = "interrupted"
		}
		if s.inProcess {
			s.Notes = append(s.Notes, "the in-process sandbox ended with this run: running the command again rehearses from the start")
		} else if errors.As(runErr, &se) || errors.Is(runErr, context.Canceled) {
			s.Resume = resumeCommand(o)
		}
	}
	if s.PasswordsNotImportable > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d passwords use hashes Authgear cannot import (bcrypt only); those users must set a new password (the forgot-password flow or a passwordless login). To keep their old passwords, move them with a rolling migration instead of a bulk import: %s.", s.PasswordsNotImportable, importer.RollingMigrationGuide))
	}
	var attrs []string
	for _, k := range m.FieldKeys() {
		if name, ok := strings.CutPrefix(k, importer.CustomAttributePrefix); ok {
			attrs = append(attrs, name)
		}
	}
	if len(attrs) > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("custom attributes (%s) are stored only if the project defines them (portal: User Profile > Custom Attributes); Authgear silently ignores the others, with no warning.", strings.Join(attrs, ", ")))
	}
	if m.Upsert && !s.DryRun {
		s.Notes = append(s.Notes, "upsert: existing users were updated, but their passwords (and MFA password and TOTP) are never changed by an import.")
	}
	if o.jsonOut {
		enc := json.NewEncoder(io.Out)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return
	}
	w := io.Out
	mode := "dry run"
	if !s.DryRun {
		mode = "import into " + s.Target
	}
	fmt.Fprintf(w, "authgear-migrate replay (%s): %s\n", mode, s.Input)
	fmt.Fprintf(w, "  records        %8d\n", s.Total)
	if s.DryRun {
		fmt.Fprintf(w, "  valid          %8d\n", s.Valid)
	} else {
		fmt.Fprintf(w, "  inserted       %8d\n  updated        %8d\n  skipped        %8d\n  failed         %8d\n", s.Inserted, s.Updated, s.Skipped, s.Failed)
		if s.NotSent > 0 {
			fmt.Fprintf(w, "  not sent       %8d\n", s.NotSent)
		}
		if s.Resumed > 0 {
			fmt.Fprintf(w, "  (from journal) %8d\n", s.Resumed)
		}
	}
	fmt.Fprintf(w, "  invalid        %8d\n", s.Invalid)
	fmt.Fprintf(w, "  passwords      %8d bcrypt, %d not importable, %d dropped\n", s.PasswordsBcrypt, s.PasswordsNotImportable, s.PasswordsDropped)
	fmt.Fprintf(w, "report: %s\n", s.Report)
	if s.Retry != "" {
		fmt.Fprintf(w, "retry file (the rejected records, to fix and replay): %s\n", s.Retry)
	}
	if s.EmitJSON != "" {
		fmt.Fprintf(w, "records as sent: %s\n", s.EmitJSON)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if s.Error != "" {
		fmt.Fprintf(w, "stopped: %s\n", s.Error)
	}
	if s.Resume != "" {
		fmt.Fprintf(w, "resume: %s\n", s.Resume)
	}
}

func resumeCommand(o replayOptions) string {
	parts := []string{"authgear-migrate", "replay", "--mapping", shellQuote(o.mapping), "--input", shellQuote(o.input), "--report", shellQuote(o.report)}
	for _, f := range [][2]string{{"--passwords", o.passwords}, {"--journal", o.journalFlag}, {"--endpoint", o.endpoint},
		{"--key-file", o.keyFile}, {"--key-id", o.keyID}, {"--project-id", o.projectID}} {
		if f[1] != "" {
			parts = append(parts, f[0], shellQuote(f[1]))
		}
	}
	if o.upsert {
		parts = append(parts, "--upsert")
	}
	if o.concurrency != 2 {
		parts = append(parts, "--concurrency", fmt.Sprint(o.concurrency))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// rowSet is the record numbers that go to the retry file.
type rowSet struct {
	w []uint64
	n int
}

func (s *rowSet) add(i int) {
	for i/64 >= len(s.w) {
		s.w = append(s.w, 0)
	}
	if s.w[i/64]&(1<<(uint(i)%64)) == 0 {
		s.n++
	}
	s.w[i/64] |= 1 << (uint(i) % 64)
}

func (s *rowSet) has(i int) bool { return i/64 < len(s.w) && s.w[i/64]&(1<<(uint(i)%64)) != 0 }

// addFailedToRetry re-reads the input and adds the records the server
// failed (or that were not sent) to the retry file, in the input's format.
func addFailedToRetry(o replayOptions, m *importer.Mapping, bad *rowSet, w *importer.RetryWriter) error {
	return eachRow(o.input, m, func(row *importer.Row) error {
		if bad.has(row.Num) {
			return w.Write(row)
		}
		return nil
	})
}

// eachRow reads the input again, the way the mapping reads it.
func eachRow(input string, m *importer.Mapping, fn func(*importer.Row) error) error {
	src, err := importer.Open(input, m.SourceOptions())
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		row, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// target is where a live replay sends the records.
type target struct {
	api       importer.ImportAPI
	name      string // for the summary
	id        string // endpoint and project, in the journal's fingerprint
	inProcess bool
	warnings  []string
	close     func()
}

// resolveTarget checks the endpoint, credentials and sandbox options (usage
// errors) and returns the client, or starts the in-process sandbox.
func resolveTarget(ctx context.Context, o replayOptions, io *stdio) (*target, error) {
	cfg := adminapi.ConfigFromEnv(io.Getenv)
	if o.endpoint != "" {
		cfg.Endpoint = o.endpoint
	}
	if o.keyFile != "" {
		cfg.KeyFile, cfg.KeyData = o.keyFile, ""
	}
	if o.keyID != "" {
		cfg.KeyID = o.keyID
	}
	if o.projectID != "" {
		cfg.ProjectID = o.projectID
	}
	if o.useSandbox || cfg.Endpoint == "" {
		if o.sandboxRate < 0 {
			return nil, usagef("replay: --sandbox-rate must not be negative")
		}
		for _, t := range splitList(o.sandboxLoginIDs) {
			if t != "email" && t != "phone" && t != "username" {
				return nil, usagef("replay: --sandbox-login-ids takes email, phone and username, not %q", t)
			}
		}
		sb, client, err := startSandbox(ctx, o)
		if err != nil {
			return nil, err
		}
		t := &target{api: client, inProcess: true, close: func() { sb.Close() },
			name: "the in-process sandbox at " + sb.URL + " (a rehearsal: nothing was sent to Authgear)"}
		if !o.useSandbox {
			t.warnings = append(t.warnings, "no endpoint configured (AUTHGEAR_ENDPOINT or --endpoint): importing into the in-process sandbox")
		}
		return t, nil
	}
	endpoint, err := adminapi.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	creds, warnings, err := adminapi.LoadCredentials(cfg)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	tokens, err := adminapi.NewTokenSource(creds)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return &target{api: adminapi.New(endpoint, tokens), name: endpoint.String(), warnings: warnings,
		id: endpoint.String() + " project " + creds.ProjectID, close: func() {}}, nil
}

// checkOutputPaths refuses outputs that would overwrite an input (or each
// other): the report is created before the input is read to its end.
func checkOutputPaths(o replayOptions, m *importer.Mapping, f importer.Format) error {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	inputs := map[string]string{abs(o.input): "--input", abs(o.mapping): "--mapping"}
	if m.Source.Passwords != nil && m.Source.Passwords.File != "" {
		inputs[abs(m.Source.Passwords.File)] = "--passwords"
	}
	outputs := [][2]string{{o.report, "--report"}, {importer.RetryPath(o.report, f), "the retry file"}}
	if o.emitJSON != "" {
		outputs = append(outputs, [2]string{o.emitJSON, "--emit-json"})
	}
	if !o.dryRun {
		outputs = append(outputs, [2]string{o.journal, "the journal"})
	}
	seen := map[string]string{}
	for _, out := range outputs {
		a := abs(out[0])
		if in, ok := inputs[a]; ok {
			return usagef("replay: %s (%s) is the same file as %s: it would be overwritten", out[1], out[0], in)
		}
		if other, ok := seen[a]; ok {
			return usagef("replay: %s and %s are the same file (%s)", other, out[1], out[0])
		}
		seen[a] = out[1]
	}
	return nil
}

// limitMemory sets a soft memory limit for the engine's own runs (a dry run
// or a client-only import): the working set is small, and without a limit
// Go lets the heap reach twice it. An in-process sandbox keeps every user
// in memory, so it runs without one. GOMEMLIMIT overrides.
func limitMemory(io *stdio, t *target) {
	if io.Getenv("GOMEMLIMIT") != "" || (t != nil && t.inProcess) {
		return
	}
	debug.SetMemoryLimit(110 << 20)
}

// replayLive imports into the resolved target.
func replayLive(ctx context.Context, o replayOptions, tgt *target, m *importer.Mapping, src *importer.Source, plan *importer.Plan,
	rep *importer.ReportWriter, retry *importer.RetryWriter, bad *rowSet, prog *lineProgress, sum *summary) error {
	api := tgt.api
	sum.Target = tgt.name
	sum.inProcess = tgt.inProcess
	for _, w := range tgt.warnings {
		prog.println("warning: " + w)
	}
	if tgt.inProcess {
		// The in-process sandbox ends with the process: its jobs cannot be
		// resumed, so a rehearsal keeps no journal (and never touches the
		// journal of a real import next to the same report).
		return runImport(ctx, o, api, nil, m, src, plan, rep, retry, bad, prog, sum)
	}
	files := []string{o.input}
	if m.Source.Passwords != nil && m.Source.Passwords.File != "" {
		files = append(files, m.Source.Passwords.File)
	}
	fp, err := importer.FingerprintFiles(m, files...)
	if err != nil {
		return err
	}
	fp.Target = tgt.id
	journal, err := importer.OpenJournal(o.journal, fp, o.restart)
	if err != nil {
		if errors.Is(err, importer.ErrJournalMismatch) {
			return &usageError{msg: err.Error()}
		}
		return err
	}
	defer journal.Close()
	sum.Journal = o.journal
	if resuming, n := journal.Resuming(); resuming {
		prog.println(fmt.Sprintf("resuming the import recorded in %s (%d records already have an outcome)", o.journal, n))
	}
	return runImport(ctx, o, api, journal, m, src, plan, rep, retry, bad, prog, sum)
}

// runImport runs the pipeline with or without a journal.
func runImport(ctx context.Context, o replayOptions, api importer.ImportAPI, journal *importer.Journal, m *importer.Mapping, src *importer.Source, plan *importer.Plan,
	rep *importer.ReportWriter, retry *importer.RetryWriter, bad *rowSet, prog *lineProgress, sum *summary) error {
	total, _ := countRecords(o.input, m)
	is, err := importer.Import(ctx, src, plan, importer.ImportOptions{
		API:         api,
		Concurrency: o.concurrency,
		Journal:     journal,
		Total:       total,
		Rejected:    retry.Write,
		Progress: func(p importer.ImportProgress) {
			prog.update(progressLine(p), false)
		},
	}, func(r importer.ReportRow) error {
		if r.Outcome == importer.OutcomeFailed {
			bad.add(r.Row)
		}
		return rep.Write(r)
	})
	prog.done()
	sum.ImportSummary = is
	sum.Total = is.Inserted + is.Updated + is.Skipped + is.Failed + is.Invalid + is.NotSent
	if err != nil {
		// Stopped early: the records never read still get a line each.
		n, rerr := reportUnread(o.input, m, is, rep, bad)
		sum.NotSent += n
		sum.Total += n
		if rerr != nil {
			prog.println("warning: could not list the records the run never read: " + rerr.Error())
		}
	}
	return err
}

// reportUnread gives every record the stopped run never reported a "not
// sent" line.
func reportUnread(input string, m *importer.Mapping, is importer.ImportSummary, rep *importer.ReportWriter, bad *rowSet) (int, error) {
	n := 0
	err := eachRow(input, m, func(row *importer.Row) error {
		if is.Reported(row.Num) {
			return nil
		}
		n++
		bad.add(row.Num)
		return rep.Write(importer.ReportRow{Row: row.Num, Outcome: importer.OutcomeFailed, Reason: "not sent: the run stopped before this record was read; run the same command again to continue"})
	})
	return n, err
}

func progressLine(p importer.ImportProgress) string {
	done := p.Accounted()
	s := fmt.Sprintf("imported %d", done)
	if p.Total > 0 {
		s += fmt.Sprintf("/%d (%d%%)", p.Total, done*100/max(p.Total, 1))
	}
	s += fmt.Sprintf(": %d inserted, %d updated, %d skipped, %d failed, %d invalid", p.Inserted, p.Updated, p.Skipped, p.Failed, p.Invalid)
	if p.Estimated > 0 {
		s += fmt.Sprintf(", ~%d more processing (estimate)", p.Estimated)
	}
	if p.Rate > 0 {
		s += fmt.Sprintf(", %.0f rec/s", p.Rate)
	}
	if p.ETA > 0 {
		s += ", ETA " + p.ETA.Round(time.Second).String()
	}
	return s
}

// countRecords counts the input's records for the ETA (a fast pass).
func countRecords(path string, m *importer.Mapping) (int, error) {
	n := 0
	err := eachRow(path, m, func(*importer.Row) error { n++; return nil })
	return n, err
}

// startSandbox runs an in-process sandbox with a fresh key and returns a
// client for it.
func startSandbox(ctx context.Context, o replayOptions) (*sandbox.Running, *adminapi.Client, error) {
	kp, err := sandbox.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	opts := sandbox.Options{
		ProjectID:    "sandbox",
		Keys:         []sandbox.PublicKey{kp.PublicKey()},
		LoginIDTypes: splitList(o.sandboxLoginIDs),
		Roles:        splitList(o.sandboxRoles),
		Groups:       splitList(o.sandboxGroups),
		Rate:         o.sandboxRate,
	}
	// Not ctx: on Ctrl-C the jobs in flight are still read for a grace
	// period, so the sandbox must outlive ctx; replayLive closes it.
	sb, err := sandbox.Start(context.WithoutCancel(ctx), "127.0.0.1:0", opts)
	if err != nil {
		return nil, nil, err
	}
	endpoint, err := adminapi.ParseEndpoint(sb.URL)
	if err != nil {
		sb.Close()
		return nil, nil, err
	}
	tokens, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "sandbox", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		sb.Close()
		return nil, nil, err
	}
	return sb, adminapi.New(endpoint, tokens), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runSandbox(ctx context.Context, args []string, io *stdio) error {
	err := sandbox.Main(ctx, args, io.Out, io.Err)
	if errors.Is(err, flag.ErrHelp) {
		return flag.ErrHelp
	}
	if errors.Is(err, sandbox.ErrUsage) {
		return &usageError{msg: err.Error()}
	}
	return err
}
