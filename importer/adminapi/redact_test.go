package adminapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// escapeAll writes every byte of s as a JSON \u escape, with hex digits in
// the case given.
func escapeAll(s string, upper bool) string {
	f := "\\u%04x"
	if upper {
		f = "\\u%04X"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, f, s[i])
	}
	return b.String()
}

// escapeEvery escapes every n-th byte of s, JSON-style, leaving the rest.
func escapeEvery(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i%n == 0 {
			fmt.Fprintf(&b, "\\u%04x", s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// tokenParts returns a real token of the test credentials and its parts.
func tokenParts(t *testing.T) (token, header, claims, sig string) {
	t.Helper()
	ts, _ := newTestTokens(t)
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("token has %d parts", len(p))
	}
	return tok, p[0], p[1], p[2]
}

func TestSecretSetForms(t *testing.T) {
	tok, header, claims, sig := tokenParts(t)
	set := newSecretSet(testKID, []string{tok})
	secrets := []string{tok, header, claims, sig, testKID}
	tests := []struct {
		name, in string
		markers  int
	}{
		{"raw token", "Bearer " + tok + "!", 1},
		{"token twice, adjacent", tok + tok, 2},
		{"token at the very end", "x" + tok, 1},
		{"json escapes, lower-case hex", `{"m":"` + escapeAll(tok, false) + `"}`, 1},
		{"json escapes, upper-case hex", `{"m":"` + escapeAll(tok, true) + `"}`, 1},
		{"json escapes, every third byte", `{"m":"` + escapeEvery(tok, 3) + `"}`, 1},
		{"url escapes", "?t=" + percentAll(tok), 1},
		{"signature alone", "sig=" + sig + ";", 1},
		{"signature escaped", escapeEvery(sig, 2), 1},
		{"header part alone", header, 1},
		{"claims part alone", claims, 1},
		{"parts apart", sig + " and " + header, 2},
		{"key id", "kid " + testKID, 1},
		{"key id escaped", escapeAll(testKID, false), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(set.bytes([]byte(tt.in)))
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("secret %.20s... left in %.200s", s, out)
				}
			}
			if n := strings.Count(out, RedactedMarker); n != tt.markers {
				t.Errorf("%d markers, want %d: %.300s", n, tt.markers, out)
			}
			if set.string(tt.in) != out {
				t.Error("string and bytes disagree")
			}
		})
	}

	t.Run("untouched", func(t *testing.T) {
		for _, in := range []string{"", "Forbidden\n", `{"result":{"id":"userimport_X","status":"pending"}}`,
			`\u00`, `%4`, `\`, "%", escapeAll(sig[:10], false), sig[:minSecretLen-1]} {
			b := []byte(in)
			if out := set.bytes(b); string(out) != in {
				t.Errorf("%q became %q", in, out)
			}
		}
	})
	t.Run("short key id is not a secret", func(t *testing.T) {
		s := newSecretSet("k1", nil)
		if out := s.string("k1 and k1"); out != "k1 and k1" {
			t.Errorf("short kid redacted: %q", out)
		}
	})
	t.Run("nil set", func(t *testing.T) {
		var s *secretSet
		if s.string(tok) != tok {
			t.Error("nil set changed its input")
		}
	})
}

func TestRedactorKeepsRecentTokens(t *testing.T) {
	r := newRedactor("k1")
	var toks []string
	for i := range recentTokens + 2 {
		tok := fmt.Sprintf("eyJ%020d.eyJ%020d.sig%020d", i, i, i)
		toks = append(toks, tok)
		if s := r.sent(tok); s != r.sent(tok) {
			t.Fatal("sending the same token again made a new set")
		}
	}
	s := r.cur.Load()
	for i, tok := range toks {
		out := s.string("echo " + tok)
		forgotten := i < len(toks)-recentTokens
		if got := strings.Contains(out, tok); got != forgotten {
			t.Errorf("token %d: left in the answer %v, want %v", i, got, forgotten)
		}
	}
}

// FuzzSecretSet checks that redaction never panics and that no raw token
// survives it.
func FuzzSecretSet(f *testing.F) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsibXlhcHAiXX0.c2lnbmF0dXJlc2lnbmF0dXJl"
	set := newSecretSet("446d693d-2852-4e6b-9bf7-73ad895cdb63", []string{tok})
	f.Add([]byte("Bearer " + tok))
	f.Add([]byte(`\u0065\u0079J` + tok[3:]))
	f.Add([]byte(`%65yJ\u`))
	f.Add([]byte(tok[:40] + `\`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := set.bytes(b)
		if strings.Contains(string(out), tok) {
			t.Fatalf("token left in %q", out)
		}
	})
}

// tokenLog records the bearer tokens a test server received.
type tokenLog struct {
	mu   sync.Mutex
	toks []string
}

// Add records r's token and returns it.
func (l *tokenLog) Add(r *http.Request) string {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	l.mu.Lock()
	l.toks = append(l.toks, tok)
	l.mu.Unlock()
	return tok
}

func (l *tokenLog) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.toks...)
}

func sigOf(tok string) string { return tok[strings.LastIndex(tok, ".")+1:] }

// TestHostileServerEchoesToken: a server that echoes the Authorization
// header into every string it sends. The token and its signature appear
// nowhere in what the client returns.
func TestHostileServerEchoesToken(t *testing.T) {
	const uid = "8d8dcf63-7abc-4456-9b40-0163c1601d62"
	job := func(detail string) func(string) string {
		return func(tok string) string {
			return `{"result":{"id":"` + testJobID + `","created_at":"2026-11-27T12:06:09Z","completed_at":"2026-11-27T12:06:10Z","status":"completed",` +
				`"summary":{"total":1,"inserted":0,"updated":0,"skipped":0,"failed":1},"details":[` + strings.ReplaceAll(detail, "TOKEN", tok) + `]}}`
		}
	}
	tests := []struct {
		name   string
		status int
		ct     string
		body   func(tok string) string
	}{
		{"info.causes[].details", 400, "application/json", func(tok string) string {
			return `{"error":{"name":"Invalid","reason":"ValidationFailed","message":"invalid request body","code":400,"info":{"causes":[` +
				`{"location":"/records/0","kind":"format","details":{"error":"bad header Bearer ` + tok + `","actual":"` + tok + `","sig":"` + sigOf(tok) + `"}}]}}}`
		}},
		{"a detail's error message", 200, "application/json", job(`{"index":0,"outcome":"failed","errors":[{"name":"Invalid","reason":"X","message":"you sent Bearer TOKEN","code":400}]}`)},
		{"a warning", 200, "application/json", job(`{"index":0,"outcome":"inserted","user_id":"` + uid + `","warnings":[{"message":"Authorization: Bearer TOKEN"}]}`)},
		{"user_id", 200, "application/json", job(`{"index":0,"outcome":"inserted","user_id":"TOKEN"}`)},
		{"the record echo", 200, "application/json", job(`{"index":0,"outcome":"inserted","user_id":"` + uid + `","record":{"email":"a@example.com","note":"TOKEN"}}`)},
		{"a job-level error, \\u-escaped", 200, "application/json", func(tok string) string {
			return `{"result":{"id":"` + testJobID + `","created_at":"2026-11-27T12:06:09Z","status":"completed","error":{"name":"InternalError","reason":"UnexpectedError","message":"` + escapeAll(tok, false) + `","code":500}}}`
		}},
		{"the signature alone, partly escaped, in a warning", 200, "application/json", job(`{"index":0,"outcome":"inserted","warnings":[{"message":"SIG"}]}`)},
		{"a 403 plain-text body", 403, "text/plain; charset=utf-8", func(tok string) string { return "Forbidden: Bearer " + tok + "\n" }},
		{"a 500 error message", 500, "application/json", func(tok string) string {
			return `{"error":{"name":"InternalError","reason":"UnexpectedError","message":"` + tok + `","code":500,"info":{"header":"` + escapeAll(tok, true) + `"}}}`
		}},
		{"a 200 that is not JSON", 200, "text/html", func(tok string) string { return "<p>" + tok + "</p>" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log tokenLog
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				tok := log.Add(r)
				body := strings.ReplaceAll(tt.body(tok), "SIG", escapeEvery(sigOf(tok), 5))
				write(w, tt.status, tt.ct, body)
			})
			k := newKit(t, srv.URL(), WithRetry(2, time.Millisecond, time.Millisecond))
			job, err := k.c.GetImport(context.Background(), testJobID)
			var out []string
			if job != nil {
				b, jerr := json.Marshal(job)
				if jerr != nil {
					t.Fatal(jerr)
				}
				out = append(out, string(b), fmt.Sprintf("%+v", *job))
				for _, d := range job.Details {
					out = append(out, d.UserID, string(d.Record))
					for _, e := range d.Errors {
						out = append(out, e.Error())
					}
				}
				if job.Error != nil {
					out = append(out, job.Error.Error())
				}
			}
			if err != nil {
				out = append(out, err.Error())
				var ae *APIError
				if errors.As(err, &ae) {
					b, _ := json.Marshal(ae)
					out = append(out, string(b), fmt.Sprintf("%+v", *ae))
				}
				var he *HTTPError
				if errors.As(err, &he) {
					out = append(out, he.Body, he.ContentType, he.Hint)
				}
			}
			all := strings.Join(out, "\n")
			tokens := log.All()
			if len(tokens) == 0 {
				t.Fatal("no request")
			}
			for _, tok := range tokens {
				for _, s := range []string{tok, sigOf(tok), strings.Split(tok, ".")[0]} {
					if strings.Contains(all, s) {
						t.Fatalf("secret %.24s... in %.600s", s, all)
					}
				}
			}
			evidence := RedactedMarker
			if tt.name == "user_id" {
				// The redacted user_id is no user id: it is dropped.
				evidence = WarningUserIDDropped
			}
			if !strings.Contains(all, evidence) {
				t.Errorf("no %s in the answer: was the token echoed? %.600s", evidence, all)
			}
		})
	}
}

// TestTokenInHeadersAndStatusLine: a redirect's Location, the Content-Type
// and a malformed status line are the server's too.
func TestTokenInHeadersAndStatusLine(t *testing.T) {
	var log tokenLog
	check := func(t *testing.T, err error) {
		t.Helper()
		toks := log.All()
		if len(toks) == 0 {
			t.Fatal("no request")
		}
		tok := toks[len(toks)-1]
		if err == nil {
			t.Fatal("no error")
		}
		text := err.Error() + fmt.Sprintf("%+v", err)
		var he *HTTPError
		if errors.As(err, &he) {
			text += he.ContentType + he.Hint + he.Body
		}
		if strings.Contains(text, tok) || strings.Contains(text, sigOf(tok)) {
			t.Fatalf("token in %q", text)
		}
		if !strings.Contains(text, RedactedMarker) {
			t.Errorf("no marker in %q", text)
		}
	}
	t.Run("Location and Content-Type", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			tok := log.Add(r)
			w.Header().Set("Location", "https://elsewhere.example/?t="+tok)
			write(w, http.StatusTemporaryRedirect, "text/plain; x="+sigOf(tok), "")
		})
		_, err := newKit(t, srv.URL()).c.CreateImport(context.Background(), []byte(requestBody))
		check(t, err)
	})
	t.Run("status line", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			tok := log.Add(r)
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			_, _ = buf.WriteString("HTTP/1.1 " + tok + " OK\r\nContent-Length: 0\r\n\r\n")
			_ = buf.Flush()
			_, _ = bufio.NewReader(conn).ReadByte() // until the client hangs up
		})
		_, err := newKit(t, srv.URL(), noKeepAlive(), WithRetry(2, time.Millisecond, time.Millisecond)).c.GetImport(context.Background(), testJobID)
		check(t, err)
	})
}

// TestOlderTokenEchoed: a server that echoes a token of an earlier request
// is redacted too.
func TestOlderTokenEchoed(t *testing.T) {
	var log tokenLog
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		tok := log.Add(r)
		if n == 1 {
			write(w, 200, "application/json", completedJSON)
			return
		}
		first := log.All()[0]
		if tok == first {
			t.Error("the token was not renewed")
		}
		write(w, 400, "application/json", `{"error":{"name":"X","reason":"X","message":"old `+first+`","code":400}}`)
	})
	tokens, clk := newTestTokens(t)
	c := New(srv.URL(), tokens, WithSleep((&sleepRecorder{}).Sleep))
	if _, err := c.GetImport(context.Background(), testJobID); err != nil {
		t.Fatal(err)
	}
	clk.Set(testT0.Add(TokenLifetime))
	_, err := c.GetImport(context.Background(), testJobID)
	first := log.All()[0]
	if err == nil || strings.Contains(err.Error(), sigOf(first)) || !strings.Contains(err.Error(), "old "+RedactedMarker) {
		t.Errorf("err %v", err)
	}
}

// BenchmarkRedactLargeStatus measures redaction of a 2 MB status answer
// (the final status of a 15,623-record job) that holds no secret.
func BenchmarkRedactLargeStatus(b *testing.B) {
	const tok = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjQ0NmQ2OTNkIiwidHlwIjoiSldUIn0.eyJhdWQiOlsibXlhcHAiXSwiZXhwIjoxNzAwMDAwMzAwfQ.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl"
	set := newSecretSet(testKID, []string{tok})
	var sb strings.Builder
	for i := range 15623 {
		fmt.Fprintf(&sb, `{"index":%d,"record":{"email":"minimal-user-%06d@example.com"},"outcome":"inserted","user_id":"%08d-b5f8-4530-92db-a8df269ebf31"},`, i, i, i)
	}
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		if out := set.bytes(body); len(out) != len(body) {
			b.Fatal("changed")
		}
	}
}
