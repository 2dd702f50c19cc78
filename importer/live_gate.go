package importer

import (
	"context"
	"errors"
	"fmt"
)

// maxHeldForCanary bounds the records held back from the canary while it
// fills with records that need nothing created: past it, what they need is
// created before the canary (after the project's roles and groups were
// read, an authenticated call).
const maxHeldForCanary = 10_000

// canaryGate runs ImportOptions.AfterCanary once, after the canary and
// before any other request, and then sends the records held back from the
// canary (HoldFromCanary). It is used by the streaming goroutine only.
type canaryGate struct {
	ran  bool
	held []queued
}

// run calls AfterCanary unless the run has stopped (a stopped canary
// creates nothing), then hands the held records to add, which reports
// them not sent after a stop.
func (g *canaryGate) run(ctx context.Context, im *importer, add func(queued) error) error {
	if g.ran {
		return nil
	}
	g.ran = true
	if im.stopped() == nil && ctx.Err() == nil {
		// What the canary measured (the estimate, its sign-in).
		if err := im.canaryDone(ctx); err != nil {
			var se *StopError
			if !errors.As(err, &se) {
				se = &StopError{Reason: err.Error() + "; nothing more was sent", Err: err}
			}
			im.stop(se)
		}
	}
	if im.o.AfterCanary != nil && im.stopped() == nil && ctx.Err() == nil {
		if err := im.o.AfterCanary(ctx); err != nil {
			im.stop(&StopError{Reason: fmt.Sprintf("preparing the project after the first request failed: %v; nothing more was sent (import again to continue)", err), Err: err})
		}
	}
	held := g.held
	g.held = nil
	for _, q := range held {
		if err := add(q); err != nil {
			return err
		}
	}
	return nil
}
