package importer

import "errors"

// Remedy is a step that gets past a refusal or a stop. The engine names it;
// each front end words it (replay with its flags, the wizard with its
// fields and keys), so that no engine message speaks one front end's words.
type Remedy int

const (
	// RemedyNone: nothing to add.
	RemedyNone Remedy = iota
	// RemedyOtherReport: write the report (and journal) under another
	// name; the one there is the record of a live import.
	RemedyOtherReport
	// RemedyCreateRoles: create the roles and groups the records need
	// before the import.
	RemedyCreateRoles
	// RemedyUpsert: import again updating the users already imported.
	RemedyUpsert
	// RemedyRunAgain: run the same import again; its journal continues it.
	RemedyRunAgain
	// RemedyRestart: start over, ignoring the journal of an unfinished
	// run (records it imported come back skipped).
	RemedyRestart
	// RemedyJoinPasswords: join the password export (Auth0's second file)
	// to the user export.
	RemedyJoinPasswords
	// RemedyHashPlaintext: hash clear-text passwords locally
	// (passwords.plaintext: hash).
	RemedyHashPlaintext
	// RemedyChooseIdentifier: choose another identifier.
	RemedyChooseIdentifier
	// RemedyChoosePreset: choose the preset the note names.
	RemedyChoosePreset
	// RemedySignInAgain: run the same import again: the canary user is
	// not sent again, and is signed in as again before the rest (or leave
	// the sign-in check out to go on without it).
	RemedySignInAgain
)

// Unwrap is the refusal's cause.
func (e *RefusedError) Unwrap() error { return e.Err }

// RemedyOf is the remedy an error of Run carries (RemedyNone when none).
func RemedyOf(err error) Remedy {
	var re *RefusedError
	if errors.As(err, &re) && re.Remedy != RemedyNone {
		return re.Remedy
	}
	var se *StopError
	if errors.As(err, &se) && se.Remedy != RemedyNone {
		return se.Remedy
	}
	return RemedyNone
}
