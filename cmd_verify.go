package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

const verifyUsage = `Usage: authgear-migrate verify --mapping MAPPING.yaml --input FILE [--report R] [--sample N | --all] [flags]
       authgear-migrate verify --sign-in LOGIN_ID [--password-file F] [--public-endpoint URL] [flags]
       authgear-migrate verify --sign-in LOGIN_ID --client-id ID --redirect-uri URI [flags]

Reads back, through the Admin API's GraphQL endpoint, the users the import
report says were inserted or updated, and compares what Authgear holds with
the record that was sent: standard attributes, verified flags, disabled,
roles, groups, custom attributes, each login ID, and a primary password
where a bcrypt hash was sent. Differences go to the verify report
(REPORT.verify.csv, mode 0600), one line per row and field.

Target: --endpoint or AUTHGEAR_ENDPOINT with AUTHGEAR_PROJECT_ID,
AUTHGEAR_ADMIN_KEY_ID and AUTHGEAR_ADMIN_KEY_FILE (or --key-file).
Exit 3 when any user differs; exit 1 when the report names no inserted or
updated user (0 users checked proves nothing). --out never replaces an
input, the mapping, the import's report or journal, a key file, or any
file that is not a verify report.

--sign-in LOGIN_ID signs that user in through the project's own login, as a
person would, and says whether the password works: the user id, login
method and roles, or the server's reason. The password is typed on the
terminal (not shown) or read from the first line of --password-file, never
taken as a flag value, and never written anywhere. The public endpoint
defaults to the Admin API endpoint (--public-endpoint where they differ).
With the Admin API key set, the session the check created is ended (only
that one); the user's last sign-in time moves either way. Exit 0 when the
user signs in (also when the password must be changed at sign-in), 3 when
the sign-in is refused (wrong or no password, unknown or disabled user),
1 when nothing was proven (rate limited, an unknown answer, no connection).

--client-id ID --redirect-uri URI signs in through that public OAuth
client instead, as an app would (the code path with PKCE), and checks the
access token: its signature against the project's key set (OIDC
discovery, RS256, the key id must match), and shows its issuer, audience,
client, roles claim and lifetime, and whether its subject is the user the
Admin API holds under LOGIN_ID. Tokens are never shown or written. URI is
one of the client's redirect URIs (the portal lists them; the check never
opens it); there is no default. The check then revokes the refresh token
it received and ends the session it created. Exit 1 when the password is
right but the token does not verify.

`

type verifyOptions struct {
	mapping, input, report, passwords, out string
	sample                                 int
	all                                    bool
	seed                                   uint64
	admin                                  adminFlags
	signIn, passwordFile, publicEndpoint   string
	clientID, redirectURI                  string
}

func runVerify(ctx context.Context, args []string, io *stdio) error {
	fs := newFlagSet("verify", verifyUsage, io)
	var o verifyOptions
	fs.StringVar(&o.mapping, "mapping", "", "the mapping the import used (required)")
	fs.StringVar(&o.input, "input", "", "the export the import read (required)")
	fs.StringVar(&o.report, "report", "", "the import's report (default: INPUT-NAME.report.csv)")
	fs.StringVar(&o.passwords, "passwords", "", "the password-hash export the import joined, if any")
	fs.StringVar(&o.out, "out", "", "the verify report (default: REPORT.verify.csv)")
	fs.IntVar(&o.sample, "sample", importer.DefaultVerifySample, "how many users to check, picked at random")
	fs.BoolVar(&o.all, "all", false, "check every inserted or updated user")
	fs.Uint64Var(&o.seed, "seed", 1, "the random sample's seed (the same seed picks the same users)")
	o.admin.register(fs)
	fs.StringVar(&o.signIn, "sign-in", "", "sign this login ID in through the project's login and say whether the password works")
	fs.StringVar(&o.passwordFile, "password-file", "", "with --sign-in: read the password from the first line of this file (default: typed on the terminal)")
	fs.StringVar(&o.publicEndpoint, "public-endpoint", "", "with --sign-in: the project's public endpoint (default: the Admin API endpoint)")
	fs.StringVar(&o.clientID, "client-id", "", "with --sign-in: sign in through this public OAuth client and check the access token")
	fs.StringVar(&o.redirectURI, "redirect-uri", "", "with --client-id: one of the client's redirect URIs (never opened; required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.signIn != "" || o.passwordFile != "" || o.publicEndpoint != "" || o.clientID != "" || o.redirectURI != "" {
		return runVerifySignIn(ctx, fs, o, io)
	}
	if o.mapping == "" || o.input == "" {
		return usagef("verify: --mapping and --input are required\n\n%s", verifyUsage)
	}
	if o.sample < 1 {
		return usagef("verify: --sample must be at least 1")
	}
	m, err := importer.ReadMappingFile(o.mapping)
	if err != nil {
		return err
	}
	api, _, _, err := adminTarget(o.admin, io)
	if err != nil {
		return err
	}
	report := o.report
	if report == "" {
		report = importer.DefaultReport(o.input)
	}
	prog := newLineProgress(io.Err, io.StderrTTY)
	s, err := importer.Verify(ctx, importer.VerifyConfig{
		Mapping: m, MappingPath: o.mapping, Input: o.input, Passwords: o.passwords, Report: report, Out: o.out,
		API: api, Sample: o.sample, All: o.all, Seed: o.seed,
		Events: func(e importer.Event) { verifyEvent(prog, e) },
	})
	var none *importer.NothingToVerifyError
	if errors.As(err, &none) {
		fmt.Fprintf(io.Out, "verify: 0 users checked: %s\n", importer.Printable(none.Error()))
		return &printedError{err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "verify: %d users checked (of %d inserted or updated): %d match, %d differ\n", s.Checked, s.Eligible, s.Matched, s.Differ)
	fmt.Fprintf(io.Out, "verify report: %s\n", importer.Printable(s.Out))
	if s.Differ > 0 {
		return &partialError{failed: s.Differ}
	}
	return nil
}

// verifyEvent shows verify's progress on stderr.
func verifyEvent(prog *lineProgress, e importer.Event) {
	switch e := e.(type) {
	case importer.Validating:
		prog.update(fmt.Sprintf("verify: reading the export: %d records", e.Stats.Total), false)
	case importer.ReadingBack:
		prog.update(fmt.Sprintf("verify: %d/%d users read back", e.Read, e.Total), e.Read == e.Total)
	case importer.Retrying:
		prog.println("retrying: " + importer.Printable(e.Retry.String()))
	case importer.Stopped:
		prog.println("verify: stopped: " + importer.Printable(e.Advice))
	case importer.VerifyDone:
		prog.done()
	}
}
