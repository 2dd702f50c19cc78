// Command authgear-migrate moves every user of an old authentication system
// into Authgear: it loads an export, maps it onto the User Import API's
// record, validates it, imports it in batches and accounts for every record.
//
// Usage:
//
//	authgear-migrate                       the wizard on a terminal; otherwise the demo (the bundled example into the sandbox)
//	authgear-migrate --input FILE          the wizard with an export loaded
//	authgear-migrate map --input FILE --output MAPPING.yaml
//	authgear-migrate replay --mapping MAPPING.yaml --input FILE [--dry-run]
//	authgear-migrate verify --mapping MAPPING.yaml --input FILE [--all]
//	authgear-migrate snippets --endpoint URL [--stack NAME] [--out DIR]
//	authgear-migrate sandbox --listen 127.0.0.1:3100 ...
//	authgear-migrate --version
//
// Run a command with -h for its flags. NO_COLOR=1 turns the wizard's colour
// off.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run winds down; the default action
		// comes back, so a second one ends the program at once.
		sig := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel(signalError{sig})
	}()
	code := run(ctx, os.Args[1:], newIO())
	cancel(nil)
	os.Exit(code)
}

// version is the program's version as the build recorded it: the module
// version (go install ...@v1.2.3), or the commit a build from a clone was
// made at, with "+dirty" when the tree had changes.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "authgear-migrate (unknown version)"
	}
	v := bi.Main.Version
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v = "commit " + rev + modified
	}
	if v == "" {
		v = "(devel)"
	}
	return "authgear-migrate " + v + " (" + bi.GoVersion + ")"
}
