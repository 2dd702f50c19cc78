package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

const undoUsage = `Usage: authgear-migrate undo --report R [--dry-run] [--yes] [flags]

Backs out of a migration: deletes the users the import report R says the
import inserted, never those it skipped or updated, and never a user
created before the import's first request (its journal, R without .csv
plus .journal, says when that was and which project the import went to).
Only a user id the import's journal recorded for that row is deleted (an
edited report cannot name another user), and "created before" is read on
the server's clock. Every user of R gets a line in undo's report
(R.undo.csv, mode 0600): deleted, already gone, kept: created before the
migration, kept: not created by this migration, or failed. Undo is
journaled (R.undo.journal, never started over): running it again
continues, tries the failed deletions again, and keeps the list of the
users already deleted. The roles and groups replay --create-roles created
(R without .csv plus .roles.journal) are deleted too once no user holds
them.

Before deleting, undo asks for a typed confirmation naming the project
and the number of users; --yes skips it. --dry-run deletes nothing and
writes the report of what would happen to R.undo-dry-run.csv.

Target: --endpoint or AUTHGEAR_ENDPOINT with AUTHGEAR_PROJECT_ID,
AUTHGEAR_ADMIN_KEY_ID and AUTHGEAR_ADMIN_KEY_FILE (or --key-file).
Exit 3 when a deletion failed. --out never replaces the import's report
or journal, an export, a key file, or any file that is not an undo report.

`

func runUndo(ctx context.Context, args []string, io *stdio) error {
	fs := newFlagSet("undo", undoUsage, io)
	var (
		report, journal, out string
		dryRun, yes          bool
		admin                adminFlags
	)
	fs.StringVar(&report, "report", "", "the import's report (required)")
	fs.StringVar(&journal, "journal", "", "the import's journal (default: next to the report)")
	fs.StringVar(&out, "out", "", "undo's report (default: REPORT.undo.csv)")
	fs.BoolVar(&dryRun, "dry-run", false, "delete nothing; report what undo would do")
	fs.BoolVar(&yes, "yes", false, "delete without asking for the typed confirmation")
	admin.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if report == "" {
		return usagef("undo: --report is required\n\n%s", undoUsage)
	}
	api, target, project, err := adminTarget(admin, io)
	if err != nil {
		return err
	}
	in := bufio.NewReader(io.In)
	prog := newLineProgress(io.Err, io.StderrTTY)
	s, err := importer.Undo(ctx, importer.UndoConfig{
		Report: report, Journal: journal, Out: out, API: api, Target: target, DryRun: dryRun,
		Confirm: func(p importer.UndoPlan) bool {
			prog.done()
			if yes {
				return true
			}
			want := fmt.Sprintf("delete %d users from %s", p.Delete, project)
			fmt.Fprintf(io.Err, "undo: %d of the %d users the import inserted into project %s are deleted (%d already gone, %d kept: created before the migration's first request at %s, %d kept: not the user the import's journal recorded for their row).\n",
				p.Delete, p.Inserted, importer.Printable(project), p.Gone, p.Kept, p.FirstRequest.UTC().Format("2006-01-02 15:04:05 MST"), p.NotJournaled)
			if p.Basis != importer.ClockServer {
				fmt.Fprintf(io.Err, "Note: %s.\n", clockNote(p))
			}
			if p.KeysCreated > 0 {
				fmt.Fprintf(io.Err, "Then the %d roles and groups the migration created are deleted, each once no user holds it.\n", p.KeysCreated)
			}
			fmt.Fprintf(io.Err, "This cannot be undone. Type %q to continue: ", importer.Printable(want))
			line, _ := in.ReadString('\n')
			return strings.TrimSpace(line) == want
		},
		Events: func(e importer.Event) { undoEvent(prog, e) },
	})
	if errors.Is(err, importer.ErrUndoCancelled) {
		// A refusal, as replay's unconfirmed --create-roles: exit 2.
		return &usageError{msg: "undo: not confirmed; nothing was deleted"}
	}
	if err != nil {
		return err
	}
	if s.DryRun {
		fmt.Fprintf(io.Out, "undo (dry run): of %d users inserted into %s, %d would be deleted, %d are already gone, %d kept (created before the migration)\n",
			s.Inserted, importer.Printable(s.Target), s.Delete, s.Gone, s.Kept)
	} else {
		fmt.Fprintf(io.Out, "undo: of %d users inserted into %s: %d deleted, %d already gone, %d kept (created before the migration), %d failed\n",
			s.Inserted, importer.Printable(s.Target), s.Deleted, s.AlreadyGone, s.KeptBefore, s.Failed)
		for _, ex := range s.FailedExamples {
			fmt.Fprintf(io.Out, "  failed: %s\n", importer.Printable(ex))
		}
	}
	if s.EarlierDeleted+s.EarlierGone > 0 {
		fmt.Fprintf(io.Out, "  an earlier undo deleted %d of them (%d were already gone then): they stay in undo's report\n", s.EarlierDeleted, s.EarlierGone)
	}
	if s.NotJournaled > 0 {
		fmt.Fprintf(io.Out, "  %d kept: the report names a user id the import's journal does not record for that row (the report was changed); see undo's report\n", s.NotJournaled)
	}
	if s.NotInReport > 0 {
		fmt.Fprintf(io.Out, "  %d users the import's journal records as inserted are not listed as inserted in the report: not deleted\n", s.NotInReport)
	}
	for _, k := range s.Keys {
		line := fmt.Sprintf("  %s %q (created by the migration): %s", k.Kind, k.Key, k.Outcome)
		if k.Reason != "" {
			line += ": " + k.Reason
		}
		fmt.Fprintln(io.Out, importer.Printable(line))
	}
	if s.Basis != importer.ClockServer && s.Inserted > s.NotJournaled {
		fmt.Fprintf(io.Out, "  note: %s\n", clockNote(s.UndoPlan))
	}
	fmt.Fprintf(io.Out, "undo report: %s\n", importer.Printable(s.Out))
	if s.Failed > 0 {
		fmt.Fprintln(io.Out, "run the same command again to retry the failed deletions")
		return &partialError{failed: s.Failed}
	}
	return nil
}

// clockNote says, for a journal that has no server time of the first
// request, which clock undo read the migration's start on.
func clockNote(p importer.UndoPlan) string {
	if p.Basis == importer.ClockLocalCorrected {
		return fmt.Sprintf("the import's journal has no server time (an older version): the migration's start is the time this machine recorded, corrected by its clock's offset from the server's now (%s), less %s",
			p.Skew, importer.LocalClockMargin)
	}
	return fmt.Sprintf("the import's journal has no server time (an older version) and the server's clock could not be read: the migration's start is the time this machine recorded, less %s", importer.LocalClockMargin)
}

// undoEvent shows undo's progress on stderr.
func undoEvent(prog *lineProgress, e importer.Event) {
	switch e := e.(type) {
	case importer.ReadingBack:
		prog.update(fmt.Sprintf("undo: %d/%d users looked up", e.Read, e.Total), e.Read == e.Total)
	case importer.Undoing:
		prog.update(fmt.Sprintf("undo: %d/%d users tried: %d deleted, %d already gone, %d failed", e.Done, e.Total, e.Deleted, e.Gone, e.Failed), e.Done == e.Total)
	case importer.Retrying:
		prog.println("retrying: " + importer.Printable(e.Retry.String()))
	case importer.Stopped:
		prog.println("undo: stopped: " + importer.Printable(e.Advice))
	case importer.UndoDone:
		prog.done()
	}
}
