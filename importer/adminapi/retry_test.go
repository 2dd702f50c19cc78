package adminapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// eventLog collects RetryEvents, safe for concurrent use.
type eventLog struct {
	mu  sync.Mutex
	evs []RetryEvent
}

func (l *eventLog) Add(ev RetryEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *eventLog) All() []RetryEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RetryEvent(nil), l.evs...)
}

func TestOnRetryEvents(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			write(w, 503, "text/html", "<html>busy</html>")
		case 2:
			write(w, 500, "application/json", `{"error":{"name":"InternalError","reason":"UnexpectedError","message":"unexpected error occurred","code":500}}`)
		default:
			write(w, 200, "application/json", pendingJSON)
		}
	})
	var client, perCall eventLog
	k := newKit(t, srv.URL(), WithOnRetry(client.Add))
	ctx := ContextWithOnRetry(context.Background(), perCall.Add)
	job, err := k.c.CreateImport(ctx, []byte(requestBody))
	if err != nil {
		t.Fatal(err)
	}
	evs := client.All()
	delays := k.sleep.Delays()
	if len(evs) != 2 || len(delays) != 2 {
		t.Fatalf("%d events, %d waits", len(evs), len(delays))
	}
	want := []RetryEvent{
		{Method: "POST", Path: ImportPath, Attempt: 1, MaxAttempts: DefaultAttempts, Wait: delays[0], Reason: "503 Service Unavailable"},
		{Method: "POST", Path: ImportPath, Attempt: 2, MaxAttempts: DefaultAttempts, Wait: delays[1], Reason: "500 Internal Server Error (UnexpectedError)", Ambiguous: true},
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
	if fmt.Sprint(perCall.All()) != fmt.Sprint(evs) {
		t.Errorf("the context's hook saw %v, the client's %v", perCall.All(), evs)
	}
	if s := evs[0].String(); s != "POST /_api/admin/users/import: attempt 1 of 30 failed (503 Service Unavailable); retrying in 500ms" {
		t.Errorf("String() = %q", s)
	}
	if !job.Ambiguous || job.Attempts != 3 {
		t.Errorf("job ambiguous %v attempts %d", job.Ambiguous, job.Attempts)
	}

	// A GET under another context gets no per-call events; nothing is
	// retried when nothing fails.
	if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
		t.Fatal(err)
	}
	if len(client.All()) != 2 || len(perCall.All()) != 2 {
		t.Errorf("events after a clean GET: %d, %d", len(client.All()), len(perCall.All()))
	}
}

func TestOnRetryNotCalledWithoutRetry(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 503, "text/plain", "busy") })
	var evs eventLog
	k := newKit(t, srv.URL(), WithOnRetry(evs.Add), WithRetry(1, time.Second, time.Second))
	if _, err := k.c.GetImport(context.Background(), testJobID); err == nil {
		t.Fatal("no error")
	}
	if n := len(evs.All()); n != 0 {
		t.Errorf("%d events for a request that is not retried", n)
	}
}

// TestOnRetryReasons: network failures are named in a few words.
func TestOnRetryReasons(t *testing.T) {
	okAfter := func(fail func(t *testing.T, w http.ResponseWriter, r *http.Request)) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				fail(t, w, r)
				return
			}
			write(w, 200, "application/json", completedJSON)
		}
	}
	tests := []struct {
		name   string
		handle func(t *testing.T, w http.ResponseWriter, r *http.Request)
		tr     func(*http.Transport)
		want   string
	}{
		{"silent server", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, func(tr *http.Transport) { tr.ResponseHeaderTimeout = 50 * time.Millisecond }, "timeout after "},
		{"closed", func(t *testing.T, w http.ResponseWriter, r *http.Request) { hijackClose(t, w) }, nil, "connection closed without an answer"},
		{"reset", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
			_ = conn.Close()
		}, nil, "connection reset"},
		{"cut short", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"result\":")
			_ = buf.Flush()
			_ = conn.Close()
		}, nil, "the answer (HTTP 200) was cut short"},
		{"malformed status line", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			_, _ = buf.WriteString("HTTP/1.1 abc OK\r\n\r\n")
			_ = buf.Flush()
			_, _ = bufio.NewReader(conn).ReadByte()
		}, nil, "network error: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, okAfter(tt.handle))
			tr := &http.Transport{DisableKeepAlives: true}
			if tt.tr != nil {
				tt.tr(tr)
			}
			var evs eventLog
			k := newKit(t, srv.URL(), WithHTTPClient(&http.Client{Transport: tr}), WithOnRetry(evs.Add))
			if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
				t.Fatal(err)
			}
			all := evs.All()
			if len(all) != 1 || !strings.HasPrefix(all[0].Reason, tt.want) || len(all[0].Reason) > 120 {
				t.Fatalf("events %+v, want one with reason %q...", all, tt.want)
			}
			t.Logf("reason: %s", all[0].Reason)
		})
	}
	t.Run("refused", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", completedJSON) })
		var dials int
		tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials++; dials == 1 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
		var evs eventLog
		k := newKit(t, srv.URL(), WithHTTPClient(&http.Client{Transport: tr}), WithOnRetry(evs.Add))
		if _, err := k.c.GetImport(context.Background(), testJobID); err != nil {
			t.Fatal(err)
		}
		if all := evs.All(); len(all) != 1 || all[0].Reason != "connection refused" {
			t.Errorf("events %+v", all)
		}
	})
}

func TestRetryReasonIsPrintable(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{Status: 500, Reason: "UnexpectedError"}, "500 Internal Server Error (UnexpectedError)"},
		{&APIError{Status: 502, Reason: "\x1b[2J=HYPERLINK(x)"}, "502 Bad Gateway"},
		{&HTTPError{Status: 599}, "HTTP 599"},
		{&transportError{reason: "network error: bad \x1b[2J\x00"}, "network error: bad ?[2J?"},
		{&transportError{}, "error"},
	}
	for _, tt := range tests {
		if got := retryReason(tt.err); got != tt.want {
			t.Errorf("retryReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestRetryBudget: no attempt starts after the budget is spent.
func TestRetryBudget(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 503, "text/plain", "busy") })
	clk := &fakeClock{now: testT0}
	var waits []time.Duration
	var evs eventLog
	k := newKit(t, srv.URL(), WithRetry(20, 4*time.Second, 4*time.Second), WithMaxElapsed(10*time.Second), WithOnRetry(evs.Add),
		WithSleep(func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			clk.Set(clk.Now().Add(d))
			return nil
		}))
	k.c.now = clk.Now
	_, err := k.c.GetImport(context.Background(), testJobID)
	var re *RequestError
	if !errors.As(err, &re) {
		t.Fatalf("err %v", err)
	}
	// Attempts at 0 s, 4 s and 8 s; a fourth would start at 12 s.
	if re.Attempts != 3 || srv.Hits() != 3 || len(waits) != 2 || len(evs.All()) != 2 || re.OutOfTime != 10*time.Second {
		t.Errorf("attempts %d hits %d waits %v events %d out of time %v", re.Attempts, srv.Hits(), waits, len(evs.All()), re.OutOfTime)
	}
	if !strings.Contains(err.Error(), "stopped retrying") || !strings.Contains(err.Error(), "10s") || !IsRetryable(err) {
		t.Errorf("err %v", err)
	}

	t.Run("no budget", func(t *testing.T) {
		k := newKit(t, srv.URL(), WithRetry(4, time.Hour, time.Hour), WithMaxElapsed(0))
		k.c.now = clk.Now
		_, err := k.c.GetImport(context.Background(), testJobID)
		var re *RequestError
		if !errors.As(err, &re) || re.Attempts != 4 || re.OutOfTime != 0 {
			t.Errorf("err %v", err)
		}
	})
}

// TestDefaultTimeBounds keeps the documented bounds true: the attempts
// allowed outlast the budget even with the longest waits (so the budget,
// not the count, ends a silent server's retries), and a request lasts at
// most the budget plus one attempt (7 minutes).
func TestDefaultTimeBounds(t *testing.T) {
	tokens, _ := newTestTokens(t)
	c := New(&url.URL{Scheme: "https", Host: "myapp.authgear.cloud"}, tokens)
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok || tr.ResponseHeaderTimeout != DefaultResponseHeaderTimeout || c.hc.Timeout != DefaultTimeout || c.maxElapsed != DefaultMaxElapsed {
		t.Fatalf("defaults: transport %T %+v, timeout %v, budget %v", c.hc.Transport, tr, c.hc.Timeout, c.maxElapsed)
	}
	silent := time.Duration(0)
	for n := 1; n <= DefaultAttempts; n++ {
		silent += DefaultResponseHeaderTimeout
		if n < DefaultAttempts {
			silent += min(DefaultBaseDelay<<(n-1), DefaultMaxDelay)
		}
	}
	if silent < DefaultMaxElapsed {
		t.Errorf("a silent server is given up after %d attempts (%v), before the %v budget", DefaultAttempts, silent, DefaultMaxElapsed)
	}
	if DefaultMaxElapsed+DefaultTimeout != 7*time.Minute {
		t.Errorf("the documented 7-minute bound is now %v", DefaultMaxElapsed+DefaultTimeout)
	}
}

// TestRefusedConnectionUsesTheBudget: a server that refuses connections
// (restarting) is retried for the whole budget, not given up after six
// attempts and about 8 s (issue 17 item 13). The clock is fake: each wait
// moves it.
func TestRefusedConnectionUsesTheBudget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	var clock time.Time
	var waited time.Duration
	tokens, _ := newTestTokens(t)
	c := New(&url.URL{Scheme: "http", Host: addr}, tokens, WithSleep(func(ctx context.Context, d time.Duration) error {
		waited += d
		return nil
	}))
	c.now = func() time.Time { return clock.Add(waited) }
	// The mean of full jitter: half the ceiling.
	c.jitter = func(n int64) int64 { return n / 2 }
	_, err = c.GetImport(context.Background(), "userimport_AAAA")
	var re *RequestError
	if !errors.As(err, &re) {
		t.Fatalf("err %v", err)
	}
	if re.OutOfTime != DefaultMaxElapsed {
		t.Errorf("gave up after %d attempts and %v of waits, not at the budget (OutOfTime %v): %v", re.Attempts, waited, re.OutOfTime, err)
	}
	if waited < DefaultMaxElapsed-DefaultMaxDelay {
		t.Errorf("waited %v in all, want about the %v budget", waited, DefaultMaxElapsed)
	}
}
