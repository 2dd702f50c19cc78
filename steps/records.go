package steps

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// recordsChoice asks which array of a JSON export's top-level object holds
// the users, when the engine cannot tell (*importer.RecordsKeyError, issue
// 18 item 6): the wizard's --records-key. The key chosen is loaded again,
// and the suggestion writes it to the mapping (source.records_key), as
// map does.
type recordsChoice struct {
	chooser *ui.Chooser
	// keys maps an option of the chooser to the array's key as it is in
	// the file (the option shows it printable).
	keys  map[string]string
	err   *importer.RecordsKeyError
	input string
	req   loadReq
}

// newRecordsChoice offers the candidates of ke, with what the engine says
// of each: how many objects, on which line, their keys, whether they look
// like users.
func newRecordsChoice(input string, req loadReq, ke *importer.RecordsKeyError) *recordsChoice {
	rc := &recordsChoice{keys: map[string]string{}, err: ke, input: input, req: req}
	var opts []string
	for _, c := range ke.Candidates {
		o := recordsOption(c)
		if _, dup := rc.keys[o]; dup {
			continue // a key that occurs twice: the engine reads the last
		}
		rc.keys[o] = c.Key
		opts = append(opts, o)
	}
	rc.chooser = ui.NewChooser(fmt.Sprintf("Which array of %s holds the users?", importer.Printable(input)), opts)
	return rc
}

// recordsOption is a candidate as the chooser lists it: its key, then what
// it holds.
func recordsOption(c importer.RecordsCandidate) string {
	var b strings.Builder
	b.WriteString(importer.Printable(c.Key) + " — " + count(c.Count, "object", "objects"))
	if c.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", c.Line)
	}
	if len(c.Keys) > 0 {
		ks := make([]string, len(c.Keys))
		for i, k := range c.Keys {
			ks[i] = importer.Printable(k)
		}
		b.WriteString(": " + strings.Join(ks, ", "))
	}
	if c.Users {
		b.WriteString("; they look like users")
	}
	return b.String()
}

// recordsKeyError is the engine's *RecordsKeyError in err, if any.
func recordsKeyError(err error) *importer.RecordsKeyError {
	var ke *importer.RecordsKeyError
	if errors.As(err, &ke) && len(ke.Candidates) > 0 {
		return ke
	}
	return nil
}

// errRecordsNotChosen is what the load screen says when the choice was
// cancelled: enter asks again.
type errRecordsNotChosen struct {
	input string
	n     int
}

func (e errRecordsNotChosen) Error() string {
	return fmt.Sprintf("%s holds %d arrays of objects and none of them is clearly the users: press enter to choose the one to read.",
		importer.Printable(e.input), e.n)
}

// recordsKeys are the chooser's keys, for the help line.
func (l *loadStep) recordsKeys() []key.Binding {
	return []key.Binding{l.keys.Choose, ui.Binding([]string{"up", "down"}, "↑/↓", "move"),
		ui.Binding([]string{"a-z"}, "type", "filter"), l.keys.Cancel}
}

// updateRecords hands a key to the chooser; a choice loads the export
// again, reading the array chosen.
func (l *loadStep) updateRecords(msg tea.Msg) (step, tea.Cmd) {
	rc := l.records
	cmd := rc.chooser.Update(msg)
	if !rc.chooser.Done {
		return l, cmd
	}
	l.records = nil
	if rc.chooser.Cancelled {
		l.err = errRecordsNotChosen{input: rc.input, n: len(rc.keys)}
		return l, nil
	}
	r := rc.req
	r.recordsKey = rc.keys[rc.chooser.Chosen]
	l.busy, l.err = true, nil
	return l, l.loadCmd(r)
}

// recordsView draws the chooser with what the engine found above it.
func (l *loadStep) recordsView() string {
	st := l.c.Styles
	rc := l.records
	var b strings.Builder
	intro := fmt.Sprintf("The file's top-level object holds %d arrays of objects, and none of them is clearly the users. Choose the one to read: the mapping keeps the choice (source.records_key), so replay reads the same array.",
		len(rc.keys))
	intro = ui.Wrap(intro, l.c.Width-2)
	b.WriteString(st.Muted.Render(intro) + "\n\n")
	b.WriteString(rc.chooser.View(st, l.c.Width, max(l.c.BodyHeight()-4-strings.Count(intro, "\n")-1, 4)))
	return b.String()
}
