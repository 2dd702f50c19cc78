package importer

import (
	"context"
	"fmt"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
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
	// Warn adds a warning that no endpoint was configured.
	NoEndpoint bool
}

// StartSandbox runs an in-process Authgear sandbox on 127.0.0.1 with a
// fresh key and returns it as a target. It outlives ctx (jobs in flight
// are still read for a grace period after an interruption): Close ends it.
func StartSandbox(ctx context.Context, c SandboxConfig) (*Destination, error) {
	if c.Rate < 0 {
		return nil, &RefusedError{Msg: "the sandbox's rate must not be negative"}
	}
	for _, t := range c.LoginIDTypes {
		if t != "email" && t != "phone" && t != "username" {
			return nil, &RefusedError{Msg: fmt.Sprintf("the sandbox's login ID types are email, phone and username, not %q", t)}
		}
	}
	kp, err := sandbox.GenerateKey()
	if err != nil {
		return nil, err
	}
	opts := sandbox.Options{
		ProjectID:    "sandbox",
		Keys:         []sandbox.PublicKey{kp.PublicKey()},
		LoginIDTypes: c.LoginIDTypes,
		Roles:        c.Roles,
		Groups:       c.Groups,
		Rate:         c.Rate,
	}
	sb, err := sandbox.Start(context.WithoutCancel(ctx), "127.0.0.1:0", opts)
	if err != nil {
		return nil, err
	}
	endpoint, err := adminapi.ParseEndpoint(sb.URL)
	if err != nil {
		sb.Close()
		return nil, err
	}
	tokens, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "sandbox", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		sb.Close()
		return nil, err
	}
	t := &Destination{API: adminapi.New(endpoint, tokens), Rehearsal: true, close: func() { sb.Close() },
		Name: "the in-process sandbox at " + sb.URL + " (a rehearsal: nothing was sent to Authgear)"}
	if c.NoEndpoint {
		t.Warnings = append(t.Warnings, "no endpoint configured (AUTHGEAR_ENDPOINT or --endpoint): importing into the in-process sandbox")
	}
	return t, nil
}

// AdminAPITarget checks an endpoint and its credentials and returns a
// client for them. Every problem is a *RefusedError.
func AdminAPITarget(cfg adminapi.Config) (*Destination, error) {
	endpoint, err := adminapi.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, &RefusedError{Msg: err.Error()}
	}
	creds, warnings, err := adminapi.LoadCredentials(cfg)
	if err != nil {
		return nil, &RefusedError{Msg: err.Error()}
	}
	tokens, err := adminapi.NewTokenSource(creds)
	if err != nil {
		return nil, &RefusedError{Msg: err.Error()}
	}
	return &Destination{API: adminapi.New(endpoint, tokens), Name: endpoint.String(), Warnings: warnings,
		ID: endpoint.String() + " project " + creds.ProjectID}, nil
}
