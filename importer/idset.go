package importer

import (
	"encoding/binary"
	"unsafe"
)

// idSet is an exact set of 128-bit keys, each with the number of the record
// that first held it: the memory of duplicate detection.
//
// It is 64 open-addressed tables with linear probing, each a flat array of
// 20-byte slots, chosen by the top bits of the key and each doubled on its
// own when 13/16 full, so that growing never holds the old and the new
// copy of the whole set at once. The arrays are taken outside the Go heap
// where the system allows (see allocSlots): they hold no pointers, and
// inside the heap they would also raise the collector's goal, which is
// twice the live heap, by their own size. 1,500,000 keys take 42 MB, where
// a map[[16]byte]int32 takes 45 MB in the heap and lets the heap grow by
// as much again.
//
// Keys are compared in full: two keys that share their first 64 bits, and
// so their shard and home slot, are still two keys.
type idSet struct {
	shards [idSetShards]idShard
	// The all-zero key marks an empty slot, so it is kept apart.
	hasZero bool
	zeroRow int32
}

const (
	idSetShardBits = 6
	idSetShards    = 1 << idSetShardBits
	idSetMinBits   = 8 // the first size of a shard: 256 slots, 5 KB
)

type idShard struct {
	slots  []idSlot
	mapped bool // slots are outside the heap (allocSlots)
	n      int  // keys stored
	shift  uint // 64 - log2(len(slots)): the home slot is the key's top bits
}

type idSlot struct {
	key [16]byte
	row int32
}

const idSlotSize = unsafe.Sizeof(idSlot{})

// Len returns the number of keys in the set.
func (s *idSet) Len() int {
	n := 0
	for i := range s.shards {
		n += s.shards[i].n
	}
	if s.hasZero {
		n++
	}
	return n
}

// Free returns the set's memory; the set is empty and usable afterwards.
func (s *idSet) Free() {
	for i := range s.shards {
		freeSlots(s.shards[i].slots, s.shards[i].mapped)
		s.shards[i] = idShard{}
	}
	s.hasZero, s.zeroRow = false, 0
}

// shard returns the shard of k and its top 64 bits.
func (s *idSet) shard(k *[16]byte) (*idShard, uint64) {
	h := binary.BigEndian.Uint64(k[:8])
	return &s.shards[h>>(64-idSetShardBits)], h
}

// Get returns the record number stored with k.
func (s *idSet) Get(k [16]byte) (int32, bool) {
	if k == ([16]byte{}) {
		return s.zeroRow, s.hasZero
	}
	sh, h := s.shard(&k)
	if sh.slots == nil {
		return 0, false
	}
	mask := uint64(len(sh.slots) - 1)
	for i := (h << idSetShardBits) >> sh.shift; ; i = (i + 1) & mask {
		sl := &sh.slots[i]
		if sl.key == k {
			return sl.row, true
		}
		if sl.key == ([16]byte{}) {
			return 0, false
		}
	}
}

// Add stores k with row unless k is there already. It returns the row
// stored with k and whether k was there before.
func (s *idSet) Add(k [16]byte, row int32) (int32, bool) {
	if k == ([16]byte{}) {
		if s.hasZero {
			return s.zeroRow, true
		}
		s.hasZero, s.zeroRow = true, row
		return row, false
	}
	sh, h := s.shard(&k)
	h <<= idSetShardBits // the bits below the shard's
	if sh.slots == nil {
		sh.slots, sh.mapped = allocSlots(1 << idSetMinBits)
		sh.shift = 64 - idSetMinBits
	}
	mask := uint64(len(sh.slots) - 1)
	i := h >> sh.shift
	for ; ; i = (i + 1) & mask {
		sl := &sh.slots[i]
		if sl.key == k {
			return sl.row, true
		}
		if sl.key == ([16]byte{}) {
			break
		}
	}
	if (sh.n+1)*16 > len(sh.slots)*13 {
		sh.grow()
		sh.insertNew(h, k, row)
	} else {
		sh.slots[i] = idSlot{key: k, row: row}
	}
	sh.n++
	return row, false
}

// insertNew puts a key known to be absent into its first free slot; h is
// the key's top 64 bits shifted past the shard's.
func (sh *idShard) insertNew(h uint64, k [16]byte, row int32) {
	mask := uint64(len(sh.slots) - 1)
	i := h >> sh.shift
	for sh.slots[i].key != ([16]byte{}) {
		i = (i + 1) & mask
	}
	sh.slots[i] = idSlot{key: k, row: row}
}

func (sh *idShard) grow() {
	old, oldMapped := sh.slots, sh.mapped
	sh.slots, sh.mapped = allocSlots(2 * len(old))
	sh.shift--
	for i := range old {
		if old[i].key != ([16]byte{}) {
			h := binary.BigEndian.Uint64(old[i].key[:8]) << idSetShardBits
			sh.insertNew(h, old[i].key, old[i].row)
		}
	}
	freeSlots(old, oldMapped)
}
