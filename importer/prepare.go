package importer

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"sync"
)

// PrepareOptions tunes Prepare.
type PrepareOptions struct {
	// Workers is how many goroutines map and validate (default GOMAXPROCS).
	Workers int
	// ChunkSize is how many rows travel together between goroutines.
	ChunkSize int
	// Progress, when set, is called after each chunk with the counts so far.
	Progress func(PrepareStats)
}

// PrepareStats counts what Prepare has seen.
type PrepareStats struct {
	Total   int `json:"total"`
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
	// NotUsers counts the objects of a Django fixture that are not of the
	// user model (source.model): pages, images, form submissions. They
	// are among Total, and neither Valid nor Invalid.
	NotUsers         int `json:"not_users,omitempty"`
	PasswordsBcrypt  int `json:"with_bcrypt_password"`
	PasswordsDropped int `json:"passwords_dropped"`
	// PasswordsNotImportable counts recognised hashes that cannot be
	// imported, whatever the policy did with them.
	PasswordsNotImportable int `json:"password_not_importable"`
	// PasswordsHashedLocally counts clear-text passwords bcrypt-hashed
	// before sending (passwords.plaintext: hash); they are among
	// PasswordsBcrypt too.
	PasswordsHashedLocally int `json:"passwords_hashed_locally,omitempty"`
	// PhonesDropped counts the phone numbers that could not be read and
	// were left out of valid records (they are among DroppedFields too).
	PhonesDropped int `json:"phones_dropped,omitempty"`
	// DroppedFields counts the values left out of valid records because
	// Authgear would refuse them or they could not be read, per field and
	// per reason (the Drop* words): {"preferred_username": {"reserved": 3}}.
	DroppedFields map[string]map[string]int `json:"dropped_fields,omitempty"`
	// PasswordsPlaintextUnmapped counts the valid records with a value in
	// PlaintextColumn, a column of clear-text passwords the mapping leaves
	// out: those users will have no password.
	PasswordsPlaintextUnmapped int    `json:"passwords_plaintext_unmapped,omitempty"`
	PlaintextColumn            string `json:"plaintext_password_column,omitempty"`
	// HashFamilies counts the password hash families seen.
	HashFamilies map[HashFamily]int `json:"hash_families,omitempty"`
}

func (s *PrepareStats) add(p *Prepared) {
	s.Total++
	if p.NotUser != "" {
		s.NotUsers++
		return
	}
	if p.Valid() {
		s.Valid++
	} else {
		s.Invalid++
	}
	if p.PasswordFamily != "" {
		if s.HashFamilies == nil {
			s.HashFamilies = map[HashFamily]int{}
		}
		s.HashFamilies[p.PasswordFamily]++
		if p.Valid() && p.Record != nil && p.Record.Password != nil {
			s.PasswordsBcrypt++
		}
		if p.PasswordFamily.IsHash() && !p.PasswordFamily.Importable() {
			s.PasswordsNotImportable++
		}
	}
	if p.PasswordDropped && p.Valid() {
		s.PasswordsDropped++
	}
	if p.PasswordHashedLocally && p.Valid() {
		s.PasswordsHashedLocally++
	}
	if p.Valid() {
		s.PhonesDropped += p.PhonesDropped
		s.addDropped(p)
		if p.PlaintextLeftOut {
			s.PasswordsPlaintextUnmapped++
		}
	}
}

type chunk struct {
	seq  int
	rows []*Row
	out  []*Prepared
}

// Prepare streams every row of src through plan.Apply on several goroutines,
// finds duplicate login IDs across the file (the later record is rejected
// with a reason naming the earlier one), and calls emit for each record in
// input order. It stops at the first error from src or emit, or when ctx
// is done. Memory stays bounded whatever the input size: only a few chunks
// are in flight, and duplicates are tracked by 128-bit hashes in a compact
// set (idSet) of about 28 bytes per login ID, outside the Go heap.
func Prepare(ctx context.Context, src *Source, plan *Plan, o PrepareOptions, emit func(*Prepared) error) (PrepareStats, error) {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 512
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	todo := make(chan *chunk, o.Workers*2)
	done := make(chan *chunk, o.Workers*2)
	// tokens bounds the chunks between the reader and emit, so that one
	// slow chunk cannot let the reader pile the rest of the file up in
	// the re-sequencing map: one per worker, one being read and one being
	// emitted, at least. Each holds its records until emitted, so more
	// would only add to the peak memory of a large import.
	tokens := make(chan struct{}, max(o.Workers*2, o.Workers+2))
	var readErr error
	// Reader.
	go func() {
		defer close(todo)
		seq := 0
		for {
			c := &chunk{seq: seq, rows: make([]*Row, 0, o.ChunkSize)}
			for len(c.rows) < o.ChunkSize {
				row, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					readErr = err
					break
				}
				c.rows = append(c.rows, row)
			}
			if len(c.rows) > 0 {
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					return
				}
				select {
				case todo <- c:
				case <-ctx.Done():
					return
				}
				seq++
			}
			if len(c.rows) < o.ChunkSize {
				return
			}
		}
	}()
	// Workers.
	var wg sync.WaitGroup
	for i := 0; i < o.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range todo {
				c.out = make([]*Prepared, len(c.rows))
				for j, r := range c.rows {
					c.out[j] = plan.Apply(r)
				}
				select {
				case done <- c:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Re-sequence, de-duplicate and emit in input order.
	stats := PrepareStats{PlaintextColumn: plan.plainCol}
	dedup := newDeduper(plan.mapping)
	defer dedup.free()
	pending := map[int]*chunk{}
	next := 0
	var emitErr error
	for c := range done {
		if emitErr != nil {
			continue // drain
		}
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for _, p := range c.out {
				dedup.check(p)
				stats.add(p)
				if err := emit(p); err != nil {
					emitErr = err
					cancel()
					break
				}
			}
			<-tokens
			if emitErr != nil {
				break
			}
			if o.Progress != nil {
				o.Progress(stats)
			}
		}
	}
	if emitErr != nil {
		return stats, emitErr
	}
	if readErr != nil {
		return stats, readErr
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	return stats, nil
}

// deduper remembers the login IDs of the records that will be sent.
type deduper struct {
	id   Identifier
	seen idSet // hash of "field\x00value" -> record number
	// drop says, per login ID field other than the identifier, that one
	// an earlier record has is left out of the record rather than
	// rejecting it (Mapping.InvalidPolicy: issue 18's rule).
	drop map[string]bool
}

func newDeduper(m *Mapping) *deduper {
	d := &deduper{id: m.Identifier, drop: map[string]bool{}}
	for _, f := range []string{"email", "phone_number", "preferred_username"} {
		d.drop[f] = m.InvalidPolicy(f) == InvalidDrop
	}
	return d
}

// free returns the memory of the set.
func (d *deduper) free() { d.seen.Free() }

// Two independently seeded 64-bit hashes make a 128-bit key: a false
// duplicate among a billion records has a chance of about 1e-20.
var idSeed1, idSeed2 = maphash.MakeSeed(), maphash.MakeSeed()

func idKey(field, value string) [16]byte {
	var k [16]byte
	var h maphash.Hash
	for i, seed := range [2]maphash.Seed{idSeed1, idSeed2} {
		h.SetSeed(seed)
		h.WriteString(field)
		h.WriteByte(0)
		h.WriteString(value)
		binary.LittleEndian.PutUint64(k[i*8:], h.Sum64())
	}
	return k
}

// check rejects p when one of its login IDs belongs to an earlier valid record.
func (d *deduper) check(p *Prepared) {
	if !p.Valid() || p.Record == nil {
		return
	}
	type lid struct {
		field string
		value *string
	}
	ids := [3]lid{{"email", p.Record.Email}, {"phone_number", p.Record.PhoneNumber}, {"preferred_username", p.Record.PreferredUsername}}
	var keys [3][16]byte
	var dropped [3]int32 // the earlier record of a login ID left out
	for i, l := range ids {
		if l.value == nil {
			continue
		}
		keys[i] = idKey(l.field, *l.value)
		if first, ok := d.seen.Get(keys[i]); ok {
			switch {
			case l.field == string(d.id):
				p.addProblem(ProblemDuplicate, l.field, fmt.Sprintf("duplicate of record %d after normalisation", first))
			case d.drop[l.field]:
				dropped[i] = first
			default:
				p.addProblem(ProblemSameLoginID, l.field, fmt.Sprintf("%s is the same as record %d's after normalisation", fieldLabel(l.field), first))
			}
		}
	}
	if !p.Valid() {
		return
	}
	for i, l := range ids {
		if l.value == nil {
			continue
		}
		if dropped[i] != 0 {
			// Authgear would refuse the record for this login ID: the
			// user is imported without it.
			t, _ := LookupTarget(l.field)
			p.dropSameLoginID(t, int(dropped[i]))
			continue
		}
		d.seen.Add(keys[i], int32(p.Row.Num))
	}
}

func fieldLabel(key string) string {
	if t, ok := LookupTarget(key); ok {
		return t.Label
	}
	return key
}
