package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fixtureKID is the kid of the real server's key in the recordings; the
// tests' own key uses it so that the replayed JWT headers are the same.
const fixtureKID = "924b7dc5-bcd6-41d0-b489-74cd03151312"

var (
	testKeyOnce sync.Once
	testKey     *KeyPair
)

func key(t testing.TB) *KeyPair {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := GenerateKey()
		if err != nil {
			panic(err)
		}
		k.KID = fixtureKID
		testKey = k
	})
	return testKey
}

// newTestServer starts a sandbox on an httptest server; both are closed at
// the end of the test.
func newTestServer(t *testing.T, o Options) (*Server, *httptest.Server) {
	t.Helper()
	if o.ProjectID == "" {
		o.ProjectID = "myapp"
	}
	if o.Keys == nil {
		o.Keys = []PublicKey{key(t).PublicKey()}
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		_ = s.Close()
	})
	return s, hs
}

func token(t testing.TB, now time.Time) string {
	t.Helper()
	tok, err := key(t).Token("myapp", now, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %v: %q", r.status, err, r.body)
	}
	return m
}

func do(t testing.TB, c *http.Client, method, url, auth, contentType string, body []byte) (response, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// post imports records and returns the decoded answer.
func post(t testing.TB, hs *httptest.Server, body string) response {
	t.Helper()
	r, err := do(t, hs.Client(), http.MethodPost, hs.URL+importPath, "Bearer "+token(t, time.Now()), "application/json", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t testing.TB, hs *httptest.Server, id string) response {
	t.Helper()
	r, err := do(t, hs.Client(), http.MethodGet, hs.URL+importPath+"/"+id, "Bearer "+token(t, time.Now()), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// importAndWait posts body, waits for the worker and returns the job's
// final result.
func importAndWait(t *testing.T, s *Server, hs *httptest.Server, body string) map[string]any {
	t.Helper()
	r := post(t, hs, body)
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	id := r.json(t)["result"].(map[string]any)["id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	g := get(t, hs, id)
	if g.status != 200 {
		t.Fatalf("GET: %d %s", g.status, g.body)
	}
	return g.json(t)["result"].(map[string]any)
}
