package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// serialLog collects events with no lock of its own: the race detector
// fails a test whose events are delivered from two goroutines at once.
type serialLog struct{ events []Event }

func (l *serialLog) add(e Event) { l.events = append(l.events, e) }

// kinds names the events in order, collapsing repeats ("ReadingBack*").
func (l *serialLog) kinds() string {
	el := eventLog{events: l.events}
	return el.kinds()
}

// TestCountEvents (issue 15 item 14): the record count streams in as
// Counting every CountingEvery records, then Counted with the total; the
// roles-and-groups pass before a live run (CountNeeds) reports Validating,
// the last with the whole file's counts; an unreadable input has no
// Counted.
func TestCountEvents(t *testing.T) {
	c, dir := exampleRun(t)
	big := filepath.Join(dir, "big.csv")
	var b strings.Builder
	b.WriteString("Email\n")
	const n = 2*CountingEvery + 7
	for i := range n {
		fmt.Fprintf(&b, "u%d@example.com\n", i)
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var log serialLog
	got, err := CountRecords(context.Background(), big, c.Mapping, log.add)
	if err != nil || got != n {
		t.Fatalf("CountRecords: %d %v", got, err)
	}
	want := []Event{Counting{CountingEvery}, Counting{2 * CountingEvery}, Counted{n}}
	if fmt.Sprint(log.events) != fmt.Sprint(want) {
		t.Errorf("count events %v, want %v", log.events, want)
	}
	log = serialLog{}
	if _, err := CountRecords(context.Background(), filepath.Join(dir, "missing.csv"), c.Mapping, log.add); err == nil || len(log.events) != 0 {
		t.Errorf("a missing input: %v, events %v", err, log.events)
	}

	log = serialLog{}
	needs, err := CountNeeds(context.Background(), c.Input, c.Mapping, log.add)
	if err != nil || needs.Empty() {
		t.Fatalf("CountNeeds: %v %+v", err, needs)
	}
	if got := log.kinds(); got != "Validating" && got != "Validating*" {
		t.Fatalf("CountNeeds events: %s", got)
	}
	if st := log.events[len(log.events)-1].(Validating).Stats; st.Total != 21 || st.Valid != 19 || st.Invalid != 2 {
		t.Errorf("CountNeeds' last Validating: %+v", st)
	}
}

// TestEventSinkOneAtATime: events emitted from many goroutines reach the
// handler one at a time (the handler has no lock of its own).
func TestEventSinkOneAtATime(t *testing.T) {
	var inside atomic.Bool
	n := 0
	ev := newEventSink(func(Event) {
		if inside.Swap(true) {
			t.Error("two events delivered at once")
		}
		n++
		runtime.Gosched()
		inside.Store(false)
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				ev.emit(Counting{})
			}
		}()
	}
	wg.Wait()
	if n != 8*200 {
		t.Errorf("%d events delivered, want %d", n, 8*200)
	}
	var none *eventSink
	none.emit(Counting{}) // a nil sink, or a nil handler, drops events
	newEventSink(nil).emit(Counting{})
}
