package adminapi

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestParsePrivateKeyForms(t *testing.T) {
	k := testKey()
	set, _ := json.Marshal(map[string]any{"keys": []any{jwkMap(k, testKID)}})
	// A set whose first key is not RSA: the first RSA private key is used.
	mixedSet, _ := json.Marshal(map[string]any{"keys": []any{
		map[string]any{"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AA", "y": "AA", "d": "AA"},
		jwkMap(k, testKID),
	}})
	portalFile := append(pkcs8PEM(t, k), publicPEM(t, k)...)
	crlf := []byte(strings.ReplaceAll(string(pkcs8PEM(t, k)), "\n", "\r\n"))
	escaped := []byte(strings.ReplaceAll(strings.TrimSpace(string(pkcs8PEM(t, k))), "\n", `\n`))
	der, _ := x509.MarshalPKCS8PrivateKey(k)

	tests := []struct {
		name    string
		data    []byte
		wantKID string
	}{
		{"pkcs8 pem (portal download)", pkcs8PEM(t, k), ""},
		{"pkcs8 pem then public pem", portalFile, ""},
		{"pkcs8 pem with CRLF and BOM", append([]byte("\xef\xbb\xbf"), crlf...), ""},
		{"pkcs8 pem with text before it", append([]byte("Bag Attributes\n  friendlyName: x\n"), pkcs8PEM(t, k)...), ""},
		{"pkcs1 pem", pkcs1PEM(k), ""},
		{"pem with literal \\n (env var)", escaped, ""},
		{"base64 of the pem (CI secret)", []byte(base64.StdEncoding.EncodeToString(pkcs8PEM(t, k))), ""},
		{"raw pkcs8 der", der, ""},
		{"jwk", jwkJSONBytes(t, k, testKID), testKID},
		{"jwk without kid", func() []byte { m := jwkMap(k, ""); delete(m, "kid"); b, _ := json.Marshal(m); return b }(), ""},
		{"jwk set", set, testKID},
		{"jwk set, EC key first", mixedSet, testKID},
		{"authgear.secrets.yaml", secretsYAML(k, testKID), testKID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kid, err := ParsePrivateKey(tt.data)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Equal(k) {
				t.Fatal("parsed key differs from the generated key")
			}
			if kid != tt.wantKID {
				t.Errorf("kid = %q, want %q", kid, tt.wantKID)
			}
			// The key must be usable for signing.
			if _, err := mint(Credentials{ProjectID: "p", KeyID: "k", Key: got}, testT0); err != nil {
				t.Fatalf("mint with parsed key: %v", err)
			}
		})
	}
}

func publicPEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestParsePrivateKeyRejects(t *testing.T) {
	k := testKey()
	ec := testECKey()
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	random := make([]byte, 256)
	_, _ = rand.Read(random)
	pubJWK := jwkMap(k, testKID)
	delete(pubJWK, "d")
	pubJWKBytes, _ := json.Marshal(pubJWK)
	hsJWK := jwkMap(k, testKID)
	hsJWK["alg"] = "RS512"
	hsJWKBytes, _ := json.Marshal(hsJWK)
	noPrimes := jwkMap(k, testKID)
	delete(noPrimes, "p")
	delete(noPrimes, "q")
	noPrimesBytes, _ := json.Marshal(noPrimes)
	badD := jwkMap(k, testKID)
	badD["d"] = jwkMap(otherKey(), "x")["d"]
	badDBytes, _ := json.Marshal(badD)
	ecJWK, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"})
	legacyEncrypted := pem.EncodeToMemory(&pem.Block{
		Type:    "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   random,
	})
	pkcs8Encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: random})
	pemText := string(pkcs8PEM(t, k))
	truncated := pemText[:len(pemText)/2] + "\n-----END PRIVATE KEY-----\n"
	noAdminSecret := []byte("secrets:\n- data:\n    redis_url: redis://x\n  key: redis\n")

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrKeyUnrecognized},
		{"whitespace", []byte("  \n"), ErrKeyUnrecognized},
		{"text", []byte("hello, this is not a key"), ErrKeyUnrecognized},
		{"random bytes", random, ErrKeyUnrecognized},
		{"json object", []byte(`{"a":1}`), ErrKeyUnrecognized},
		{"broken json", []byte(`{"kty":"RSA",`), ErrKeyUnrecognized},
		{"empty jwk set", []byte(`{"keys":[]}`), ErrKeyUnrecognized},
		{"ec pkcs8 pem", pkcs8PEM(t, ec), ErrKeyNotRSA},
		{"ec sec1 pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), ErrKeyNotRSA},
		{"ec jwk", ecJWK, ErrKeyNotRSA},
		{"legacy encrypted pem", legacyEncrypted, ErrKeyEncrypted},
		{"pkcs8 encrypted pem", pkcs8Encrypted, ErrKeyEncrypted},
		{"public key pem", publicPEM(t, k), ErrKeyPublicOnly},
		{"public jwk", pubJWKBytes, ErrKeyPublicOnly},
		{"jwk alg RS512", hsJWKBytes, ErrKeyUnrecognized},
		{"jwk without primes", noPrimesBytes, ErrKeyUnrecognized},
		{"jwk with wrong d", badDBytes, ErrKeyUnrecognized},
		{"truncated pem", []byte(truncated), ErrKeyUnrecognized},
		{"openssh key", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), ErrKeyUnrecognized},
		{"secrets yaml without admin-api.auth", noAdminSecret, ErrKeyUnrecognized},
	}
	secrets := []string{
		strings.Join(strings.Split(pemText, "\n")[5:7], ""), // a stretch of the PEM body
		jwkMap(k, "")["d"].(string)[:40],
		jwkMap(otherKey(), "")["d"].(string)[:40],
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := ParsePrivateKey(tt.data)
			if err == nil {
				t.Fatalf("ParsePrivateKey accepted it (key %v)", got != nil)
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %q", err, tt.want)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error contains key material: %q", err)
				}
			}
			if strings.Contains(err.Error(), "redis://") {
				t.Errorf("error quotes the secrets file: %q", err)
			}
		})
	}
}

// TestParseDEREndingInWhiteSpace: binary DER must not be trimmed. Keys are
// generated until one's PKCS#8 and PKCS#1 encodings end with a byte that
// bytes.TrimSpace would strip (about 1 in 40 keys).
func TestParseDEREndingInWhiteSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("generates keys")
	}
	for range 400 {
		k := mustRSA(1024)
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.ContainsRune(" \t\n\r\v\f", rune(der[len(der)-1])) {
			continue
		}
		for name, data := range map[string][]byte{
			"pkcs8 der":           der,
			"base64 of pkcs8 der": []byte(base64.StdEncoding.EncodeToString(der)),
		} {
			got, _, err := ParsePrivateKey(data)
			if err != nil || !got.Equal(k) {
				t.Errorf("%s ending in %#x: %v", name, der[len(der)-1], err)
			}
		}
		return
	}
	t.Skip("no key with a white-space final byte found")
}
