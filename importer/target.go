package importer

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// Destination is where a live run sends the records.
type Destination struct {
	API ImportAPI
	// Name describes the target in the summary.
	Name string
	// ID names the endpoint and project in the journal's fingerprint: the
	// jobs of one project cannot be read in another.
	ID string
	// Rehearsal: an in-process sandbox that ends with the process. Its
	// jobs cannot be resumed, so a rehearsal keeps no journal, and it
	// never replaces the report of a live import.
	Rehearsal bool
	// Endpoint is the URL the records go to, and ProjectID the project
	// there (what a person confirms before a live import).
	Endpoint  string
	ProjectID string
	// Warnings are shown before the run starts.
	Warnings []string
	close    func()
}

// Close releases the target (stops an in-process sandbox).
func (t *Destination) Close() {
	if t != nil && t.close != nil {
		t.close()
	}
}

// SandboxConfig describes the project an in-process sandbox plays.
type SandboxConfig struct {
	// LoginIDTypes enabled: email, phone, username.
	LoginIDTypes []string
	// Roles and Groups that exist; "*" for any.
	Roles, Groups []string
	// Rate is records per second (0: as fast as it can).
	Rate float64
}

// Check refuses a sandbox that cannot be played.
func (c SandboxConfig) Check() error {
	if c.Rate < 0 {
		return &RefusedError{Msg: "the sandbox's rate must not be negative"}
	}
	for _, t := range c.LoginIDTypes {
		if t != "email" && t != "phone" && t != "username" {
			return &RefusedError{Msg: fmt.Sprintf("the sandbox's login ID types are email, phone and username, not %q", t)}
		}
	}
	return nil
}

// SandboxServer is a running sandbox as a SandboxStarter returns it: its
// URL, the project it plays and a key it trusts.
type SandboxServer struct {
	URL       string
	ProjectID string
	KeyID     string
	Key       *rsa.PrivateKey
	// Close stops it.
	Close func()
}

// SandboxStarter starts a sandbox playing c. The engine does not link a
// sandbox itself: a front end passes one in (see the rehearsal package of
// the command), so that a library user does not link a GraphQL server.
type SandboxStarter func(ctx context.Context, c SandboxConfig) (SandboxServer, error)

// StartSandbox checks c, starts a sandbox with start and returns it as a
// target, described once for every front end. The sandbox outlives ctx
// (jobs in flight are still read for a grace period after an
// interruption): Close ends it.
func StartSandbox(ctx context.Context, c SandboxConfig, start SandboxStarter) (*Destination, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if start == nil {
		return nil, &RefusedError{Msg: "no sandbox was given to rehearse in"}
	}
	sb, err := start(context.WithoutCancel(ctx), c)
	if err != nil {
		return nil, err
	}
	stop := sb.Close
	if stop == nil {
		stop = func() {}
	}
	endpoint, err := adminapi.ParseEndpoint(sb.URL)
	if err != nil {
		stop()
		return nil, err
	}
	tokens, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: sb.ProjectID, KeyID: sb.KeyID, Key: sb.Key})
	if err != nil {
		stop()
		return nil, err
	}
	t := &Destination{API: adminapi.New(endpoint, tokens), Rehearsal: true, close: stop, Endpoint: sb.URL, ProjectID: sb.ProjectID,
		Name: "the in-process sandbox at " + sb.URL + " (a rehearsal: nothing was sent to Authgear)"}
	return t, nil
}

// AdminAPITarget checks an endpoint and its credentials and returns a
// client for them. Every problem is a *RefusedError.
func AdminAPITarget(cfg adminapi.Config) (*Destination, error) {
	// Every problem of the settings at once: the endpoint's and the
	// credentials'.
	endpoint, eerr := adminapi.ParseEndpoint(cfg.Endpoint)
	creds, warnings, cerr := adminapi.LoadCredentials(cfg)
	if err := errors.Join(eerr, cerr); err != nil {
		return nil, &RefusedError{Msg: err.Error(), Err: err}
	}
	tokens, err := adminapi.NewTokenSource(creds)
	if err != nil {
		return nil, &RefusedError{Msg: err.Error()}
	}
	return &Destination{API: adminapi.New(endpoint, tokens), Name: endpoint.String(), Warnings: warnings,
		Endpoint: endpoint.String(), ProjectID: creds.ProjectID, ID: endpoint.String() + " project " + creds.ProjectID}, nil
}

// TargetKind is where a live run goes.
type TargetKind int

const (
	// TargetSandbox is an in-process sandbox: a rehearsal.
	TargetSandbox TargetKind = iota
	// TargetAuthgear is the Authgear project of an endpoint.
	TargetAuthgear
)

// ChooseTarget decides where a live run goes, for every front end: the
// sandbox when one is asked for or when no endpoint is configured
// (noEndpoint then says that the sandbox was chosen for want of one, which
// the front end tells the person in its words).
func ChooseTarget(endpoint string, wantSandbox bool) (kind TargetKind, noEndpoint bool) {
	if wantSandbox {
		return TargetSandbox, false
	}
	if endpoint == "" {
		return TargetSandbox, true
	}
	return TargetAuthgear, false
}

// MaxSandboxRecords is the most records the in-process sandbox is started
// for. It keeps every user in this process's memory: 1,000,000 rows grew
// it to 5 GB (about 5 KB a record), so 100,000 records stay near 500 MB,
// which a laptop holds beside everything else, and rehearse in a minute.
const MaxSandboxRecords = 100_000

// SandboxTooBig refuses an in-process sandbox for a file larger than
// MaxSandboxRecords. Its Options are what the person can do instead; each
// front end words them (a flag, a key, a command).
type SandboxTooBig struct {
	Records, Max int
}

// SandboxOption is a way to rehearse a file too large for the in-process
// sandbox.
type SandboxOption int

const (
	// RehearseDryRun validates every record and sends nothing.
	RehearseDryRun SandboxOption = iota
	// RehearseStandalone imports into a sandbox started on its own
	// (authgear-migrate sandbox), as into a real project.
	RehearseStandalone
	// RehearseSample imports the first Max records into the in-process
	// sandbox.
	RehearseSample
)

// Options are the ways to rehearse instead.
func (e *SandboxTooBig) Options() []SandboxOption {
	return []SandboxOption{RehearseDryRun, RehearseStandalone, RehearseSample}
}

func (e *SandboxTooBig) Error() string {
	return fmt.Sprintf("%s records are too many for the in-process sandbox (at most %s): it keeps every user in this process's memory (about 5 KB each)",
		Thousands(e.Records), Thousands(e.Max))
}

// CheckSandboxSize refuses the in-process sandbox for more than
// MaxSandboxRecords records (records < 0: not known yet, not refused).
func CheckSandboxSize(records int) error {
	if records > MaxSandboxRecords {
		return &SandboxTooBig{Records: records, Max: MaxSandboxRecords}
	}
	return nil
}

// StandaloneSandboxCommand is the command that starts a sandbox on its own
// (it outlives the import, so a stopped import resumes from its journal).
// Its endpoint is StandaloneSandboxEndpoint, its project id "sandbox", and
// its key file sandbox-key.pem (the key id is printed when it starts).
const StandaloneSandboxCommand = "authgear-migrate sandbox --listen 127.0.0.1:3100 --project-id sandbox --key-file sandbox-key.pem --login-ids email,phone,username --roles '*' --groups '*'"

// StandaloneSandboxEndpoint is where StandaloneSandboxCommand listens.
const StandaloneSandboxEndpoint = "http://127.0.0.1:3100"
