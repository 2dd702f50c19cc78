package importer_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// ExampleRun is a whole run as the front ends start it: a mapping and an
// export in, a per-record report out, what happens reported through one
// stream of Events. A dry run validates every record and sends nothing;
// with DryRun false and a Target (an Admin API project, or a sandbox the
// front end starts) the same call imports, resumable from its journal.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "example-run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "users.csv")
	export := "email,name\n" +
		"ada@example.com,Ada\n" +
		"grace.example.com,Grace\n" +
		"ADA@example.com,Ada again\n"
	if err := os.WriteFile(input, []byte(export), 0o600); err != nil {
		log.Fatal(err)
	}
	mappingPath := filepath.Join(dir, "users.mapping.yaml")
	if err := os.WriteFile(mappingPath, []byte("version: 1\nidentifier: email\nfields:\n  email:\n    from: email\n    transforms: [trim, lowercase]\n  given_name:\n    from: name\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	mapping, err := importer.ReadMappingFile(mappingPath)
	if err != nil {
		log.Fatal(err)
	}
	summary, err := importer.Run(context.Background(), importer.RunConfig{
		Mapping:     mapping,
		MappingPath: mappingPath,
		Input:       input,
		DryRun:      true,
		Report:      filepath.Join(dir, "users.report.csv"),
		Events: func(e importer.Event) {
			switch e := e.(type) {
			case importer.Loading:
				fmt.Printf("loading %s (%s)\n", filepath.Base(e.Input), e.Format)
			case importer.Done:
				fmt.Printf("done: %d records, %d valid, %d invalid\n", e.Summary.Total, e.Summary.Valid, e.Summary.Invalid)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	report, err := os.ReadFile(summary.Report)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(report))
	// Output:
	// loading users.csv (csv)
	// done: 3 records, 1 valid, 2 invalid
	// row,identifier,outcome,user_id,reason,source_id
	// 1,ada@example.com,valid,,,
	// 2,grace.example.com,invalid,,email is not an email address,
	// 3,ada@example.com,invalid,,duplicate of record 1 after normalisation,
}
