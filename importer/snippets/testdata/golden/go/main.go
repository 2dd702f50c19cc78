// Command authgear-protected is an HTTP API whose /protected route accepts
// only Authgear access tokens, checked offline against Authgear's JWKS.
//
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// authgearEndpoint is the Authgear project's endpoint: the access tokens'
// issuer and audience.
const authgearEndpoint = "https://myapp.authgear.cloud"

// Claims are those of Authgear's JWT access token.
type Claims struct {
	jwt.RegisteredClaims        // iss, aud, sub (the user id), exp, iat, jti
	ClientID             string `json:"client_id"`
	IsVerified           bool   `json:"https://authgear.com/claims/user/is_verified"`
	IsAnonymous          bool   `json:"https://authgear.com/claims/user/is_anonymous"`
	CanReauthenticate    bool   `json:"https://authgear.com/claims/user/can_reauthenticate"`
}

type claimsKey struct{}

// ClaimsFrom returns the claims the middleware put in the request context.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// NewAuthgearMiddleware reads jwks_uri from the endpoint's OpenID
// configuration once, then keeps the keys cached (keyfunc refreshes them
// hourly and when a token names an unknown key). The middleware answers 401
// unless the request carries "Authorization: Bearer <token>" with a token
// signed by Authgear (RS256), not expired, issued by endpoint for endpoint.
func NewAuthgearMiddleware(ctx context.Context, endpoint string) (func(http.Handler) http.Handler, error) {
	jwksURI, err := discoverJWKSURI(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	keys, err := keyfunc.NewDefaultCtx(ctx, []string{jwksURI})
	if err != nil {
		return nil, fmt.Errorf("authgear: JWKS %s: %w", jwksURI, err)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(endpoint),
		jwt.WithAudience(endpoint),
		jwt.WithExpirationRequired(),
	)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || raw == "" {
				unauthorized(w, "missing bearer token")
				return
			}
			var c Claims
			if _, err := parser.ParseWithClaims(raw, &c, keys.Keyfunc); err != nil || c.Subject == "" {
				unauthorized(w, "invalid token")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, &c)))
		})
	}, nil
}

func discoverJWKSURI(ctx context.Context, endpoint string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/.well-known/openid-configuration", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("authgear: OpenID configuration: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("authgear: OpenID configuration: %s", resp.Status)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return "", fmt.Errorf("authgear: OpenID configuration: %w", err)
	}
	if doc.Issuer != endpoint || !strings.HasPrefix(doc.JWKSURI, endpoint+"/") {
		return "", errors.New("authgear: the OpenID configuration is for another issuer")
	}
	return doc.JWKSURI, nil
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	ctx := context.Background()
	requireAuthgear, err := NewAuthgearMiddleware(ctx, authgearEndpoint)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"message": "public"})
	})
	mux.Handle("GET /protected", requireAuthgear(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := ClaimsFrom(r.Context())
		writeJSON(w, http.StatusOK, map[string]any{"sub": c.Subject, "is_verified": c.IsVerified})
	})))

	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3000"
	}
	addr := net.JoinHostPort(host, port)
	log.Printf("listening on http://%s", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
