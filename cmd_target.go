package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// adminFlags name an Admin API target on the command line; what they leave
// out comes from the environment (AUTHGEAR_*). The key is a file, never a
// flag value.
type adminFlags struct{ endpoint, keyFile, keyID, projectID string }

// register adds the target's flags to fs, as verify, undo and notify take
// them (replay words its own).
func (a *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.endpoint, "endpoint", "", "the Authgear endpoint (default: AUTHGEAR_ENDPOINT)")
	fs.StringVar(&a.keyFile, "key-file", "", "the Admin API private key file (default: AUTHGEAR_ADMIN_KEY_FILE)")
	fs.StringVar(&a.keyID, "key-id", "", "the Admin API key id (default: AUTHGEAR_ADMIN_KEY_ID)")
	fs.StringVar(&a.projectID, "project-id", "", "the project id (default: AUTHGEAR_PROJECT_ID)")
}

// adminConfig is the Admin API settings from the environment
// (AUTHGEAR_*), overridden by the flags that were given.
func adminConfig(a adminFlags, io *stdio) adminapi.Config {
	cfg := adminapi.ConfigFromEnv(io.Getenv)
	if a.endpoint != "" {
		cfg.Endpoint = a.endpoint
	}
	if a.keyFile != "" {
		cfg.KeyFile, cfg.KeyData = a.keyFile, ""
	}
	if a.keyID != "" {
		cfg.KeyID = a.keyID
	}
	if a.projectID != "" {
		cfg.ProjectID = a.projectID
	}
	return cfg
}

// adminTarget is the Admin API client of a real endpoint (verify and undo:
// an in-process sandbox ends with the process that ran the import), with
// the target id the import journal names it by and the project id.
func adminTarget(a adminFlags, io *stdio) (*adminapi.Client, string, string, error) {
	cfg := adminConfig(a, io)
	if cfg.Endpoint == "" {
		return nil, "", "", usagef("no endpoint configured (AUTHGEAR_ENDPOINT or --endpoint)")
	}
	t, err := importer.AdminAPITarget(cfg)
	var re *importer.RefusedError
	if errors.As(err, &re) {
		return nil, "", "", usagef("%s", re.Msg)
	}
	if err != nil {
		return nil, "", "", err
	}
	for _, w := range t.Warnings {
		fmt.Fprintf(io.Err, "warning: %s\n", importer.Printable(w))
	}
	c, ok := t.API.(*adminapi.Client)
	if !ok {
		return nil, "", "", errors.New("the target is not an Admin API client")
	}
	project := cfg.ProjectID
	if project == "" {
		project = t.ID
	}
	return c, t.ID, project, nil
}
