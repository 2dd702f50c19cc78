package importer

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

func randKey(r *rand.Rand) [16]byte {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], r.Uint64())
	binary.LittleEndian.PutUint64(k[8:], r.Uint64())
	return k
}

// TestIDSetMatchesMap adds random keys, a third of them twice, and checks
// every answer of the set against a map's, then every key (and as many
// absent ones) with Get.
func TestIDSetMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s idSet
	defer s.Free()
	want := map[[16]byte]int32{}
	var keys [][16]byte
	n := 200_000
	if testing.Short() {
		n = 50_000
	}
	for i := 0; i < n; i++ {
		k := randKey(r)
		if len(keys) > 0 && r.IntN(3) == 0 {
			k = keys[r.IntN(len(keys))]
		} else {
			keys = append(keys, k)
		}
		row, had := s.Add(k, int32(i))
		first, ok := want[k]
		if !ok {
			want[k] = int32(i)
			first = int32(i)
		}
		if had != ok || row != first {
			t.Fatalf("Add #%d: got (%d, %v), want (%d, %v)", i, row, had, first, ok)
		}
	}
	if s.Len() != len(want) {
		t.Fatalf("Len %d, want %d", s.Len(), len(want))
	}
	for k, v := range want {
		if got, ok := s.Get(k); !ok || got != v {
			t.Fatalf("Get(%x) = (%d, %v), want (%d, true)", k, got, ok, v)
		}
		other := randKey(r)
		if _, in := want[other]; !in {
			if _, ok := s.Get(other); ok {
				t.Fatalf("Get(%x) found a key never added", other)
			}
		}
	}
}

// TestIDSetSameFirstHalf: keys that share their first 64 bits share their
// shard and home slot; they must stay distinct keys, through growth.
func TestIDSetSameFirstHalf(t *testing.T) {
	var s idSet
	defer s.Free()
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], 0xdeadbeefcafef00d)
	const n = 1000 // one shard doubled from 256 slots to 2048
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(k[8:], uint64(i))
		if _, had := s.Add(k, int32(i)); had {
			t.Fatalf("key %d reported present before it was added", i)
		}
	}
	// The same first half with other second halves, and the other way round.
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(k[8:], uint64(i))
		if row, ok := s.Get(k); !ok || row != int32(i) {
			t.Fatalf("Get(%d) = (%d, %v)", i, row, ok)
		}
		if row, had := s.Add(k, -1); !had || row != int32(i) {
			t.Fatalf("Add(%d) again = (%d, %v), want (%d, true)", i, row, had, i)
		}
	}
	binary.LittleEndian.PutUint64(k[8:], n)
	if _, ok := s.Get(k); ok {
		t.Fatal("found a key never added with a shared first half")
	}
	var k2 [16]byte
	binary.LittleEndian.PutUint64(k2[8:], 5)
	if _, ok := s.Get(k2); ok {
		t.Fatal("found a key never added with a shared second half")
	}
	if s.Len() != n {
		t.Fatalf("Len %d, want %d", s.Len(), n)
	}
}

// TestIDSetGrowth checks the table sizes: every shard doubles when 13/16
// full, so the load stays between 13/32 and 13/16.
func TestIDSetGrowth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s idSet
	defer s.Free()
	for i := 1; i <= 100_000; i++ {
		s.Add(randKey(r), int32(i))
		if i%10_000 == 0 {
			slots := 0
			for j := range s.shards {
				sh := &s.shards[j]
				if sh.n*16 > len(sh.slots)*13 {
					t.Fatalf("%d keys: shard %d holds %d keys in %d slots", i, j, sh.n, len(sh.slots))
				}
				if len(sh.slots) != 1<<(64-sh.shift) {
					t.Fatalf("shard %d: shift %d for %d slots", j, sh.shift, len(sh.slots))
				}
				slots += len(sh.slots)
			}
			if load := float64(i) / float64(slots); load < 13.0/32*0.9 || load > 13.0/16 {
				t.Fatalf("%d keys in %d slots: load %.2f", i, slots, load)
			}
		}
	}
}

// TestIDSetZeroKey: the all-zero key marks empty slots inside the tables,
// so it is stored apart; it must behave like any key.
func TestIDSetZeroKey(t *testing.T) {
	var s idSet
	var zero [16]byte
	if _, ok := s.Get(zero); ok {
		t.Fatal("empty set has the zero key")
	}
	if _, had := s.Add(zero, 7); had {
		t.Fatal("zero key present before it was added")
	}
	if row, had := s.Add(zero, 9); !had || row != 7 {
		t.Fatalf("Add(zero) again = (%d, %v)", row, had)
	}
	if s.Len() != 1 {
		t.Fatalf("Len %d", s.Len())
	}
	s.Free()
	if _, ok := s.Get(zero); ok || s.Len() != 0 {
		t.Fatal("Free left the zero key")
	}
}

// TestIDSetFreeAndReuse: after Free the set is empty and takes keys again
// (its tables, mapped outside the heap, were returned).
func TestIDSetFreeAndReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var s idSet
	keys := make([][16]byte, 50_000)
	for i := range keys {
		keys[i] = randKey(r)
		s.Add(keys[i], int32(i))
	}
	s.Free()
	if s.Len() != 0 {
		t.Fatalf("Len %d after Free", s.Len())
	}
	for i, k := range keys {
		if _, ok := s.Get(k); ok {
			t.Fatalf("key %d still there after Free", i)
		}
		if _, had := s.Add(k, int32(i)); had {
			t.Fatalf("key %d reported present after Free", i)
		}
	}
	s.Free()
}

// BenchmarkIDSet adds 1,000,000 random keys, then looks each up; the map
// is the structure the set replaced.
func BenchmarkIDSet(b *testing.B) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(7, 8))
	keys := make([][16]byte, n)
	for i := range keys {
		keys[i] = randKey(r)
	}
	b.Run("idSet", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var s idSet
			for j, k := range keys {
				s.Add(k, int32(j))
			}
			for _, k := range keys {
				if _, ok := s.Get(k); !ok {
					b.Fatal("lost a key")
				}
			}
			s.Free()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m := make(map[[16]byte]int32, 1<<16)
			for j, k := range keys {
				if _, ok := m[k]; !ok {
					m[k] = int32(j)
				}
			}
			for _, k := range keys {
				if _, ok := m[k]; !ok {
					b.Fatal("lost a key")
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
}
