package adminapi

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes. Authgear's own Admin API tokens live 5 minutes; the
// server allows 5 minutes of clock skew either way.
const (
	// TokenLifetime is exp - iat of every minted token.
	TokenLifetime = 5 * time.Minute
	// TokenRefreshBefore: a cached token with less life than this left is
	// replaced, so a token never expires between minting and use (a request
	// may wait in retries, and answers for large jobs take time).
	TokenRefreshBefore = 1 * time.Minute
)

// TokenSource mints Admin API tokens and caches the current one. It is safe
// for concurrent use.
//
// A token is an RS256 JWT with header {"alg":"RS256","kid":KeyID,
// "typ":"JWT"} and claims {"aud":[ProjectID],"iat":now,"exp":now+5m}: the
// shape Authgear's own signer produces.
type TokenSource struct {
	creds Credentials
	now   func() time.Time

	mu       sync.Mutex
	token    string
	issuedAt time.Time
	expires  time.Time
}

// TokenOption configures a TokenSource.
type TokenOption func(*TokenSource)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) TokenOption {
	return func(ts *TokenSource) {
		if now != nil {
			ts.now = now
		}
	}
}

// NewTokenSource checks the credentials and returns a token source for them.
func NewTokenSource(creds Credentials, opts ...TokenOption) (*TokenSource, error) {
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	ts := &TokenSource{creds: creds, now: time.Now}
	for _, o := range opts {
		o(ts)
	}
	return ts, nil
}

// ProjectID is the project id the tokens are for (their aud).
func (ts *TokenSource) ProjectID() string { return ts.creds.ProjectID }

// KeyID is the key id the tokens name (their kid).
func (ts *TokenSource) KeyID() string { return ts.creds.KeyID }

// Token returns a valid token: the cached one while it has at least
// TokenRefreshBefore of life left, else a fresh one. It also mints afresh if
// the clock went back before the cached token's iat.
func (ts *TokenSource) Token() (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.now()
	if ts.token != "" && !now.Before(ts.issuedAt) && ts.expires.Sub(now) >= TokenRefreshBefore {
		return ts.token, nil
	}
	tok, err := mint(ts.creds, now)
	if err != nil {
		return "", err
	}
	ts.token = tok
	ts.issuedAt = now.Truncate(time.Second)
	ts.expires = ts.issuedAt.Add(TokenLifetime)
	return tok, nil
}

// Invalidate drops the cached token, so the next Token mints a new one.
func (ts *TokenSource) Invalidate() {
	ts.mu.Lock()
	ts.token = ""
	ts.mu.Unlock()
}

// String describes the source without the key or the token.
func (ts *TokenSource) String() string {
	if ts == nil {
		return "TokenSource(nil)"
	}
	return fmt.Sprintf("TokenSource{ProjectID: %q, KeyID: %q}", ts.creds.ProjectID, ts.creds.KeyID)
}

// GoString is String.
func (ts *TokenSource) GoString() string { return ts.String() }

// Format prints String for every verb.
func (ts *TokenSource) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, ts.String()) }

func mint(creds Credentials, now time.Time) (string, error) {
	iat := now.Unix()
	claims := jwt.MapClaims{
		// An array, as Authgear's own tokens have it; set explicitly so the
		// encoding does not depend on jwt.MarshalSingleStringAsArray.
		"aud": []string{creds.ProjectID},
		"iat": iat,
		"exp": iat + int64(TokenLifetime/time.Second),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = creds.KeyID
	t.Header["typ"] = "JWT"
	s, err := t.SignedString(creds.Key)
	if err != nil {
		// The jwt error text is about the key type or the signer, never the
		// key; keep only a fixed message.
		return "", errors.New("adminapi: cannot sign the Admin API token with this key")
	}
	return s, nil
}
