// Command authgear-migrate moves every user of an old authentication system
// into Authgear: it loads an export, maps it onto the User Import API's
// record, validates it, imports it in batches and accounts for every record.
//
// Usage:
//
//	authgear-migrate                       the demo: bundled example into the sandbox
//	authgear-migrate map --input FILE --output MAPPING.yaml
//	authgear-migrate replay --mapping MAPPING.yaml --input FILE [--dry-run]
//	authgear-migrate sandbox --listen 127.0.0.1:3100 ...
//
// Run a command with -h for its flags. NO_COLOR is honoured.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first Ctrl-C the run winds down; a second one ends it at once.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], newIO())
	stop()
	os.Exit(code)
}
