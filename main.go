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
	"runtime/debug"
	"syscall"
)

func main() {
	// The working set of a large run is small (the file streams; what
	// grows is about 30 bytes per login ID for duplicate detection), but
	// Go's collector lets the heap reach twice it before collecting. A soft
	// limit keeps peak memory near the working set, for a few percent of
	// CPU; GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(110 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newIO())
	stop()
	os.Exit(code)
}
