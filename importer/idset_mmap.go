//go:build unix

package importer

import (
	"syscall"
	"unsafe"
)

// allocSlots returns n zeroed slots, in anonymous memory mapped outside the
// Go heap (mapped is true) when they take 64 KB or more and the system
// grants the mapping, else in the heap.
func allocSlots(n int) (slots []idSlot, mapped bool) {
	size := n * int(idSlotSize)
	if size < 64<<10 {
		return make([]idSlot, n), false
	}
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]idSlot, n), false
	}
	return unsafe.Slice((*idSlot)(unsafe.Pointer(&b[0])), n), true
}

// freeSlots unmaps slots that allocSlots mapped; the collector takes the
// others.
func freeSlots(s []idSlot, mapped bool) {
	if !mapped || len(s) == 0 {
		return
	}
	_ = syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(idSlotSize)))
}
