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
// through callbacks (PrepareOptions.Progress) and stops through a
// context.Context.
//
// The package example (Example in example_test.go, run by go test and
// shown by go doc) is a complete dry run: ReadMapping, NewSource (OpenInput
// for a file), CompileFor, then Prepare, which calls back once per record
// in input order with a *Prepared: valid, with the Record that would be
// sent, or invalid, with its Problems (each a ProblemCode, a field and a
// message; Reason joins the messages for the report).
package importer
