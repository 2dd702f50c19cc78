//go:build !unix

package importer

// allocSlots returns n zeroed slots in the Go heap.
func allocSlots(n int) ([]idSlot, bool) { return make([]idSlot, n), false }

// freeSlots leaves the slots to the collector.
func freeSlots([]idSlot, bool) {}
