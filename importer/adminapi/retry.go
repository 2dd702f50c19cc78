package adminapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// RetryEvent describes a failed attempt that is about to be retried. It is
// given to the OnRetry hooks before the client waits.
type RetryEvent struct {
	// Method and Path are the request's: "POST" "/_api/admin/users/import",
	// or "GET" "/_api/admin/users/import/<job id>".
	Method, Path string
	// Attempt is the 1-based number of the attempt that failed;
	// MaxAttempts the most the client will make.
	Attempt, MaxAttempts int
	// Wait is how long the client waits before the next attempt.
	Wait time.Duration
	// Reason says briefly why the attempt failed, for example
	// "timeout after 45s", "503 Service Unavailable",
	// "500 Internal Server Error (UnexpectedError)", "connection reset".
	// It never holds a token, and at most about 120 bytes.
	Reason string
	// Ambiguous is set on a POST when an attempt so far may have created a
	// job (see Job.Ambiguous).
	Ambiguous bool
}

// String renders the event as one line:
// "POST /_api/admin/users/import: attempt 2 of 30 failed (503 Service
// Unavailable); retrying in 1.2s".
func (e RetryEvent) String() string {
	return fmt.Sprintf("%s %s: attempt %d of %d failed (%s); retrying in %s",
		e.Method, e.Path, e.Attempt, e.MaxAttempts, e.Reason, roundWait(e.Wait))
}

func roundWait(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// WithOnRetry calls fn before each wait between two attempts of any request
// of the client, so that a slow or failing server is never waited on
// silently. fn is called on the request's goroutine, possibly from several
// goroutines at once; it must be quick and must not call the client.
func WithOnRetry(fn func(RetryEvent)) Option {
	return func(c *Client) { c.onRetry = fn }
}

type onRetryKey struct{}

// ContextWithOnRetry returns a context under which the requests made with it
// call fn before each wait between two attempts, after the client's own
// WithOnRetry hook. A caller uses it to tell which of its requests is
// retrying. The same rules as for WithOnRetry apply to fn.
func ContextWithOnRetry(ctx context.Context, fn func(RetryEvent)) context.Context {
	return context.WithValue(ctx, onRetryKey{}, fn)
}

func (c *Client) notifyRetry(ctx context.Context, ev RetryEvent) {
	if c.onRetry != nil {
		c.onRetry(ev)
	}
	if fn, ok := ctx.Value(onRetryKey{}).(func(RetryEvent)); ok && fn != nil {
		fn(ev)
	}
}

// retryReason describes a retryable failure briefly, in printable
// characters only (it is meant for a terminal line).
func retryReason(err error) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, reasonOf(err))
}

func reasonOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status != 0 {
		s := statusLine(ae.Status)
		if ae.Reason != "" && identLike(ae.Reason) {
			s += " (" + clip(ae.Reason, 40) + ")"
		}
		return s
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return statusLine(he.Status)
	}
	var te *transportError
	if errors.As(err, &te) && te.reason != "" {
		return te.reason
	}
	return "error"
}

func statusLine(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprintf("HTTP %d", status)
}

// netReason names a network failure in a few words; took is how long the
// attempt lasted (for a timeout). An unknown failure is named by the
// innermost error's text, redacted and cut short.
func netReason(err error, took time.Duration, sec *secretSet) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout after " + roundWait(took).String()
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNABORTED):
		return "connection aborted"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "DNS lookup failed"
	}
	inner := err
	for {
		next := errors.Unwrap(inner)
		if next == nil {
			break
		}
		inner = next
	}
	return "network error: " + clip(sec.string(inner.Error()), 80)
}

// identLike reports whether s looks like an Authgear reason
// ("UnexpectedError"): letters, digits and underscores.
func identLike(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}
