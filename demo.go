package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// runDemo imports the bundled example export into the in-process sandbox:
// the README's first command. Once the wizard exists it will run instead
// on a terminal.
func runDemo(ctx context.Context, io *stdio) error {
	const mapping, input = "examples/users.mapping.yaml", "examples/users.csv"
	if _, err := os.Stat(input); err != nil {
		return usagef("run from the repository's top folder (%s not found), or use: authgear-migrate replay --mapping FILE --input FILE", input)
	}
	dir, err := os.MkdirTemp("", "authgear-migrate-demo-")
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Err, "demo: importing %s with %s into the in-process sandbox\n", input, mapping)
	err = replay(ctx, replayOptions{
		mapping: mapping, input: input, useSandbox: true, concurrency: 2,
		report: dir + "/users.report.csv", sandboxLoginIDs: "email,phone",
		sandboxRoles: "admin,editor,viewer",
	}, io)
	var pe *partialError
	if errors.As(err, &pe) && pe.failed == 0 && pe.invalid == 3 {
		// The example holds three bad records on purpose.
		fmt.Fprintf(io.Out, "\nthe 3 invalid records are deliberate (a malformed email, a truncated bcrypt hash and a duplicate): see the report.\nnext: authgear-migrate map --input YOUR-EXPORT --output mapping.yaml\n")
		return nil
	}
	return err
}
