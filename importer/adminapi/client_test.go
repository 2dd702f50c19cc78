package adminapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	pendingJSON   = `{"result":{"id":"userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM","created_at":"2026-11-27T12:06:09.856810411Z","status":"pending"}}`
	completedJSON = `{"result":{"id":"userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM","created_at":"2026-11-27T12:06:09.856810411Z","completed_at":"2026-11-27T12:06:09.889683702Z","status":"completed","summary":{"total":1,"inserted":1,"updated":0,"skipped":0,"failed":0},"details":[{"index":0,"record":{"email":"a@example.com"},"outcome":"inserted","user_id":"u1"}]}}`
	testJobID     = "userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM"
	requestBody   = `{"identifier":"email","records":[{"email":"a@example.com"}]}`
)

// testServer counts requests, checks each one's token, and answers with
// handle(w, r, n) where n is the 1-based request number.
type testServer struct {
	*httptest.Server
	hits   atomic.Int32
	mu     sync.Mutex
	bodies []string
}

func newTestServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(ts.hits.Add(1))
		checkRequestAuth(t, r)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		ts.mu.Lock()
		ts.bodies = append(ts.bodies, string(b))
		ts.mu.Unlock()
		handle(w, r, n)
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) Hits() int { return int(ts.hits.Load()) }

func (ts *testServer) URL() *url.URL {
	u, err := ParseEndpoint(ts.Server.URL)
	if err != nil {
		panic(err)
	}
	return u
}

// checkRequestAuth verifies the bearer token the way the server does.
func checkRequestAuth(t *testing.T, r *http.Request) {
	t.Helper()
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		t.Errorf("Authorization header %q is not 'Bearer <jwt>'", truncate(h, 20))
		return
	}
	parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != testKID {
			return nil, fmt.Errorf("kid %v", tk.Header["kid"])
		}
		return &testKey().PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(testProject),
		jwt.WithTimeFunc(func() time.Time { return testT0 }))
	if err != nil || !parsed.Valid {
		t.Errorf("token does not verify: %v", err)
	}
}

func write(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func writeRecorded(w http.ResponseWriter, r recorded) {
	write(w, r.Status, r.ContentType, string(r.Body))
}

// hijackClose drops the connection without an answer (the body has been
// read by the test server already).
func hijackClose(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

type clientKit struct {
	c     *Client
	sleep *sleepRecorder
	ts    *TokenSource
}

// newKit builds a client with a fake clock, recorded sleeps and a jitter
// that always picks the ceiling, so delays are deterministic.
func newKit(t *testing.T, ep *url.URL, opts ...Option) *clientKit {
	t.Helper()
	tokens, _ := newTestTokens(t)
	s := &sleepRecorder{}
	opts = append([]Option{WithSleep(s.Sleep)}, opts...)
	c := New(ep, tokens, opts...)
	c.jitter = func(n int64) int64 { return n - 1 }
	return &clientKit{c: c, sleep: s, ts: tokens}
}

func noKeepAlive() Option {
	return WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}})
}

func TestRequestShape(t *testing.T) {
	var seen []*http.Request
	var mu sync.Mutex
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		if r.Method == http.MethodPost {
			write(w, 200, "application/json", pendingJSON)
		} else {
			write(w, 200, "application/json", completedJSON)
		}
	})
	k := newKit(t, srv.URL(), WithUserAgent("authgear-migrate/test"))
	if _, err := k.c.CreateImport(context.Background(), []byte(requestBody)); err != nil {
		t.Fatal(err)
	}
	if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("%d requests", len(seen))
	}
	post, get := seen[0], seen[1]
	if post.Method != "POST" || post.URL.Path != "/_api/admin/users/import" {
		t.Errorf("POST request: %s %s", post.Method, post.URL.Path)
	}
	if ct := post.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if srv.bodies[0] != requestBody {
		t.Errorf("body sent %q", srv.bodies[0])
	}
	if get.Method != "GET" || get.URL.Path != "/_api/admin/users/import/"+testJobID || get.URL.RawQuery != "" {
		t.Errorf("GET request: %s %s", get.Method, get.URL)
	}
	if get.Header.Get("Content-Type") != "" {
		t.Errorf("GET has a Content-Type")
	}
	for _, r := range seen {
		if r.Header.Get("User-Agent") != "authgear-migrate/test" || r.Header.Get("Accept") != "application/json" {
			t.Errorf("headers %v", r.Header)
		}
	}
}

func TestRejectsBadInputWithoutRequest(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", pendingJSON) })
	k := newKit(t, srv.URL())
	for _, id := range []string{"", "../users", "a/b", "x?y=1", "id#x", "id with space"} {
		if _, err := k.c.GetImport(context.Background(), id); err == nil {
			t.Errorf("GetImport(%q) accepted", id)
		}
	}
	if _, err := k.c.CreateImport(context.Background(), nil); err == nil {
		t.Error("CreateImport(nil) accepted")
	}
	if srv.Hits() != 0 {
		t.Errorf("%d requests sent", srv.Hits())
	}
}

// TestRecordedAnswers replays answers recorded from a real Authgear server.
func TestRecordedAnswers(t *testing.T) {
	type check func(t *testing.T, job *Job, err error, hits int)
	tests := []struct {
		file   string
		method string
		check  check
	}{
		{"a01_docs_bulk_migration_example_POST.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			if err != nil {
				t.Fatal(err)
			}
			if job.ID != testJobID || !job.Pending() || job.Summary != nil || job.Details != nil || !job.CompletedAt.IsZero() {
				t.Errorf("job %+v", job)
			}
			if want := time.Date(2026, 11, 27, 12, 6, 9, 856810411, time.UTC); !job.CreatedAt.Equal(want) {
				t.Errorf("created_at %v", job.CreatedAt)
			}
			if job.Ambiguous || job.Attempts != 1 {
				t.Errorf("ambiguous %v attempts %d", job.Ambiguous, job.Attempts)
			}
		}},
		{"i07_docs_full_example_minus_roles_groups_custom_attrs_POST.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			if err != nil {
				t.Fatal(err)
			}
			if !job.Completed() || !job.CompletedAt.Equal(job.CreatedAt) {
				t.Errorf("status %q completed_at %v", job.Status, job.CompletedAt)
			}
			if *job.Summary != (Summary{Total: 1, Failed: 1}) {
				t.Errorf("summary %+v", *job.Summary)
			}
			if len(job.Details) != 1 {
				t.Fatalf("%d details", len(job.Details))
			}
			d := job.Details[0]
			if d.Outcome != OutcomeFailed || d.Index != 0 || len(d.Errors) != 1 || d.Errors[0].Reason != ReasonValidationFailed {
				t.Errorf("detail %+v", d)
			}
			causes := d.Errors[0].Causes()
			if len(causes) < 2 || causes[0].Location != "/mfa/phone_number" || causes[0].Kind != "format" {
				t.Errorf("causes %+v", causes)
			}
			if !strings.Contains(d.Errors[0].Error(), "not in E.164 format") {
				t.Errorf("error text %q", d.Errors[0].Error())
			}
			if !strings.Contains(string(d.Record), `"password_hash":"REDACTED"`) {
				t.Errorf("record %s", d.Record)
			}
		}},
		{"a02_docs_example_status_poll001.json", "GET", func(t *testing.T, job *Job, err error, hits int) {
			if err != nil {
				t.Fatal(err)
			}
			if !job.Completed() || len(job.Details) != 2 || job.Summary.Inserted != 2 {
				t.Fatalf("job %+v", job)
			}
			d := job.Details[1]
			if d.UserID != "8d8dcf63-7abc-4456-9b40-0163c1601d62" || d.Outcome != OutcomeInserted ||
				len(d.Warnings) != 1 || d.Warnings[0].Message != "email_verified = false has no effect in insert." {
				t.Errorf("detail %+v", d)
			}
		}},
		{"c24_null_identifier_alone_status_poll001.json", "GET", func(t *testing.T, job *Job, err error, hits int) {
			if err != nil {
				t.Fatal(err)
			}
			if !job.Completed() || job.Error == nil || job.Error.Reason != ReasonUnexpectedError || job.Error.Code != 500 || job.Summary.Total != 0 {
				t.Errorf("job %+v error %+v", job, job.Error)
			}
		}},
		{"d06_max_legal_status_poll001.json", "GET", func(t *testing.T, job *Job, err error, hits int) {
			if err != nil || !job.Pending() || job.Summary != nil {
				t.Errorf("job %+v err %v", job, err)
			}
		}},
		{"a03_status_unknown_job_id.json", "GET", func(t *testing.T, job *Job, err error, hits int) {
			if !IsTaskNotFound(err) || hits != 1 || IsRetryable(err) {
				t.Errorf("err %v hits %d", err, hits)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 404 || ae.TrackingID == "" {
				t.Errorf("APIError %+v", ae)
			}
		}},
		{"d01_over_limit_POST.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			if !IsTooLarge(err) || !IsReason(err, ReasonJSONTooLarge) || hits != 1 || IsRetryable(err) {
				t.Errorf("err %v hits %d", err, hits)
			}
			if !strings.Contains(err.Error(), "500000") {
				t.Errorf("message does not give the limit: %v", err)
			}
		}},
		{"c07_request_unknown_identifier.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 400 || ae.Reason != ReasonValidationFailed || hits != 1 {
				t.Fatalf("err %v hits %d", err, hits)
			}
			c := ae.Causes()
			if len(c) != 1 || c[0].Location != "/identifier" || c[0].Kind != "enum" {
				t.Errorf("causes %+v", c)
			}
			if !strings.Contains(err.Error(), "/identifier: enum") {
				t.Errorf("message %q", err)
			}
		}},
		{"c11_request_unknown_top_level_field.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			if !IsReason(err, ReasonValidationFailed) || !strings.Contains(err.Error(), "/dry_run: not allowed") {
				t.Errorf("err %v", err)
			}
		}},
		{"f03_empty_body.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			if !IsReason(err, ReasonInvalidJSON) || hits != 1 {
				t.Errorf("err %v hits %d", err, hits)
			}
		}},
		{"e01_no_authorization_header.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			if !IsForbidden(err) || hits != 1 || IsRetryable(err) {
				t.Fatalf("err %v hits %d", err, hits)
			}
			var he *HTTPError
			if !errors.As(err, &he) || he.Body != "Forbidden\n" || !strings.HasPrefix(he.ContentType, "text/plain") {
				t.Fatalf("HTTPError %+v", he)
			}
			for _, want := range []string{testKID, `"myapp"`, "aud", "clock", "portal", EnvKeyID, EnvProjectID} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("403 message lacks %q: %v", want, err)
				}
			}
		}},
		{"e16_status_no_auth.json", "GET", func(t *testing.T, job *Job, err error, hits int) {
			if !IsForbidden(err) || hits != 1 {
				t.Errorf("err %v hits %d", err, hits)
			}
		}},
		{"f05_wrong_content_type.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			var he *HTTPError
			if !errors.As(err, &he) || he.Status != 415 || he.Body != "invalid content type: text/plain\n" || hits != 1 {
				t.Errorf("err %v hits %d", err, hits)
			}
		}},
		{"f08_PUT_method.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			var he *HTTPError
			if !errors.As(err, &he) || he.Status != 405 || hits != 1 || !strings.Contains(err.Error(), EnvEndpoint) {
				t.Errorf("err %v hits %d", err, hits)
			}
		}},
		{"f01_malformed_json.json", "POST", func(t *testing.T, job *Job, err error, hits int) {
			// A 500 is retried (3 attempts in this test). On a POST it is
			// ambiguous: the server may have enqueued tasks before failing.
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 500 || hits != 3 || !IsRetryable(err) || !IsAmbiguous(err) {
				t.Errorf("err %v hits %d", err, hits)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := loadRecorded(t, tt.file)
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeRecorded(w, rec) })
			k := newKit(t, srv.URL(), WithRetry(3, 10*time.Millisecond, 40*time.Millisecond))
			var job *Job
			var err error
			if tt.method == "POST" {
				job, err = k.c.CreateImport(context.Background(), []byte(requestBody))
			} else {
				job, err = k.c.GetImport(context.Background(), testJobID)
			}
			if err != nil {
				t.Logf("error: %v", err)
			}
			tt.check(t, job, err, srv.Hits())
		})
	}
}

func TestRetry5xxThenSuccess(t *testing.T) {
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { write(w, 503, "text/html", "<html>Service Unavailable</html>") },
		func(w http.ResponseWriter) {
			write(w, 500, "application/json", `{"error":{"name":"InternalError","reason":"UnexpectedError","message":"unexpected error occurred","code":500}}`)
		},
		func(w http.ResponseWriter) { write(w, 504, "text/plain", "upstream timeout") },
	}
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= len(answers) {
					answers[n-1](w)
					return
				}
				write(w, 200, "application/json", completedJSON)
			})
			k := newKit(t, srv.URL())
			var job *Job
			var err error
			if method == "POST" {
				job, err = k.c.CreateImport(context.Background(), []byte(requestBody))
			} else {
				job, err = k.c.GetImport(context.Background(), testJobID)
			}
			if err != nil {
				t.Fatal(err)
			}
			if srv.Hits() != 4 || job.Attempts != 4 || !job.Completed() {
				t.Errorf("hits %d attempts %d", srv.Hits(), job.Attempts)
			}
			// Ceilings 500ms, 1s, 2s; the test jitter picks the ceiling.
			want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
			if got := k.sleep.Delays(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("delays %v, want %v", got, want)
			}
			// The 504 came from a "gateway": for POST, the job may exist.
			if job.Ambiguous != (method == "POST") {
				t.Errorf("ambiguous = %v", job.Ambiguous)
			}
			for i, b := range srv.bodies {
				if method == "POST" && b != requestBody {
					t.Errorf("attempt %d sent body %q", i+1, b)
				}
			}
		})
	}
}

// TestPost500IsAmbiguous503IsNot: Authgear enqueues a job's tasks before it
// writes the job, so a 500 may follow a partial enqueue; a 503 comes from
// something that did not take the request.
func TestPost500IsAmbiguous503IsNot(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			write(w, 500, "application/json", `{"error":{"name":"InternalError","reason":"UnexpectedError","message":"unexpected error occurred","code":500}}`)
		case 2:
			write(w, 503, "text/plain", "busy")
		default:
			write(w, 200, "application/json", pendingJSON)
		}
	})
	k := newKit(t, srv.URL())
	job, err := k.c.CreateImport(context.Background(), []byte(requestBody))
	if err != nil {
		t.Fatal(err)
	}
	if !job.Ambiguous || job.Attempts != 3 {
		t.Errorf("ambiguous %v attempts %d", job.Ambiguous, job.Attempts)
	}
	srv503 := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			write(w, 503, "text/plain", "busy")
			return
		}
		write(w, 200, "application/json", pendingJSON)
	})
	job, err = newKit(t, srv503.URL()).c.CreateImport(context.Background(), []byte(requestBody))
	if err != nil || job.Ambiguous {
		t.Errorf("503 then success: ambiguous %v, %v", job != nil && job.Ambiguous, err)
	}
}

func TestRetryExhaustion(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		write(w, 503, "text/plain", "no healthy upstream")
	})
	k := newKit(t, srv.URL(), WithRetry(4, 100*time.Millisecond, 250*time.Millisecond))
	_, err := k.c.GetImport(context.Background(), testJobID)
	if err == nil {
		t.Fatal("no error")
	}
	if srv.Hits() != 4 {
		t.Errorf("hits %d", srv.Hits())
	}
	var re *RequestError
	var he *HTTPError
	if !errors.As(err, &re) || re.Attempts != 4 || !errors.As(err, &he) || he.Status != 503 {
		t.Fatalf("err %#v", err)
	}
	if !IsRetryable(err) || IsAmbiguous(err) || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Errorf("err %v", err)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if got := k.sleep.Delays(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delays %v, want %v", got, want)
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	tokens, _ := newTestTokens(t)
	c := New(&url.URL{Scheme: "https", Host: "example.invalid"}, tokens) // the real jitter
	for n := 1; n <= 40; n++ {
		ceil := min(DefaultBaseDelay<<min(n-1, 20), DefaultMaxDelay)
		for range 50 {
			d := c.backoff(n, 0)
			if d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", n, d, ceil)
			}
		}
	}
	if d := c.backoff(1, 10*time.Second); d < 10*time.Second {
		t.Errorf("Retry-After not honoured: %v", d)
	}
	if d := c.backoff(1, time.Hour); d != DefaultMaxDelay {
		t.Errorf("Retry-After not capped: %v", d)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			write(w, 503, "text/plain", "later")
			return
		}
		write(w, 200, "application/json", completedJSON)
	})
	k := newKit(t, srv.URL())
	k.c.jitter = func(int64) int64 { return 0 }
	if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
		t.Fatal(err)
	}
	if got := k.sleep.Delays(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("delays %v", got)
	}
}

func TestDroppedAfterWrite(t *testing.T) {
	t.Run("POST then success: Ambiguous", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				hijackClose(t, w)
				return
			}
			write(w, 200, "application/json", pendingJSON)
		})
		k := newKit(t, srv.URL(), noKeepAlive())
		job, err := k.c.CreateImport(context.Background(), []byte(requestBody))
		if err != nil {
			t.Fatal(err)
		}
		if !job.Ambiguous || job.Attempts != 2 || srv.Hits() != 2 {
			t.Errorf("ambiguous %v attempts %d hits %d", job.Ambiguous, job.Attempts, srv.Hits())
		}
		if srv.bodies[0] != requestBody {
			t.Errorf("the dropped attempt's body was not fully received: %q", srv.bodies[0])
		}
	})
	t.Run("GET then success: not ambiguous", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				hijackClose(t, w)
				return
			}
			write(w, 200, "application/json", completedJSON)
		})
		k := newKit(t, srv.URL(), noKeepAlive())
		job, err := k.c.GetImport(context.Background(), testJobID)
		if err != nil {
			t.Fatal(err)
		}
		if job.Ambiguous || job.Attempts != 2 {
			t.Errorf("ambiguous %v attempts %d", job.Ambiguous, job.Attempts)
		}
	})
	t.Run("POST always dropped: error is ambiguous", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { hijackClose(t, w) })
		k := newKit(t, srv.URL(), noKeepAlive(), WithRetry(3, time.Millisecond, time.Millisecond))
		_, err := k.c.CreateImport(context.Background(), []byte(requestBody))
		if err == nil {
			t.Fatal("no error")
		}
		if !IsAmbiguous(err) || !IsRetryable(err) || srv.Hits() != 3 {
			t.Errorf("err %v hits %d", err, srv.Hits())
		}
		if !strings.Contains(err.Error(), "may have imported") {
			t.Errorf("message does not warn: %v", err)
		}
	})
	t.Run("POST 200 cut short: retried, ambiguous", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"result\":{\"id\":\"userimport_")
				_ = buf.Flush()
				_ = conn.Close()
				return
			}
			write(w, 200, "application/json", pendingJSON)
		})
		k := newKit(t, srv.URL(), noKeepAlive())
		job, err := k.c.CreateImport(context.Background(), []byte(requestBody))
		if err != nil {
			t.Fatal(err)
		}
		if !job.Ambiguous || job.Attempts != 2 {
			t.Errorf("ambiguous %v attempts %d", job.Ambiguous, job.Attempts)
		}
	})
}

func TestDialErrorsAreRetriedAndNotAmbiguous(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		write(w, 200, "application/json", pendingJSON)
	})
	var dials atomic.Int32
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) <= 2 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	k := newKit(t, srv.URL(), WithHTTPClient(&http.Client{Transport: tr}))
	job, err := k.c.CreateImport(context.Background(), []byte(requestBody))
	if err != nil {
		t.Fatal(err)
	}
	if job.Ambiguous || job.Attempts != 3 || srv.Hits() != 1 {
		t.Errorf("ambiguous %v attempts %d hits %d", job.Ambiguous, job.Attempts, srv.Hits())
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	tests := []struct {
		status      int
		contentType string
		body        string
		is          func(error) bool
	}{
		{400, "application/json", `{"error":{"name":"Invalid","reason":"ValidationFailed","message":"invalid request body","code":400}}`, func(err error) bool { return IsReason(err, ReasonValidationFailed) }},
		{401, "text/plain", "Unauthorized\n", func(err error) bool { return statusOf(err) == 401 }},
		{403, "text/plain; charset=utf-8", "Forbidden\n", IsForbidden},
		{404, "text/plain; charset=utf-8", "app not found\n", func(err error) bool { return strings.Contains(err.Error(), "app not found") }},
		{404, "application/json", `{"error":{"name":"NotFound","reason":"TaskNotFound","message":"task not found","code":404}}`, IsTaskNotFound},
		{409, "application/json", `{"error":{"name":"DataRace","reason":"DataRace","message":"x","code":409}}`, func(err error) bool { return statusOf(err) == 409 }},
		{413, "application/json", `{"error":{"name":"RequestEntityTooLarge","reason":"JSONTooLarge","message":"request body too large","code":413,"info":{"limit":500000}}}`, IsTooLarge},
		{415, "text/plain; charset=utf-8", "invalid content type: text/plain\n", func(err error) bool { return statusOf(err) == 415 }},
		{429, "application/json", `{"error":{"name":"TooManyRequest","reason":"UsageLimitExceeded","message":"usage limit exceeded","code":429,"info":{"name":"UserImport","usage_name":"user_import","period":"day"}}}`, IsQuotaExceeded},
		{429, "text/plain", "slow down\n", func(err error) bool { return statusOf(err) == 429 && !IsQuotaExceeded(err) }},
		{501, "text/plain", "not implemented\n", func(err error) bool { return statusOf(err) == 501 }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, truncate(tt.body, 30)), func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, tt.status, tt.contentType, tt.body) })
			k := newKit(t, srv.URL())
			_, err := k.c.CreateImport(context.Background(), []byte(requestBody))
			if err == nil {
				t.Fatal("no error")
			}
			if srv.Hits() != 1 || len(k.sleep.Delays()) != 0 {
				t.Errorf("retried: hits %d", srv.Hits())
			}
			if IsRetryable(err) || IsAmbiguous(err) {
				t.Errorf("retryable %v ambiguous %v", IsRetryable(err), IsAmbiguous(err))
			}
			if !tt.is(err) {
				t.Errorf("classification failed: %v", err)
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 503, "text/plain", "busy") })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		k := newKit(t, srv.URL(), WithSleep(func(ctx context.Context, d time.Duration) error {
			cancel()
			return sleepCtx(ctx, time.Hour) // must return at once: ctx is done
		}))
		_, err := k.c.GetImport(ctx, testJobID)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		var re *RequestError
		var he *HTTPError
		if !errors.As(err, &re) || re.Stopped == nil || re.Attempts != 1 || !errors.As(err, &he) || he.Status != 503 {
			t.Errorf("err %#v", err)
		}
		if srv.Hits() != 1 || IsRetryable(err) == false {
			// The last failure (503) is retryable in kind; the caller's ctx
			// stopped it.
			t.Errorf("hits %d retryable %v", srv.Hits(), IsRetryable(err))
		}
	})
	t.Run("before the first attempt", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", pendingJSON) })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		k := newKit(t, srv.URL())
		_, err := k.c.CreateImport(ctx, []byte(requestBody))
		if !errors.Is(err, context.Canceled) || srv.Hits() != 0 || IsRetryable(err) {
			t.Errorf("err %v hits %d", err, srv.Hits())
		}
	})
	t.Run("while waiting for the answer: POST ambiguous", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			cancel()
			<-r.Context().Done()
		})
		k := newKit(t, srv.URL())
		_, err := k.c.CreateImport(ctx, []byte(requestBody))
		if !errors.Is(err, context.Canceled) || !IsAmbiguous(err) || srv.Hits() != 1 {
			t.Errorf("err %v hits %d", err, srv.Hits())
		}
	})
	t.Run("sleepCtx", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("sleepCtx on a cancelled context: %v", err)
		}
		if err := sleepCtx(context.Background(), 0); err != nil {
			t.Errorf("sleepCtx(0): %v", err)
		}
	})
}

func TestUnexpectedBodies(t *testing.T) {
	tests := []struct {
		name, contentType, body, wantInMessage string
	}{
		{"html", "text/html", "<html><body>Welcome to nginx!</body></html>", "Welcome to nginx"},
		{"empty", "application/json", "", "empty body"},
		{"json without result", "application/json", `{"data":{"users":[]}}`, `{\"data\"`},
		{"result without id", "application/json", `{"result":{"status":"pending"}}`, "result"},
		{"broken json", "application/json", `{"result":{"id":"x",`, `{\"result\"`},
		{"json array", "application/json", `[1,2]`, "[1,2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, tt.contentType, tt.body) })
			k := newKit(t, srv.URL())
			_, err := k.c.GetImport(context.Background(), testJobID)
			var he *HTTPError
			if !errors.As(err, &he) || he.Status != 200 {
				t.Fatalf("err %v", err)
			}
			if !strings.Contains(err.Error(), "HTTP 200") || !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("message %q lacks %q", err, tt.wantInMessage)
			}
			if srv.Hits() != 1 || IsRetryable(err) {
				t.Errorf("hits %d", srv.Hits())
			}
			// The same answer to a POST: the server accepted something, so
			// a job may exist.
			_, err = k.c.CreateImport(context.Background(), []byte(requestBody))
			if !IsAmbiguous(err) || srv.Hits() != 2 {
				t.Errorf("POST: err %v hits %d", err, srv.Hits())
			}
		})
	}
}

func TestResponseSizeBound(t *testing.T) {
	body := completedJSON
	t.Run("over the bound", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", body) })
		k := newKit(t, srv.URL(), WithMaxResponseBytes(int64(len(body)/2)))
		_, err := k.c.GetImport(context.Background(), testJobID)
		if err == nil || !strings.Contains(err.Error(), "larger than") || srv.Hits() != 1 {
			t.Errorf("err %v hits %d", err, srv.Hits())
		}
	})
	t.Run("exactly the bound", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", body) })
		k := newKit(t, srv.URL(), WithMaxResponseBytes(int64(len(body))))
		if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
			t.Error(err)
		}
	})
}

// TestLargeStatus decodes a status answer the size of a 15,623-record job
// (about 2 MB).
func TestLargeStatus(t *testing.T) {
	const n = 15623
	var b strings.Builder
	b.WriteString(`{"result":{"id":"` + testJobID + `","created_at":"2026-11-27T12:06:48.786564236Z","completed_at":"2026-11-27T12:09:10.1Z","status":"completed","summary":{"total":15623,"inserted":15623,"updated":0,"skipped":0,"failed":0},"details":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"index":%d,"record":{"email":"minimal-user-%06d@example.com"},"outcome":"inserted","user_id":"%08d-b5f8-4530-92db-a8df269ebf31"}`, i, i, i)
	}
	b.WriteString(`]}}`)
	body := b.String()
	if len(body) < 1_900_000 {
		t.Fatalf("fixture is only %d bytes", len(body))
	}
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { write(w, 200, "application/json", body) })
	k := newKit(t, srv.URL())
	job, err := k.c.GetImport(context.Background(), testJobID)
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Details) != n || job.Details[n-1].Index != n-1 || job.Summary.Inserted != n {
		t.Errorf("details %d", len(job.Details))
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	other := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", pendingJSON) })
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, other.Server.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	k := newKit(t, srv.URL())
	_, err := k.c.CreateImport(context.Background(), []byte(requestBody))
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 307 || !strings.Contains(err.Error(), other.Server.URL) {
		t.Fatalf("err %v", err)
	}
	if other.Hits() != 0 {
		t.Error("the redirect was followed")
	}
}

func TestTLSIsVerified(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		checkRequestAuth(t, r)
		write(w, 200, "application/json", pendingJSON)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	ep, err := ParseEndpoint(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("trusted through the given client", func(t *testing.T) {
		k := newKit(t, ep, WithHTTPClient(srv.Client()))
		if _, err := k.c.CreateImport(context.Background(), []byte(requestBody)); err != nil {
			t.Fatal(err)
		}
	})
	before := hits.Load()
	t.Run("untrusted certificate with the default client", func(t *testing.T) {
		k := newKit(t, ep)
		_, err := k.c.CreateImport(context.Background(), []byte(requestBody))
		if err == nil || IsRetryable(err) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err %v", err)
		}
		if len(k.sleep.Delays()) != 0 {
			t.Error("a certificate failure was retried")
		}
	})
	t.Run("InsecureSkipVerify is turned off", func(t *testing.T) {
		insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()}}
		insecure.Transport.(*http.Transport).TLSClientConfig.RootCAs = nil
		insecure.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
		k := newKit(t, ep, WithHTTPClient(insecure))
		if _, err := k.c.CreateImport(context.Background(), []byte(requestBody)); err == nil {
			t.Fatal("an unverified certificate was accepted")
		}
		if !insecure.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify {
			t.Error("the caller's client was modified")
		}
	})
	if hits.Load() != before {
		t.Error("the server got requests over unverified TLS")
	}
}

func TestConcurrentRequests(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 10 { // at most 10 failures in all: every request succeeds within 11 attempts
			write(w, 502, "text/plain", "bad gateway")
			return
		}
		write(w, 200, "application/json", completedJSON)
	})
	k := newKit(t, srv.URL(), WithRetry(11, time.Millisecond, time.Millisecond))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

// TestNoSecretsInErrors collects the errors of many failure kinds, including
// a server that echoes the request's Authorization header, and checks that
// none shows the key or the token.
func TestNoSecretsInErrors(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request, status int, ct string) {
		write(w, status, ct, "you sent: Authorization: "+r.Header.Get("Authorization")+"\n")
	}
	handlers := []func(w http.ResponseWriter, r *http.Request){
		func(w http.ResponseWriter, r *http.Request) { echo(w, r, 403, "text/plain") },
		func(w http.ResponseWriter, r *http.Request) { echo(w, r, 500, "text/html") },
		func(w http.ResponseWriter, r *http.Request) { echo(w, r, 200, "text/plain") },
		func(w http.ResponseWriter, r *http.Request) {
			write(w, 200, "application/json", `{"unexpected":"`+r.Header.Get("Authorization")+`"}`)
		},
		func(w http.ResponseWriter, r *http.Request) {
			write(w, 400, "application/json", `{"error":{"name":"Invalid","reason":"ValidationFailed","message":"invalid request body","code":400}}`)
		},
		func(w http.ResponseWriter, r *http.Request) {
			// A JSON error whose message echoes the header.
			write(w, 400, "application/json", `{"error":{"name":"BadRequest","reason":"BadRequest","message":"bad header `+r.Header.Get("Authorization")+`","code":400}}`)
		},
		func(w http.ResponseWriter, r *http.Request) { hijackClose(t, w) },
	}
	keyPEM := pkcs8PEM(t, testKey())
	var texts []string
	var tokenSeen atomic.Value
	for i, h := range handlers {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			tokenSeen.Store(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			h(w, r)
		})
		k := newKit(t, srv.URL(), WithRetry(2, time.Millisecond, time.Millisecond), noKeepAlive())
		_, err := k.c.CreateImport(context.Background(), []byte(requestBody))
		if err == nil {
			t.Fatalf("handler %d: no error", i)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), k.c.String(), fmt.Sprintf("%v", k.c))
		if i == 0 && !strings.Contains(err.Error(), "[REDACTED]") {
			t.Errorf("echoed token not redacted: %v", err)
		}
	}
	token, _ := tokenSeen.Load().(string)
	if token == "" {
		t.Fatal("no token seen")
	}
	for _, text := range texts {
		for _, s := range secretStrings(t, keyPEM, token) {
			if strings.Contains(text, s) {
				t.Fatalf("secret material in %q", truncate(text, 300))
			}
		}
	}
}

func TestNewDefaults(t *testing.T) {
	tokens, _ := newTestTokens(t)
	c := New(&url.URL{Scheme: "https", Host: "myapp.authgear.cloud", Path: "/"}, tokens)
	if c.attempts != DefaultAttempts || c.baseDelay != DefaultBaseDelay || c.maxDelay != DefaultMaxDelay ||
		c.maxResponse != DefaultMaxResponseBytes || c.hc.Timeout != DefaultTimeout || c.userAgent != DefaultUserAgent {
		t.Errorf("defaults: %+v", c)
	}
	if c.Endpoint().String() != "https://myapp.authgear.cloud" {
		t.Errorf("endpoint %s", c.Endpoint())
	}
	if c.hc.CheckRedirect == nil {
		t.Error("redirects would be followed")
	}
	c2 := New(c.Endpoint(), tokens, WithRetry(0, -1, -1))
	if c2.attempts != 1 || c2.baseDelay != 0 || c2.maxDelay != 0 {
		t.Errorf("WithRetry not clamped: %d %v %v", c2.attempts, c2.baseDelay, c2.maxDelay)
	}
}
