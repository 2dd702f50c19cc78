package main

import (
	"errors"
	"fmt"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// adminConfig is the Admin API settings from the environment
// (AUTHGEAR_*), overridden by the flags that were given.
func adminConfig(endpoint, keyFile, keyID, projectID string, io *stdio) adminapi.Config {
	cfg := adminapi.ConfigFromEnv(io.Getenv)
	if endpoint != "" {
		cfg.Endpoint = endpoint
	}
	if keyFile != "" {
		cfg.KeyFile, cfg.KeyData = keyFile, ""
	}
	if keyID != "" {
		cfg.KeyID = keyID
	}
	if projectID != "" {
		cfg.ProjectID = projectID
	}
	return cfg
}

// adminTarget is the Admin API client of a real endpoint (verify and undo:
// an in-process sandbox ends with the process that ran the import), with
// the target id the import journal names it by and the project id.
func adminTarget(endpoint, keyFile, keyID, projectID string, io *stdio) (*adminapi.Client, string, string, error) {
	cfg := adminConfig(endpoint, keyFile, keyID, projectID, io)
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
