package adminapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const (
	testKID     = "446d693d-2852-4e6b-9bf7-73ad895cdb63"
	testProject = "myapp"
)

var testT0 = time.Unix(1700000000, 0).UTC()

var (
	testKey   = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	otherKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	testECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func pkcs8PEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func pkcs1PEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64uInt(i *big.Int) string { return b64u(i.Bytes()) }

// jwkMap encodes k as Authgear's secrets file has it.
func jwkMap(k *rsa.PrivateKey, kid string) map[string]any {
	k.Precompute()
	return map[string]any{
		"alg":        "RS256",
		"created_at": 1704946737,
		"kid":        kid,
		"kty":        "RSA",
		"use":        "sig",
		"n":          b64uInt(k.N),
		"e":          b64uInt(big.NewInt(int64(k.E))),
		"d":          b64uInt(k.D),
		"p":          b64uInt(k.Primes[0]),
		"q":          b64uInt(k.Primes[1]),
		"dp":         b64uInt(k.Precomputed.Dp),
		"dq":         b64uInt(k.Precomputed.Dq),
		"qi":         b64uInt(k.Precomputed.Qinv),
	}
}

func jwkJSONBytes(t testing.TB, k *rsa.PrivateKey, kid string) []byte {
	t.Helper()
	b, err := json.Marshal(jwkMap(k, kid))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secretsYAML writes an authgear.secrets.yaml the way `authgear init` does,
// with other secrets around the admin-api.auth item.
func secretsYAML(k *rsa.PrivateKey, kid string) []byte {
	m := jwkMap(k, kid)
	return []byte(`secrets:
- data:
    database_schema: public
    database_url: postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable
  key: db
- data:
    redis_url: redis://127.0.0.1
  key: redis
- data:
    keys:
    - alg: RS256
      created_at: 1704946737
      d: ` + m["d"].(string) + `
      dp: ` + m["dp"].(string) + `
      dq: ` + m["dq"].(string) + `
      e: AQAB
      kid: ` + kid + `
      kty: RSA
      "n": ` + m["n"].(string) + `
      p: ` + m["p"].(string) + `
      q: ` + m["q"].(string) + `
      qi: ` + m["qi"].(string) + `
      use: sig
  key: admin-api.auth
- data:
    keys:
    - kid: other
      kty: oct
      k: c2VjcmV0
  key: csrf
`)
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func testCreds() Credentials {
	return Credentials{ProjectID: testProject, KeyID: testKID, Key: testKey()}
}

func newTestTokens(t testing.TB) (*TokenSource, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: testT0}
	ts, err := NewTokenSource(testCreds(), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return ts, clk
}

// sleepRecorder is a WithSleep that records the delays and returns at once.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) Delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// recorded is one response from shared/real-server.
type recorded struct {
	Status      int
	ContentType string
	Body        []byte
}

func realServerDir() string {
	return filepath.Join("..", "..", "testdata", "real-server")
}

func loadRecorded(t testing.TB, name string) recorded {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realServerDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Response struct {
			Status   int               `json:"status"`
			Headers  map[string]string `json:"headers"`
			BodyText *string           `json:"body_text"`
			BodyJSON json.RawMessage   `json:"body_json"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	r := recorded{Status: f.Response.Status, ContentType: f.Response.Headers["content-type"]}
	switch {
	case f.Response.BodyText != nil:
		r.Body = []byte(*f.Response.BodyText)
	case len(f.Response.BodyJSON) > 0 && string(f.Response.BodyJSON) != "null":
		// The server sends compact JSON; the recording is indented.
		var buf bytes.Buffer
		if err := json.Compact(&buf, f.Response.BodyJSON); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.Body = buf.Bytes()
	}
	return r
}
