package importer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Clear-text passwords (passwords.plaintext: hash) are bcrypt-hashed
// lazily: Plan.Apply only decides that the record is valid and notes it;
// the hash is computed the first time the record is encoded to be sent or
// written (Record.AppendJSON, Password.Hash). A pass that never sends a
// record (verify, the count of roles and groups before a live run, the
// dry run without --emit-json) never hashes, and a record prepared again
// in the same run (a lost job's records are sent again) reuses its hash
// from the plan's bounded cache. At cost 10 a hash is about 0.1 s: a
// 1,000-row file took 103 s to verify one user when every pass hashed
// every row.

// bcryptGenerate is bcrypt.GenerateFromPassword; the tests count its calls.
var bcryptGenerate = bcrypt.GenerateFromPassword

// errPlaintextHash is the error of a clear-text password bcrypt refused (it
// never names the password).
var errPlaintextHash = errors.New("a password in clear text could not be bcrypt-hashed")

// lazyHash is a clear-text password waiting to be hashed.
type lazyHash struct {
	once  sync.Once
	plain string
	row   int
	cache *hashCache
	err   error
}

// resolve hashes the password into p.PasswordHash, once.
func (l *lazyHash) resolve(p *Password) error {
	l.once.Do(func() {
		key := l.cache.key(l.plain)
		if h, ok := l.cache.get(l.row, key); ok {
			p.PasswordHash = h
		} else if b, err := bcryptGenerate([]byte(l.plain), PlaintextBcryptCost); err != nil {
			l.err = errPlaintextHash
		} else {
			p.PasswordHash = string(b)
			l.cache.put(l.row, key, p.PasswordHash)
		}
		l.plain = ""
	})
	return l.err
}

// Hash returns the bcrypt hash the record sends. For a password that was
// in clear text (passwords.plaintext: hash) it is computed on the first
// call (PasswordHash is empty until then); every later call, and every
// encoding of the record, gives the same hash.
func (p *Password) Hash() (string, error) {
	if p.lazy != nil {
		if err := p.lazy.resolve(p); err != nil {
			return "", err
		}
	}
	return p.PasswordHash, nil
}

// hashCacheMax bounds the cache: about 150 bytes an entry.
const hashCacheMax = 1 << 14

// hashCache remembers the hashes of a plan's clear-text passwords by row,
// so that a record prepared again in the same run is not hashed again. An
// entry is used only for the same password (an HMAC of it under a key of
// this process, never the password itself). When full it is emptied: a
// miss costs a hash, never a wrong one.
type hashCache struct {
	mu     sync.Mutex
	secret [32]byte
	m      map[int]cachedHash
}

type cachedHash struct {
	key  [32]byte
	hash string
}

func newHashCache() *hashCache {
	c := &hashCache{m: map[int]cachedHash{}}
	_, _ = rand.Read(c.secret[:])
	return c
}

func (c *hashCache) key(plain string) [32]byte {
	var k [32]byte
	if c == nil {
		return k
	}
	mac := hmac.New(sha256.New, c.secret[:])
	mac.Write([]byte(plain))
	copy(k[:], mac.Sum(nil))
	return k
}

func (c *hashCache) get(row int, key [32]byte) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[row]
	if !ok || !hmac.Equal(e.key[:], key[:]) {
		return "", false
	}
	return e.hash, true
}

func (c *hashCache) put(row int, key [32]byte, hash string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= hashCacheMax {
		clear(c.m)
	}
	c.m[row] = cachedHash{key: key, hash: hash}
}
