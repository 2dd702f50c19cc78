package adminapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// decodeSegment decodes one base64url part of a JWT into a generic map,
// keeping numbers exact.
func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment is not base64url: %v", err)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("segment is not JSON: %v", err)
	}
	return m
}

func TestTokenShape(t *testing.T) {
	ts, clk := newTestTokens(t)
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}

	header := decodeSegment(t, parts[0])
	wantHeader := map[string]any{"alg": "RS256", "kid": testKID, "typ": "JWT"}
	if !reflect.DeepEqual(header, wantHeader) {
		t.Errorf("header = %v, want %v", header, wantHeader)
	}

	claims := decodeSegment(t, parts[1])
	wantClaims := map[string]any{
		"aud": []any{testProject}, // an array, like Authgear's own tokens
		"iat": json.Number("1700000000"),
		"exp": json.Number("1700000300"),
	}
	if !reflect.DeepEqual(claims, wantClaims) {
		t.Errorf("claims = %v, want %v", claims, wantClaims)
	}

	// The signature verifies with the public key, as RS256, and the
	// standard validation (aud, exp, iat) passes at the minting time.
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &testKey().PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithAudience(testProject),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(clk.Now),
	)
	if err != nil || !parsed.Valid {
		t.Fatalf("token does not verify: %v", err)
	}
	exp, _ := parsed.Claims.GetExpirationTime()
	iat, _ := parsed.Claims.GetIssuedAt()
	if got := exp.Sub(iat.Time); got != 300*time.Second {
		t.Errorf("exp - iat = %v, want 300s", got)
	}

	// Another key must not verify it.
	_, err = jwt.Parse(tok, func(*jwt.Token) (any, error) { return &otherKey().PublicKey, nil },
		jwt.WithTimeFunc(clk.Now))
	if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Errorf("verified with another key: %v", err)
	}
}

func TestTokenCacheAndRefresh(t *testing.T) {
	ts, clk := newTestTokens(t)
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	iatOf := func(tok string) json.Number {
		return decodeSegment(t, strings.Split(tok, ".")[1])["iat"].(json.Number)
	}

	steps := []struct {
		at      time.Duration
		newOne  bool
		comment string
	}{
		{0, false, "same instant"},
		{time.Minute, false, "4 minutes of life left"},
		{4 * time.Minute, false, "exactly 1 minute left: still cached"},
		{4*time.Minute + time.Second, true, "59 s left: re-minted"},
	}
	prev := first
	for _, s := range steps {
		clk.Set(testT0.Add(s.at))
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if changed := tok != prev; changed != s.newOne {
			t.Errorf("%s (+%v): new token = %v, want %v", s.comment, s.at, changed, s.newOne)
		}
		prev = tok
	}
	if got, want := iatOf(prev), json.Number("1700000241"); got != want {
		t.Errorf("re-minted iat = %s, want %s", got, want)
	}

	// The new token is cached in turn.
	clk.Set(testT0.Add(5 * time.Minute))
	if tok, _ := ts.Token(); tok != prev {
		t.Error("the re-minted token was not cached")
	}

	// A clock that goes back before iat gets a fresh token.
	clk.Set(testT0.Add(2 * time.Minute))
	if tok, _ := ts.Token(); tok == prev || iatOf(tok) != "1700000120" {
		t.Error("no new token after the clock went back")
	}

	// Hours later (a long import), the token is fresh again.
	clk.Set(testT0.Add(3 * time.Hour))
	tok, _ := ts.Token()
	if iatOf(tok) != json.Number("1700010800") {
		t.Errorf("iat after 3h = %s", iatOf(tok))
	}

	ts.Invalidate()
	if tok2, _ := ts.Token(); tok2 != tok {
		// Same clock, same claims: RS256 (PKCS#1 v1.5) is deterministic,
		// so the re-minted token is identical; Invalidate must not break it.
		t.Error("re-minting after Invalidate at the same instant changed the token")
	}
}

func TestTokenConcurrent(t *testing.T) {
	ts, clk := newTestTokens(t)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if i == 0 {
					clk.Set(testT0.Add(time.Duration(j) * time.Minute))
				}
				if _, err := ts.Token(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewTokenSourceValidates(t *testing.T) {
	_, err := NewTokenSource(Credentials{})
	if err == nil {
		t.Fatal("accepted empty credentials")
	}
	for _, env := range []string{EnvProjectID, EnvKeyID, EnvKeyFile} {
		if !strings.Contains(err.Error(), env) {
			t.Errorf("error does not name %s: %v", env, err)
		}
	}
}
