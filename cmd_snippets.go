package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/snippets"
)

const snippetsUsage = `Usage: authgear-migrate snippets --endpoint URL [--stack NAME] [--out DIR]

Prints the middleware that protects a backend with Authgear's access tokens,
filled in with the project's endpoint (default: $AUTHGEAR_ENDPOINT). Without
--stack it lists the stacks. With --out it writes a small runnable project
for the stack into DIR (it listens on $PORT, default 3000; GET /protected
needs a token). Migrated users sign in again through Authgear; JWT access
tokens must be enabled for the client in the Authgear portal.

`

func runSnippets(_ context.Context, args []string, io *stdio) error {
	fs := newFlagSet("snippets", snippetsUsage, io)
	endpoint := fs.String("endpoint", "", "the Authgear project's endpoint, as https://myapp.authgear.cloud (default: $AUTHGEAR_ENDPOINT)")
	stack := fs.String("stack", "", "the stack: "+strings.Join(snippets.Names(), ", ")+" (default: list them)")
	out := fs.String("out", "", "write a runnable project for the stack into this folder (new or empty)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *stack == "" {
		if *out != "" {
			return usagef("snippets: --out needs --stack (one of %s)", strings.Join(snippets.Names(), ", "))
		}
		printStacks(io)
		return nil
	}
	st, ok := snippets.Lookup(*stack)
	if !ok {
		return usagef("snippets: unknown stack %q (known: %s)", *stack, strings.Join(snippets.Names(), ", "))
	}
	if *endpoint == "" {
		*endpoint = io.Getenv("AUTHGEAR_ENDPOINT")
	}
	if *endpoint == "" {
		return usagef("snippets: --endpoint is required (the project's endpoint, as https://myapp.authgear.cloud)\n\n%s", snippetsUsage)
	}
	cfg := snippets.Config{Endpoint: *endpoint}
	if _, err := snippets.NormalizeEndpoint(*endpoint); err != nil {
		var ee *snippets.EndpointError
		if errors.As(err, &ee) {
			return usagef("snippets: --endpoint %s", err)
		}
		return err
	}
	if *out == "" {
		text, err := snippets.Render(st.Name, cfg)
		if err != nil {
			return err
		}
		fmt.Fprint(io.Out, text)
		return nil
	}
	if err := snippets.WriteProject(*out, st.Name, cfg); err != nil {
		var ue *snippets.UnsafeFolderError
		if errors.As(err, &ue) {
			owner := ""
			if ue.Owner >= 0 {
				owner = fmt.Sprintf(" (uid %d)", ue.Owner)
			}
			where := "--out " + ue.Dir
			if ue.Dir != *out {
				where = ue.Dir + " (a parent of --out)"
			}
			return fmt.Errorf("snippets: %s %s%s: give --out a new folder, or an empty one of yours that no one else can write into", importer.Printable(where), ue.Problem, owner)
		}
		return err
	}
	fmt.Fprintf(io.Out, "wrote a runnable %s project to %s\n", st.Title, *out)
	fmt.Fprintf(io.Out, "run: cd %s && %s\n", *out, st.Run)
	fmt.Fprintf(io.Out, "then: curl -H \"Authorization: Bearer $ACCESS_TOKEN\" http://127.0.0.1:${PORT:-3000}/protected\n")
	fmt.Fprintf(io.Out, "note: %s\n", snippets.PortalNote)
	return nil
}

func printStacks(io *stdio) {
	fmt.Fprintln(io.Out, "Stacks (authgear-migrate snippets --endpoint URL --stack NAME [--out DIR]):")
	for _, st := range snippets.Stacks() {
		fmt.Fprintf(io.Out, "  %-12s %-48s tested: %s\n", st.Name, st.Title, st.Tested)
	}
}
