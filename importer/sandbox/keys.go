package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// PublicKey is one key of the project's admin-api.auth key set: a key ID
// and its RSA public key. Several keys model key rotation: a token signed
// by any of them is accepted.
type PublicKey struct {
	KID string
	Key *rsa.PublicKey
}

// KeyPair is an Admin API key as the Authgear portal hands it out: an RSA
// private key and, shown separately, its key ID.
type KeyPair struct {
	KID     string
	Private *rsa.PrivateKey
}

// GenerateKey makes an RSA-2048 key with a random UUID key ID, like
// Authgear's GenerateRSAKey.
func GenerateKey() (*KeyPair, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: generate key: %w", err)
	}
	return &KeyPair{KID: newUUID(), Private: k}, nil
}

// PublicKey returns the key's public half, for Options.Keys.
func (k *KeyPair) PublicKey() PublicKey {
	return PublicKey{KID: k.KID, Key: &k.Private.PublicKey}
}

// PEM returns the private key as the portal's download: a PKCS#8
// "BEGIN PRIVATE KEY" block, without the key ID.
func (k *KeyPair) PEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteKeyFile writes the PKCS#8 PEM to path with mode 0600. It refuses to
// replace an existing file.
func (k *KeyPair) WriteKeyFile(path string) error {
	data, err := k.PEM()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sandbox: write key file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("sandbox: write key file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("sandbox: write key file: %w", err)
	}
	return f.Close()
}

// LoadKeyFile reads an RSA private key in PKCS#8 ("PRIVATE KEY") or PKCS#1
// ("RSA PRIVATE KEY") PEM. The PEM carries no key ID, so the caller gives
// it; an empty kid is replaced by KeyIDFor(public key).
func LoadKeyFile(path, kid string) (*KeyPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox: read key file: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("sandbox: %s: no PEM block", path)
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %s: %w", path, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("sandbox: %s: not an RSA key", path)
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %s: %w", path, err)
		}
		key = k
	default:
		return nil, fmt.Errorf("sandbox: %s: unexpected PEM block %q", path, block.Type)
	}
	if kid == "" {
		kid = KeyIDFor(&key.PublicKey)
	}
	return &KeyPair{KID: kid, Private: key}, nil
}

// KeyIDFor derives a stable, UUID-shaped key ID from a public key, for
// when none is given.
func KeyIDFor(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return formatUUID(sum[:16])
}

// Token signs an Admin API JWT as Authgear's own adder does (md §5.2):
// header {alg RS256, kid, typ JWT}, claims {aud: [projectID], iat, exp}.
func (k *KeyPair) Token(projectID string, now time.Time, ttl time.Duration) (string, error) {
	claims := jwt.MapClaims{
		"aud": []string{projectID},
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = k.KID
	return t.SignedString(k.Private)
}

// bearer is the authz middleware's header pattern: case-sensitive
// "Bearer" and exactly one space (md §5.1, real-server/e10, e11).
var bearer = regexp.MustCompile(`^Bearer (.*)$`)

// skew is duration.ClockSkew, the leeway for exp, nbf and iat.
const skew = 5 * time.Minute

// authorize reports whether r carries an Admin API JWT this project
// accepts: RS256 only, a kid naming one of the keys, aud (string or
// array) containing the project id, exp/nbf/iat checked only when present
// with 5 minutes of leeway (real-server/e12, e13, e15).
func (s *Server) authorize(r *http.Request) bool {
	m := bearer.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return false
	}
	_, err := jwt.Parse(m[1], func(t *jwt.Token) (any, error) {
		kid, ok := t.Header["kid"].(string)
		if !ok {
			return nil, errors.New("no key ID (\"kid\") specified in token")
		}
		key, ok := s.keys[kid]
		if !ok {
			return nil, errors.New("unknown key ID")
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithLeeway(skew),
		jwt.WithIssuedAt(),
		jwt.WithAudience(s.opts.ProjectID),
		jwt.WithTimeFunc(s.now),
	)
	return err == nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b[:])
}

// formatUUID formats 16 bytes as a version 4 UUID.
func formatUUID(b []byte) string {
	u := make([]byte, 16)
	copy(u, b)
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
