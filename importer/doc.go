// Package importer is the engine of authgear-migrate: it loads a user export,
// maps each record onto Authgear's User Import API record, normalises and
// validates it the way Authgear does, and sends the valid records to
// POST /_api/admin/users/import, accounting for every input record.
//
// # A run
//
// Run is the one entry point every front end uses (the headless replay
// command, the wizard, a program of your own). A RunConfig names the
// mapping, the export, the outputs and, unless DryRun, the Target (an
// Admin API project from AdminAPITarget, or a rehearsal sandbox that the
// front end starts). Run checks everything before it touches a file, then
// validates, imports (resuming an unfinished earlier run from its journal)
// and writes one report line per input record. What happens on the way
// arrives as Events (Loading, Counted, Validating, Importing, Warning,
// Resuming, Retrying, Failed, Stopped, Done) through RunConfig.Events, one
// at a time; the RunSummary is both the Done event and Run's result.
// ExampleRun is a complete dry run.
//
// The work beside a run reports through the same Event interface, one event
// at a time: Verify (VerifyConfig.Events: Counted, Validating, Retrying,
// ReadingBack, Stopped, VerifyDone), Undo (UndoConfig.Events: Counted,
// Retrying, ReadingBack, Undoing, Stopped, UndoDone), the record count
// (CountRecords: Counting, Counted) and the roles and groups a live run
// needs (CountNeeds: Validating). Counted comes before the progress it is
// the total of, and a Done event comes last, carrying the summary the
// function returns.
//
// The package knows nothing of terminals and never prints. Errors are typed
// (*RefusedError before any output is touched, *StopError for a run that
// stopped with records unsent, *ParseError for a broken export), and each
// front end words them.
//
// # The pipeline underneath
//
//	Open (CSV, JSON or NDJSON, streamed) → Plan.Apply (mapping and transforms)
//	→ normalise and validate → de-duplicate → outcome per input record
//
// The package example (Example in example_test.go) runs those stages by
// hand: ReadMapping, NewSource (OpenInput for a file), CompileFor, then
// Prepare, which calls back once per record in input order with a
// *Prepared: valid, with the Record that would be sent, or invalid, with
// its Problems (each a ProblemCode, a field and a message; Reason joins the
// messages for the report).
package importer
