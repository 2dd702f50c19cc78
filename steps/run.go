package steps

import (
	"context"
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// The engine's run reaches the wizard through a channel and a command
// that re-arms itself after each message, never through a global program.
// The run's goroutine starts when the first command runs (in Bubble Tea's
// loop), not when Update builds it; its messages carry the run's id, and
// the wizard hands them to the step that started it (ownedMsg).

type (
	// eventMsg is one event of a run.
	eventMsg struct {
		id int
		e  importer.Event
	}
	// runDoneMsg ends a run.
	runDoneMsg struct {
		id      int
		summary importer.RunSummary
		err     error
	}
)

func (m eventMsg) runID() int   { return m.id }
func (m runDoneMsg) runID() int { return m.id }

// startRun runs cfg in the background once the returned command runs; its
// events come back as messages tagged with id. Progress events are dropped
// when the screen is behind (the next one carries the same counts); the
// others always arrive.
func startRun(ctx context.Context, id int, cfg importer.RunConfig) (<-chan tea.Msg, tea.Cmd) {
	ch := make(chan tea.Msg, 64)
	cfg.Events = func(e importer.Event) {
		switch e.(type) {
		case importer.Validating, importer.Importing:
			select {
			case ch <- eventMsg{id, e}:
			default:
			}
		case importer.Done:
			// The summary comes with runDoneMsg.
		default:
			ch <- eventMsg{id, e}
		}
	}
	return ch, startThenWait(ch, func() {
		s, err := importer.Run(ctx, cfg)
		ch <- runDoneMsg{id: id, summary: s, err: err}
		close(ch)
	})
}

// startThenWait is a command that starts work in a goroutine (once) and
// delivers the channel's first message.
func startThenWait(ch <-chan tea.Msg, work func()) tea.Cmd {
	var once sync.Once
	wait := waitFor(ch)
	return func() tea.Msg {
		once.Do(func() { go work() })
		return wait()
	}
}

// waitFor delivers the channel's next message.
func waitFor(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// count writes n things with thousands separators and the right number:
// "1 record", "1,000 records".
func count(n int, one, many string) string {
	return importer.Thousands(n) + " " + plural(n, one, many)
}
