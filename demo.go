package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The bundled example, embedded so that the demo runs from any folder.
var (
	//go:embed examples/users.csv
	exampleCSV []byte
	//go:embed examples/users.mapping.yaml
	exampleMappingYAML []byte
)

// runDemo imports the bundled example export into the in-process sandbox:
// the README's first command when there is no terminal. Its files (the
// example, the report) go to a temporary folder that is kept for reading.
func runDemo(ctx context.Context, io *stdio) error {
	dir, err := os.MkdirTemp("", "authgear-migrate-demo-")
	if err != nil {
		return err
	}
	input, mapping := filepath.Join(dir, "users.csv"), filepath.Join(dir, "users.mapping.yaml")
	if err := os.WriteFile(input, exampleCSV, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(mapping, exampleMappingYAML, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(io.Err, "demo: importing the bundled example (examples/users.csv, copied to %s) into the in-process sandbox\n", dir)
	err = replay(ctx, replayOptions{
		mapping: mapping, input: input, useSandbox: true, concurrency: 2,
		report: filepath.Join(dir, "users.report.csv"), sandboxLoginIDs: "email,phone",
		sandboxRoles: "admin,editor,viewer",
	}, io)
	var pe *partialError
	if errors.As(err, &pe) && pe.failed == 0 && pe.invalid == 2 {
		// The example holds bad records on purpose.
		fmt.Fprintf(io.Out, "\nthe 2 invalid records are deliberate (a malformed email and a duplicate), and so are the truncated bcrypt hash and the phone number that cannot be read, which one user is imported without: see the report.\nnext: authgear-migrate map --input YOUR-EXPORT --output mapping.yaml\n")
		return nil
	}
	return err
}
