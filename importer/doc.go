// Package importer is the engine of authgear-migrate: it loads a user export,
// maps each record onto Authgear's User Import API record, normalises and
// validates it the way Authgear does, and (in the live pipeline) sends the
// valid records to POST /_api/admin/users/import.
//
// The pipeline is
//
//	Open (CSV, JSON or NDJSON, streamed) → Plan.Apply (mapping and transforms)
//	→ normalise and validate → de-duplicate → outcome per input record
//
// and every stage is shared by the headless replay command and the wizard:
// the package knows nothing of terminals and never prints. Long work reports
// through callbacks (see Progress) and stops through a context.Context.
//
// A minimal dry run:
//
//	src, err := importer.Open("users.csv", importer.SourceOptions{})
//	if err != nil { ... }
//	defer src.Close()
//	m, err := importer.ReadMappingFile("users.mapping.yaml")
//	plan, err := importer.Compile(m, src.Columns())
//	stats, err := importer.Prepare(ctx, src, plan, importer.PrepareOptions{}, func(r *importer.Prepared) error {
//		fmt.Println(r.Row, r.Outcome, r.Reason())
//		return nil
//	})
package importer
