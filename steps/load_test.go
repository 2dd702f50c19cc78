package steps

import "testing"

// TestLoadHelpNamesEachKeyOnce: ? on the load step lists each key once,
// and only keys that do something there (ctrl+r needs a saved mapping).
func TestLoadHelpNamesEachKeyOnce(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepLoad)
	l := d.w.steps[stepLoad].(*loadStep)
	if l.s.loaded == nil {
		t.Skip("the example is not loaded on the load step")
	}
	seen := map[string]int{}
	for _, col := range l.FullHelp() {
		for _, b := range col {
			seen[b.Help().Key]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times: %v", k, n, seen)
		}
	}
	if l.s.loaded.saved == "" && !l.req.fresh && seen[l.keys.Fresh.Help().Key] > 0 {
		t.Errorf("%s listed without a saved mapping: %v", l.keys.Fresh.Help().Key, seen)
	}
}
