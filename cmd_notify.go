package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

const notifyUsage = `Usage: authgear-migrate notify --report R --reset-password [--dry-run] [--yes] [--rate N] [flags]

Brings back in the users an import left without a password (a hash
Authgear cannot import, none in the export, clear text left out): a
live import lists them beside its report (R without .csv plus
.no-password.csv), and notify asks Authgear to send each of them the
project's own reset-password message (Admin API sendResetPasswordMessage),
to their email address or phone number. A user with only a username
cannot receive one: it is listed as skipped, with why. Only users the
import's journal (R without .csv plus .journal) records as inserted by
that import are written to, in the project the import went to.

Every message sent is journaled (R without .csv plus .notify.journal,
mode 0600, never started over): running notify again sends none twice,
and tries again the messages that failed. Messages are paced (--rate, per
second); a server that answers "too many requests" is waited for.

Before sending, notify asks you to type the project id (it names the
project and the number of users); --yes skips it. --dry-run sends nothing
and lists exactly the users who would get a message.

Target: --endpoint or AUTHGEAR_ENDPOINT with AUTHGEAR_PROJECT_ID,
AUTHGEAR_ADMIN_KEY_ID and AUTHGEAR_ADMIN_KEY_FILE (or --key-file).
Exit 3 when a message failed.

`

func runNotify(ctx context.Context, args []string, io *stdio) error {
	fs := newFlagSet("notify", notifyUsage, io)
	var (
		report, list, journal      string
		resetPassword, dryRun, yes bool
		rate                       float64
		admin                      adminFlags
	)
	fs.StringVar(&report, "report", "", "the import's report (required)")
	fs.BoolVar(&resetPassword, "reset-password", false, "send Authgear's reset-password message (required: the message notify sends)")
	fs.StringVar(&list, "list", "", "the list of users without a password (default: REPORT.no-password.csv)")
	fs.StringVar(&journal, "journal", "", "the import's journal (default: next to the report)")
	fs.BoolVar(&dryRun, "dry-run", false, "send nothing; list the users who would get a message")
	fs.BoolVar(&yes, "yes", false, "send without asking for the typed confirmation")
	fs.Float64Var(&rate, "rate", importer.DefaultNotifyRate, "messages asked for per second")
	admin.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if report == "" {
		return usagef("notify: --report is required\n\n%s", notifyUsage)
	}
	if !resetPassword {
		return usagef("notify: say which message to send: --reset-password (Authgear's reset-password message)\n\n%s", notifyUsage)
	}
	if rate <= 0 || rate > 1000 {
		return usagef("notify: --rate must be more than 0 and at most 1000 messages a second")
	}
	api, target, project, err := adminTarget(admin, io)
	if err != nil {
		return err
	}
	in := bufio.NewReader(io.In)
	prog := newLineProgress(io.Err, io.StderrTTY)
	s, err := importer.Notify(ctx, importer.NotifyConfig{
		Report: report, List: list, Journal: journal, API: api, Target: target, DryRun: dryRun, Rate: rate,
		Confirm: func(p importer.NotifyPlan) bool {
			prog.done()
			if yes {
				return true
			}
			fmt.Fprintf(io.Err, "notify: Authgear sends its reset-password message to %d %s of project %s", len(p.Send), userWord(len(p.Send)), importer.Printable(project))
			if len(p.Skipped) > 0 {
				fmt.Fprintf(io.Err, " (%d skipped: --dry-run lists them)", len(p.Skipped))
			}
			fmt.Fprintf(io.Err, ".\nThis cannot be undone. Type the project id (%s) to send %d messages: ", importer.Printable(project), len(p.Send))
			line, _ := in.ReadString('\n')
			return strings.TrimSpace(line) == project
		},
		Events: func(e importer.Event) { notifyEvent(prog, e) },
	})
	if errors.Is(err, importer.ErrNotifyCancelled) {
		// A refusal, as replay's unconfirmed --create-roles: exit 2.
		return &usageError{msg: "notify: not confirmed; no message was sent"}
	}
	if err != nil && s.Sent == 0 {
		return err
	}
	w := io.Out
	if s.DryRun {
		fmt.Fprintf(w, "notify (dry run): %d of the %d users without a password would get Authgear's reset-password message (%s):\n",
			len(s.Send), s.Listed, importer.Printable(s.Target))
		for _, u := range s.Send {
			fmt.Fprintf(w, "  %s\t(user %s: %s)\n", importer.Printable(u.LoginID), importer.Printable(u.UserID), importer.Printable(u.Why))
		}
	} else {
		fmt.Fprintf(w, "notify: of %d users without a password in %s: %d sent, %d with no email or phone login ID in Authgear, %d failed, %d skipped\n",
			s.Listed, importer.Printable(s.Target), s.Sent, s.Unknown, s.Failed, len(s.Skipped))
		for _, u := range s.Send {
			if u.Outcome == "failed" {
				fmt.Fprintf(w, "  failed: %s: %s\n", importer.Printable(u.LoginID), importer.Printable(u.Reason))
			}
		}
		if s.NotTried > 0 {
			fmt.Fprintf(w, "  %d not asked for (interrupted): run the same command again to continue\n", s.NotTried)
		}
	}
	for _, u := range s.Skipped {
		fmt.Fprintf(w, "  skipped: %s (user %s): %s\n", importer.Printable(u.Identifier), importer.Printable(u.UserID), importer.Printable(u.Skip))
	}
	if s.EarlierSent > 0 {
		fmt.Fprintf(w, "  %d were sent one by an earlier notify: not sent again\n", s.EarlierSent)
	}
	if !s.DryRun && s.Sent+s.Unknown+s.Failed > 0 {
		fmt.Fprintf(w, "notify's journal: %s\n", importer.Printable(s.Journal))
	}
	if err != nil {
		return err
	}
	if code := importer.NotifyExitCode(&s, nil, nil); code != exitOK {
		fmt.Fprintln(w, "run the same command again to retry the failed messages")
		return &runError{err: fmt.Errorf("%d messages failed", s.Failed), code: code}
	}
	return nil
}

func userWord(n int) string {
	if n == 1 {
		return "user"
	}
	return "users"
}

// notifyEvent shows notify's progress on stderr.
func notifyEvent(prog *lineProgress, e importer.Event) {
	switch e := e.(type) {
	case importer.ReadingBack:
		prog.update(fmt.Sprintf("notify: %d/%d users imported by username looked up", e.Read, e.Total), e.Read == e.Total)
	case importer.Notifying:
		prog.update(fmt.Sprintf("notify: %d/%d messages asked for: %d sent, %d failed", e.Done, e.Total, e.Sent, e.Failed), e.Done == e.Total)
	case importer.Retrying:
		prog.println("waiting: " + importer.Printable(e.Retry.String()))
	case importer.Stopped:
		prog.println("notify: stopped: " + importer.Printable(e.Advice))
	case importer.NotifyDone:
		prog.done()
	}
}
