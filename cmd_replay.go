package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
	"github.com/authgear-migrate/authgear-migrate/internal/rehearsal"
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
again after a crash or Ctrl-C continues where it stopped. The report and
journal of a live import are its record (undo and verify read them): a
later live run of the same migration continues them (users already
imported keep their outcome and id; failed and unsent records are sent
again), and any other run (another project, input or mapping, a dry run,
--restart over a journal with user ids) is refused and must name a new
--report. Two runs on one report are refused: the second names the first.

--canary-sign-in LOGIN_ID sends that user's record first, in the first
request (the canary), then signs in as that user through the project's own
login with the password typed on the terminal (not shown) or read from the
first line of --password-file, and stops the run before the rest is sent
when the password does not work (a pepper the old system added, a
double-hashed export, a password longer than bcrypt's 72 bytes): one user
imported, not all of them. The same command again does not send the user
again and signs in again before the rest.

`

type replayOptions struct {
	mapping, input, report, emitJSON, passwords, journal string
	dryRun, jsonOut, upsert, restart, useSandbox         bool
	endpoint, keyFile, keyID, projectID                  string
	concurrency                                          int
	jobTimeout                                           time.Duration
	title                                                string // the summary's heading (default: authgear-migrate replay)
	sandboxRoles, sandboxGroups, sandboxLoginIDs         string
	sandboxRate                                          float64
	createRoles                                          bool // --create-roles (issue 10)
	yes                                                  bool // --yes: create them without the typed confirmation
	maxNewRoles                                          int  // --max-new-roles
	// --canary-sign-in LOGIN_ID, its --password-file and --public-endpoint
	// (issue 16 item 2); password is read before the run, never a flag.
	canarySignIn, passwordFile, publicEndpoint string
	password                                   string
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
	fs.DurationVar(&o.jobTimeout, "job-timeout", 15*time.Minute, "take a job that stays pending this long for lost (a server killed mid-task loses it): its records are looked up, and those not imported are sent again")
	fs.BoolVar(&o.restart, "restart", false, "start over a journal that holds no user id (one that does is refused: name a new --report)")
	fs.StringVar(&o.journal, "journal", "", "the resume journal (default: next to the report)")
	fs.StringVar(&o.sandboxRoles, "sandbox-roles", "", "roles that exist in the sandbox project, comma-separated, or * for any")
	fs.StringVar(&o.sandboxGroups, "sandbox-groups", "", "groups that exist in the sandbox project, comma-separated, or * for any")
	fs.StringVar(&o.sandboxLoginIDs, "sandbox-login-ids", "email", "login ID types enabled in the sandbox project: email,phone,username")
	fs.Float64Var(&o.sandboxRate, "sandbox-rate", 0, "records per second the sandbox processes (0: as fast as it can; the real server does about 100)")
	fs.BoolVar(&o.createRoles, "create-roles", false, "create the roles and groups the records need that the project lacks, after the first request (listed first, with a typed confirmation)")
	fs.BoolVar(&o.yes, "yes", false, "with --create-roles: create them without asking for the typed confirmation")
	fs.IntVar(&o.maxNewRoles, "max-new-roles", importer.DefaultMaxNewKeys, "with --create-roles: the most roles and groups created; more refuses the run")
	fs.StringVar(&o.canarySignIn, "canary-sign-in", "", "send this login ID's record first and sign in as that user before the rest is sent; stop when the password does not work")
	fs.StringVar(&o.passwordFile, "password-file", "", "with --canary-sign-in: read the password from the first line of this file (default: typed on the terminal)")
	fs.StringVar(&o.publicEndpoint, "public-endpoint", "", "with --canary-sign-in: the project's public endpoint (default: the Admin API endpoint)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.mapping == "" || o.input == "" {
		return usagef("replay: --mapping and --input are required\n\n%s", replayUsage)
	}
	if o.canarySignIn == "" && (o.passwordFile != "" || o.publicEndpoint != "") {
		return usagef("replay: --password-file and --public-endpoint go with --canary-sign-in LOGIN_ID")
	}
	if o.canarySignIn != "" && o.dryRun {
		return usagef("replay: --dry-run sends nothing and signs in as no one; drop --canary-sign-in or --dry-run")
	}
	if o.jobTimeout < time.Second {
		return usagef("replay: --job-timeout must be at least 1s")
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
	if o.maxNewRoles < 1 {
		return usagef("replay: --max-new-roles must be at least 1")
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
	if o.canarySignIn != "" {
		pw, err := readPassword(io, o.passwordFile, o.canarySignIn)
		if err != nil {
			return err
		}
		o.password = pw
	}
	return replay(ctx, o, io)
}

// replay runs a mapping over an input through importer.Run; main and the
// demo share it. It resolves the target, turns the run's events into
// stderr lines and prints the summary; exitCode maps what it returns.
func replay(ctx context.Context, o replayOptions, io *stdio) error {
	m, err := importer.ReadMappingFile(o.mapping)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if o.report == "" {
		o.report = importer.DefaultReport(o.input)
	}
	cfg := importer.RunConfig{
		Mapping: m, MappingPath: o.mapping, Input: o.input, Passwords: o.passwords, Upsert: o.upsert,
		DryRun: o.dryRun, Report: o.report, Journal: o.journal, Restart: o.restart, EmitJSON: o.emitJSON,
		Concurrency: o.concurrency, ResumeCommand: resumeCommand(o),
		Import: importer.ImportOptions{PendingLimit: o.jobTimeout},
	}
	if o.canarySignIn != "" {
		cfg.CanarySignIn = &importer.SignInCheck{LoginID: o.canarySignIn, Password: o.password, PublicEndpoint: o.publicEndpoint}
	}
	if !o.dryRun {
		t, err := resolveTarget(ctx, o, io, m)
		if err != nil {
			return err
		}
		defer t.Close()
		cfg.Target = t
		// The project, prepared (issue 17 item 7): the missing roles and
		// groups are listed before anything is sent and, with
		// --create-roles, created after the first request once confirmed.
		if api, ok := t.API.(importer.ProjectAPI); ok && !t.Rehearsal {
			project := adminConfig(adminFlags{o.endpoint, o.keyFile, o.keyID, o.projectID}, io).ProjectID
			if project == "" {
				project = t.ID
			}
			in := bufio.NewReader(io.In)
			importer.NewProjectPrep(api, importer.ProjectOptions{
				Create: o.createRoles, MaxNew: o.maxNewRoles,
				Confirm: func(p importer.KeyPlan) bool {
					fmt.Fprintf(io.Err, "--create-roles: the project %s lacks %d roles and groups the records need; they are created after the first request:\n", importer.Printable(project), len(p.Create))
					for _, k := range p.Create {
						fmt.Fprintf(io.Err, "  %s\n", importer.Printable(k.String()))
					}
					if o.yes {
						return true
					}
					want := p.Confirmation(project)
					fmt.Fprintf(io.Err, "Type %q to continue (or run with --yes): ", importer.Printable(want))
					line, _ := in.ReadString('\n')
					if !strings.HasSuffix(line, "\n") {
						fmt.Fprintln(io.Err) // no answer: the next line starts on its own
					}
					return strings.TrimSpace(line) == want
				},
				Tell: func(msg string, r importer.Remedy) {
					if r == importer.RemedyCreateRoles {
						msg += ". Create them with --create-roles (or in the portal, User Management > Roles and Groups), then run again"
					}
					fmt.Fprintln(io.Err, importer.Printable(msg))
				},
			}).Install(&cfg)
		}
	}
	limitMemory(io, cfg.Target)
	prog := newLineProgress(io.Err, io.StderrTTY)
	cfg.Events = func(e importer.Event) {
		switch e := e.(type) {
		case importer.Validating:
			prog.update(validatedLine(e.Stats), false)
		case importer.Importing:
			prog.update(progressLine(e.Progress), false)
		case importer.Warning:
			prog.println("warning: " + importer.Printable(e.Message))
		case importer.Retrying:
			prog.println("retrying: " + importer.Printable(e.Retry.String()))
		case importer.Estimated:
			// The time before the run, at the canary's pace (issue 16
			// item 7); the ETA on the progress line follows the pace.
			prog.println("estimate: " + e.String())
			prog.println("  how: " + e.Basis())
		case importer.CanarySignedIn:
			canarySignedIn(prog, e)
		case importer.Resuming:
			prog.println(fmt.Sprintf("resuming the import recorded in %s (%d records already have an outcome)", e.Journal, e.Settled))
		case importer.Done:
			if e.Summary.DryRun {
				prog.update(validatedLine(e.Summary.PrepareStats), true)
			}
			prog.done()
		}
	}
	s, err := importer.Run(ctx, cfg)
	var re *importer.RefusedError
	if errors.As(err, &re) {
		advice := historyAdvice(err)
		if advice == "" {
			advice = replayRemedy(re.Remedy)
		}
		return &usageError{msg: "replay: " + re.Msg + advice}
	}
	var tm *importer.TooManyKeysError
	if errors.As(err, &tm) {
		return &usageError{msg: fmt.Sprintf("replay: %s (--max-new-roles %d allows them)", importer.Printable(tm.Error()), len(tm.Plan.Create))}
	}
	if errors.Is(err, importer.ErrKeysNotConfirmed) {
		return &usageError{msg: "replay: --create-roles: not confirmed; nothing was created or sent"}
	}
	if s.Error != "" {
		s.Error += replayRemedy(importer.RemedyOf(err))
	}
	if s.DryRun && s.Needs != nil && !o.jsonOut {
		if adv := s.Needs.InvalidKeyAdvice(); adv != "" {
			fmt.Fprintln(io.Err, "warning: "+importer.Printable(adv))
		}
	}
	printSummary(io, o, &s)
	// The summary showed what went wrong ("stopped: ..."): the error only
	// carries the exit code, decided by the engine for every front end.
	return runExit(ctx, &s, err)
}

// runExit is the error that gives a run's exit code (importer.ExitCode),
// shown already by the summary; nil for 0.
func runExit(ctx context.Context, s *importer.RunSummary, err error) error {
	code := importer.ExitCode(s, err, context.Cause(ctx))
	switch {
	case code == importer.ExitOK:
		return nil
	case code == importer.ExitPartial && err == nil:
		return &partialError{invalid: s.Invalid, failed: s.Failed}
	case err == nil && s != nil:
		err = errors.New(s.Error)
	case err == nil:
		err = errors.New("the run did not finish")
	}
	return &runError{err: err, code: code}
}

// replayRemedy words a remedy with replay's flags.
func replayRemedy(r importer.Remedy) string {
	switch r {
	case importer.RemedyOtherReport:
		return "; choose another --report"
	case importer.RemedyCreateRoles:
		return " (run with --create-roles to have the missing roles and groups created, after the first request)"
	case importer.RemedyUpsert:
		return " (with --upsert to add it to the users already imported)"
	case importer.RemedyRunAgain:
		return "; run the same command again to continue"
	case importer.RemedySignInAgain:
		return "; if the password was mistyped, run the same command again (the canary user is not sent again, and is signed in as again before the rest); to go on without the check, run it without --canary-sign-in"
	case importer.RemedyRestart:
		return "; run with --restart to start over (records it already imported will come back skipped)"
	}
	return ""
}

// printedError has been shown in the summary already; it only sets the
// exit code.
type printedError struct{ err error }

// runError ends a run that the summary showed already: it only carries
// the run's exit code (importer.ExitCode).
type runError struct {
	err  error
	code int
}

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

func (e *printedError) Error() string { return e.err.Error() }
func (e *printedError) Unwrap() error { return e.err }

func printSummary(io *stdio, o replayOptions, s *importer.RunSummary) {
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
	title := o.title
	if title == "" {
		title = "authgear-migrate replay"
	}
	fmt.Fprintf(w, "%s (%s): %s\n", title, mode, s.Input)
	fmt.Fprintf(w, "  records        %8d\n", s.Total)
	if s.DryRun {
		fmt.Fprintf(w, "  valid          %8d\n", s.Valid)
	} else {
		fmt.Fprintf(w, "  inserted       %8d\n  updated        %8d\n  skipped        %8d\n  failed         %8d\n", s.Inserted, s.Updated, s.Skipped, s.Failed)
		if s.NotSent > 0 {
			fmt.Fprintf(w, "  not sent       %8d\n", s.NotSent)
		}
		if s.Unresolved > 0 {
			fmt.Fprintf(w, "  no outcome yet %8d sent, outcome not known: the same command again reads or looks them up\n", s.Unresolved)
		}
		if s.Resumed > 0 {
			fmt.Fprintf(w, "  (from journal) %8d\n", s.Resumed)
		}
	}
	fmt.Fprintf(w, "  invalid        %8d\n", s.Invalid)
	if s.NotUsers > 0 {
		// Objects of a Django fixture that are not users: apart from the
		// invalid users, and no reason for exit code 3.
		fmt.Fprintf(w, "  other objects  %8d not users: neither sent nor invalid (the report names each one's model)\n", s.NotUsers)
	}
	fmt.Fprintf(w, "  passwords      %8d bcrypt, %d not importable, %d dropped\n", s.PasswordsBcrypt, s.PasswordsNotImportable, s.PasswordsDropped)
	if s.PasswordsPlaintextUnmapped > 0 {
		fmt.Fprintf(w, "  no password    %8d users: their clear-text passwords (%s) are not mapped; map --hash-plaintext-passwords keeps them\n", s.PasswordsPlaintextUnmapped, importer.Printable(strconv.Quote(s.PlaintextColumn)))
	}
	if dropped := importer.DroppedCounts(s.DroppedFields); len(dropped) > 0 {
		parts := make([]string, len(dropped))
		for i, d := range dropped {
			parts[i] = d.String()
		}
		what := "values Authgear would refuse (the users are imported without them)"
		if s.DroppedTotal() == 1 {
			what = "value Authgear would refuse (the user is imported without it)"
		}
		fmt.Fprintf(w, "  left out       %8d %s: %s\n", s.DroppedTotal(), what, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "report: %s\n", s.Report)
	if s.IDMap != "" {
		fmt.Fprintf(w, "id map (old id → Authgear user id, %d users): %s\n", s.IDMapped, importer.Printable(s.IDMap))
	}
	if s.Retry != "" {
		fmt.Fprintf(w, "retry file (the rejected records, to fix and replay): %s\n", s.Retry)
	}
	if s.EmitJSON != "" {
		fmt.Fprintf(w, "records as sent: %s\n", s.EmitJSON)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note: %s\n", importer.Printable(n))
	}
	if s.NotifyDue() {
		fmt.Fprintf(w, "their reset-password messages: authgear-migrate notify --report %s --reset-password --dry-run, then without --dry-run\n", importer.ShellQuote(s.Report))
	}
	if s.Error != "" {
		fmt.Fprintf(w, "stopped: %s\n", importer.Printable(s.Error))
	}
	if s.Resume != "" {
		fmt.Fprintf(w, "resume: %s\n", s.Resume)
	}
}

// validatedLine is the dry run's progress.
func validatedLine(s importer.PrepareStats) string {
	if s.NotUsers > 0 {
		return fmt.Sprintf("validated %d records (%d invalid, %d not users)", s.Total, s.Invalid, s.NotUsers)
	}
	return fmt.Sprintf("validated %d records (%d invalid)", s.Total, s.Invalid)
}

func resumeCommand(o replayOptions) string {
	parts := []string{"authgear-migrate", "replay", "--mapping", importer.ShellQuote(o.mapping), "--input", importer.ShellQuote(o.input), "--report", importer.ShellQuote(o.report)}
	for _, f := range [][2]string{{"--passwords", o.passwords}, {"--journal", o.journal}, {"--endpoint", o.endpoint},
		{"--key-file", o.keyFile}, {"--key-id", o.keyID}, {"--project-id", o.projectID}} {
		if f[1] != "" {
			parts = append(parts, f[0], importer.ShellQuote(f[1]))
		}
	}
	if o.canarySignIn != "" {
		parts = append(parts, "--canary-sign-in", importer.ShellQuote(o.canarySignIn))
		for _, f := range [][2]string{{"--password-file", o.passwordFile}, {"--public-endpoint", o.publicEndpoint}} {
			if f[1] != "" {
				parts = append(parts, f[0], importer.ShellQuote(f[1]))
			}
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

// resolveTarget checks the endpoint, credentials and sandbox options (usage
// errors) and returns the client, or starts the in-process sandbox.
func resolveTarget(ctx context.Context, o replayOptions, io *stdio, m *importer.Mapping) (*importer.Destination, error) {
	cfg := adminConfig(adminFlags{o.endpoint, o.keyFile, o.keyID, o.projectID}, io)
	var t *importer.Destination
	var err error
	kind, noEndpoint := importer.ChooseTarget(cfg.Endpoint, o.useSandbox)
	if kind == importer.TargetSandbox && noEndpoint {
		// The in-process sandbox chosen for want of an endpoint: not for a
		// file it cannot hold (--sandbox asks for it whatever the size).
		n, err := importer.CountRecords(ctx, o.input, m, nil)
		if err == nil {
			var big *importer.SandboxTooBig
			if errors.As(importer.CheckSandboxSize(n), &big) {
				return nil, usagef("replay: no endpoint configured (AUTHGEAR_ENDPOINT or --endpoint), and %s. Rehearse with --dry-run (every record validated, nothing sent), "+
					"or with a standalone sandbox: %s, then --endpoint %s --project-id sandbox --key-file sandbox-key.pem; --sandbox uses the in-process one anyway",
					big.Error(), importer.StandaloneSandboxCommand, importer.StandaloneSandboxEndpoint)
			}
		}
	}
	if kind == importer.TargetSandbox {
		t, err = rehearsal.Start(ctx, importer.SandboxConfig{
			LoginIDTypes: importer.SplitList(o.sandboxLoginIDs),
			Roles:        importer.SplitList(o.sandboxRoles),
			Groups:       importer.SplitList(o.sandboxGroups),
			Rate:         o.sandboxRate,
		})
		if err == nil && noEndpoint {
			t.Warnings = append(t.Warnings, "no endpoint configured (AUTHGEAR_ENDPOINT or --endpoint): importing into the in-process sandbox")
		}
	} else {
		t, err = importer.AdminAPITarget(cfg)
	}
	var re *importer.RefusedError
	if errors.As(err, &re) {
		return nil, usagef("replay: %s", re.Msg)
	}
	return t, err
}

// limitMemory sets a soft memory limit for the engine's own runs (a dry run
// or a client-only import): the working set is small, and without a limit
// Go lets the heap reach twice it. An in-process sandbox keeps every user
// in memory, so it runs without one. GOMEMLIMIT overrides.
func limitMemory(io *stdio, t *importer.Destination) {
	if io.Getenv("GOMEMLIMIT") != "" || (t != nil && t.Rehearsal) {
		return
	}
	debug.SetMemoryLimit(110 << 20)
}

// canarySignedIn says how the canary user's sign-in went (issue 16 item
// 2), in the engine's sentences (SignInResult.Lines).
func canarySignedIn(prog *lineProgress, e importer.CanarySignedIn) {
	lines := e.Result.Lines()
	for i, l := range lines {
		if i == 0 {
			l = "canary sign-in as " + e.LoginID + ": " + l
		} else {
			l = "  " + l
		}
		prog.println(l)
	}
	switch {
	case e.Retrying:
		prog.println("  waiting to try once more")
	case e.Result.Outcome == importer.SignInDisabled:
		prog.println("  the password is right: going on with the rest")
	case e.Result.PasswordRight:
		prog.println("  going on with the rest")
	}
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
		// Worded as the estimate before the run is (the pace of the
		// recent jobs: it moves as the server does).
		s += ", ETA " + importer.AboutDuration(p.ETA)
	}
	return s
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

// historyAdvice words, with this command's flags, the way out of a
// refusal to touch the record of another import.
func historyAdvice(err error) string {
	var he *importer.HistoryError
	if !errors.As(err, &he) {
		return ""
	}
	advice := "\nname a new report with --report (its journal goes beside it)"
	if he.NewReport != "" {
		advice = "\nname a new report, for example --report " + importer.ShellQuote(he.NewReport) + " (its journal goes beside it)"
	}
	if he.Restartable {
		advice += ", or start over here with --restart (the journal holds no user id)"
	}
	return advice
}
