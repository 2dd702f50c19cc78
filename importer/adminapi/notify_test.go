package adminapi_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// TestSendResetPasswordMessageAgainstSandbox: the mutation passes the
// schema and is sent; a login ID no one holds is IsLoginIDUnknown; a 429
// (a gateway's, or Authgear's TooManyRequest) is IsRateLimited and not
// retried by the client (notify waits for it itself).
func TestSendResetPasswordMessageAgainstSandbox(t *testing.T) {
	var limit atomic.Int32
	var calls atomic.Int32
	s, c := gqlEnv(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == adminapi.GraphQLPath {
				calls.Add(1)
				if limit.Load() > 0 {
					http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	importUsers(t, s, c, `[{"email":"ann@example.com"}]`)
	ctx := context.Background()
	if err := c.SendResetPasswordMessage(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if ms := s.Messages(); len(ms) != 1 || ms[0].Target != "ann@example.com" {
		t.Errorf("messages %+v", ms)
	}
	err := c.SendResetPasswordMessage(ctx, "nobody@example.com")
	if !adminapi.IsLoginIDUnknown(err) || adminapi.IsRateLimited(err) {
		t.Errorf("unknown login ID: %v", err)
	}
	limit.Store(1)
	before := calls.Load()
	err = c.SendResetPasswordMessage(ctx, "ann@example.com")
	if !adminapi.IsRateLimited(err) || adminapi.IsLoginIDUnknown(err) || calls.Load()-before != 1 {
		t.Errorf("429: %v after %d attempts", err, calls.Load()-before)
	}
	if !adminapi.IsRateLimited(adminapi.GraphQLErrors{{APIError: adminapi.APIError{Name: "TooManyRequest", Reason: "RateLimited"}}}) {
		t.Error("a GraphQL TooManyRequest error is not IsRateLimited")
	}
}
