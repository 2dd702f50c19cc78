package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// comparisonFlags are verify's flags for comparing an import with the
// export; --sign-in checks one user and takes none of them.
var comparisonFlags = map[string]bool{"mapping": true, "input": true, "report": true, "passwords": true, "out": true, "sample": true, "all": true, "seed": true}

// runVerifySignIn is verify --sign-in LOGIN_ID: one sign-in through the
// project's own login (importer.SignIn), worded for the command line.
func runVerifySignIn(ctx context.Context, fs *flag.FlagSet, o verifyOptions, io *stdio) error {
	if strings.TrimSpace(o.signIn) == "" {
		return usagef("verify: --password-file, --public-endpoint, --client-id and --redirect-uri go with --sign-in LOGIN_ID")
	}
	var mixed []string
	fs.Visit(func(f *flag.Flag) {
		if comparisonFlags[f.Name] {
			mixed = append(mixed, "--"+f.Name)
		}
	})
	if len(mixed) > 0 {
		return usagef("verify: --sign-in checks one user and takes no %s: run verify once for the import and once with --sign-in", strings.Join(mixed, ", "))
	}
	cfg := adminConfig(o.admin, io)
	var api *adminapi.Client
	if cfg.Endpoint != "" && (cfg.KeyFile != "" || cfg.KeyData != "") {
		c, _, _, err := adminTarget(o.admin, io)
		if err != nil {
			return err
		}
		api = c
	}
	public := o.publicEndpoint
	if public == "" && api == nil {
		if cfg.Endpoint == "" {
			return usagef("verify --sign-in: no endpoint: give --public-endpoint URL (the project's public endpoint) or set AUTHGEAR_ENDPOINT")
		}
		public = cfg.Endpoint
	}
	if public != "" {
		// Checked before the password is asked for.
		if _, err := adminapi.ParseEndpoint(public); err != nil {
			return usagef("verify --sign-in: the public endpoint: %s", strings.TrimPrefix(err.Error(), "adminapi: "))
		}
	}
	// Checked before the password is asked for.
	if err := importer.CheckSignInOAuth(o.clientID, o.redirectURI); err != nil {
		switch {
		case errors.Is(err, importer.ErrSignInNoRedirectURI):
			return usagef("verify --sign-in: --client-id needs --redirect-uri URI, one of that client's redirect URIs as the portal lists them (the check never opens it; there is no default)")
		case errors.Is(err, importer.ErrSignInNoClient):
			return usagef("verify --sign-in: --redirect-uri goes with --client-id ID")
		}
		return usagef("verify --sign-in: --redirect-uri: %s", strings.TrimPrefix(err.Error(), importer.ErrSignInUsage.Error()+": "))
	}
	password, err := readPasswordContext(ctx, io, o.passwordFile, o.signIn)
	if err != nil {
		return err
	}
	res, err := importer.SignIn(ctx, importer.SignInCheck{PublicEndpoint: public, LoginID: o.signIn, Password: password, API: api,
		ClientID: o.clientID, RedirectURI: o.redirectURI})
	code := importer.SignInExitCode(res, err)
	if err != nil {
		if errors.Is(err, importer.ErrSignInUsage) {
			return usagef("verify --sign-in: %s", strings.TrimPrefix(err.Error(), importer.ErrSignInUsage.Error()+": "))
		}
		return err
	}
	lines := res.Lines()
	fmt.Fprintf(io.Out, "verify --sign-in %s: %s\n", importer.Printable(strings.TrimSpace(o.signIn)), lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(io.Out, "  %s\n", l)
	}
	if api == nil && res.LastLoginChanged && !res.SessionEnded {
		fmt.Fprintln(io.Out, "  (set AUTHGEAR_ADMIN_KEY_ID and AUTHGEAR_ADMIN_KEY_FILE, or --key-id and --key-file, so that the check ends its session)")
	}
	if code != importer.ExitOK {
		if res.TokenRefused != "" {
			return &runError{err: errors.New("sign-in: the access token was refused"), code: code}
		}
		return &runError{err: fmt.Errorf("sign-in %s", res.Outcome), code: code}
	}
	return nil
}
