package steps

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// The engine's run reaches the wizard through a channel and a command
// that re-arms itself after each message, never through a global program.

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

// startRun runs cfg in the background; its events come back as messages
// tagged with id. Progress events are dropped when the screen is behind
// (the next one carries the same counts); the others always arrive.
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
	go func() {
		s, err := importer.Run(ctx, cfg)
		ch <- runDoneMsg{id: id, summary: s, err: err}
		close(ch)
	}()
	return ch, waitFor(ch)
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
