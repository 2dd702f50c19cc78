package adminapi

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Errors ParsePrivateKey wraps, for errors.Is. The messages never contain
// key material.
var (
	// ErrKeyUnrecognized: the data is not a key in any supported form.
	ErrKeyUnrecognized = errors.New("not a private key in a supported form")
	// ErrKeyEncrypted: the key is protected by a passphrase.
	ErrKeyEncrypted = errors.New("the private key is encrypted")
	// ErrKeyNotRSA: the key is not an RSA key; the Admin API uses RS256.
	ErrKeyNotRSA = errors.New("the key is not an RSA key")
	// ErrKeyPublicOnly: the data holds a public key or certificate only.
	ErrKeyPublicOnly = errors.New("the data holds a public key, not the private key")
)

// SecretKeyAdminAPIAuth is the key of the authgear.secrets.yaml item that
// holds the Admin API JWK set.
const SecretKeyAdminAPIAuth = "admin-api.auth"

const supportedKeyForms = "expected the PEM file downloaded from the portal (BEGIN PRIVATE KEY), " +
	"a PKCS#1 PEM (BEGIN RSA PRIVATE KEY), a JWK or JWK set (JSON), " +
	"or an authgear.secrets.yaml with an admin-api.auth item"

// ParsePrivateKey reads an Admin API private key. It accepts:
//
//   - the PEM file the portal downloads (Advanced > Admin API): a PKCS#8
//     "BEGIN PRIVATE KEY" block; other blocks in the file are ignored;
//   - a PKCS#1 "BEGIN RSA PRIVATE KEY" PEM;
//   - a JWK, or a JWK set {"keys": [...]} (the first RSA private key is used,
//     like Authgear's own signer);
//   - a self-hosted authgear.secrets.yaml: the item with key admin-api.auth,
//     whose data.keys is a JWK set;
//   - for convenience in CI secrets, any of the above base64-encoded, or a
//     PEM whose newlines were written as the two characters \n.
//
// kidFromFile is the JWK's kid for the JSON and YAML forms (a PEM has none;
// the portal shows the key id separately). Encrypted PEMs, non-RSA keys,
// public keys and anything else are refused with an error that wraps one of
// ErrKeyEncrypted, ErrKeyNotRSA, ErrKeyPublicOnly, ErrKeyUnrecognized. The
// errors never quote the input.
func ParsePrivateKey(data []byte) (key *rsa.PrivateKey, kidFromFile string, err error) {
	return parsePrivateKey(data, 0)
}

func parsePrivateKey(data []byte, depth int) (*rsa.PrivateKey, string, error) {
	// DER without PEM armour starts with an ASN.1 SEQUENCE. Try it before
	// any trimming: binary data may well end with a byte that looks like
	// white space.
	if len(data) > 0 && data[0] == 0x30 {
		if k, err := parseDER(data, ""); err == nil || !errors.Is(err, ErrKeyUnrecognized) {
			return k, "", err
		}
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(data) == 0 {
		return nil, "", fmt.Errorf("adminapi: key: empty input: %w", ErrKeyUnrecognized)
	}
	switch {
	case bytes.Contains(data, []byte("-----BEGIN ")):
		if !bytes.Contains(data, []byte("\n")) && bytes.Contains(data, []byte(`\n`)) {
			data = bytes.ReplaceAll(data, []byte(`\n`), []byte("\n"))
		}
		k, err := parsePEM(data)
		return k, "", err
	case data[0] == '{':
		return parseJWKJSON(data)
	}
	if depth == 0 {
		if dec, ok := decodeBase64Loose(data); ok {
			t := bytes.TrimSpace(dec)
			if len(dec) > 0 && dec[0] == 0x30 || len(t) > 0 && (bytes.Contains(t, []byte("-----BEGIN ")) || t[0] == '{') {
				return parsePrivateKey(dec, depth+1)
			}
		}
	}
	if k, kid, ok, err := parseSecretsYAML(data); ok {
		return k, kid, err
	}
	return nil, "", fmt.Errorf("adminapi: key: %w: %s", ErrKeyUnrecognized, supportedKeyForms)
}

func parsePEM(data []byte) (*rsa.PrivateKey, error) {
	var sawPublic bool
	var firstErr error
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "PRIVATE KEY", "RSA PRIVATE KEY":
			if _, ok := block.Headers["DEK-Info"]; ok || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, fmt.Errorf("adminapi: key: %w with a passphrase (legacy PEM encryption); decrypt it first, for example: openssl rsa -in key.pem -out key-decrypted.pem", ErrKeyEncrypted)
			}
			k, err := parseDER(block.Bytes, block.Type)
			if err == nil {
				return k, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("adminapi: key: %w (PKCS#8 with a passphrase); decrypt it first, for example: openssl pkcs8 -in key.pem -out key-decrypted.pem", ErrKeyEncrypted)
		case "EC PRIVATE KEY":
			return nil, fmt.Errorf("adminapi: key: %w: it is an EC key (BEGIN EC PRIVATE KEY); Authgear Admin API keys are RSA keys used with RS256", ErrKeyNotRSA)
		case "OPENSSH PRIVATE KEY":
			return nil, fmt.Errorf("adminapi: key: %w: an OpenSSH key file is not supported; use the PEM file downloaded from the portal", ErrKeyUnrecognized)
		case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
			sawPublic = true
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if sawPublic {
		return nil, fmt.Errorf("adminapi: key: %w; download the private key from the portal (Advanced > Admin API)", ErrKeyPublicOnly)
	}
	return nil, fmt.Errorf("adminapi: key: %w: no private key PEM block found; %s", ErrKeyUnrecognized, supportedKeyForms)
}

// parseDER tries PKCS#8 then PKCS#1 (the label is a hint only: some tools
// mislabel). The x509 error text is not passed on: it is not useful to a
// user and, in principle, describes the input.
func parseDER(der []byte, label string) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return asRSA(k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return checkRSA(k)
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return nil, fmt.Errorf("adminapi: key: %w: it is an EC key; Authgear Admin API keys are RSA keys used with RS256", ErrKeyNotRSA)
	}
	what := "DER data"
	if label != "" {
		what = "the " + label + " PEM block"
	}
	return nil, fmt.Errorf("adminapi: key: %w: %s is neither PKCS#8 nor PKCS#1 (the file may be damaged or truncated)", ErrKeyUnrecognized, what)
}

func asRSA(k any) (*rsa.PrivateKey, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return checkRSA(k)
	case *ecdsa.PrivateKey:
		return nil, fmt.Errorf("adminapi: key: %w: it is an ECDSA key; Authgear Admin API keys are RSA keys used with RS256", ErrKeyNotRSA)
	case ed25519.PrivateKey:
		return nil, fmt.Errorf("adminapi: key: %w: it is an Ed25519 key; Authgear Admin API keys are RSA keys used with RS256", ErrKeyNotRSA)
	default:
		return nil, fmt.Errorf("adminapi: key: %w: unsupported key type %T; Authgear Admin API keys are RSA keys used with RS256", ErrKeyNotRSA, k)
	}
}

func checkRSA(k *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("adminapi: key: the RSA key is inconsistent (its parts do not match): %w", ErrKeyUnrecognized)
	}
	if bits := k.N.BitLen(); bits < 1024 {
		return nil, fmt.Errorf("adminapi: key: the RSA key has only %d bits; RS256 signing needs at least 1024 (Authgear generates 2048-bit keys): %w", bits, ErrKeyUnrecognized)
	}
	k.Precompute()
	return k, nil
}

// jwkJSON is the subset of a JWK this package reads.
type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	Q   string `json:"q"`
}

func parseJWKJSON(data []byte) (*rsa.PrivateKey, string, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, "", fmt.Errorf("adminapi: key: the data starts like JSON but is not a valid JSON object: %w", ErrKeyUnrecognized)
	}
	if raw, ok := probe["keys"]; ok {
		var keys []json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return nil, "", fmt.Errorf("adminapi: key: the JWK set's \"keys\" is not an array: %w", ErrKeyUnrecognized)
		}
		return pickFromJWKSet(keys)
	}
	if _, ok := probe["kty"]; !ok {
		return nil, "", fmt.Errorf("adminapi: key: JSON that is neither a JWK (no \"kty\") nor a JWK set (no \"keys\"): %w", ErrKeyUnrecognized)
	}
	return parseJWK(data)
}

// pickFromJWKSet returns the first RSA private key of a set, which is the
// key Authgear itself signs Admin API tokens with.
func pickFromJWKSet(keys []json.RawMessage) (*rsa.PrivateKey, string, error) {
	if len(keys) == 0 {
		return nil, "", fmt.Errorf("adminapi: key: the JWK set has no keys: %w", ErrKeyUnrecognized)
	}
	var firstErr error
	for _, raw := range keys {
		k, kid, err := parseJWK(raw)
		if err == nil {
			return k, kid, nil
		}
		if firstErr == nil || (errors.Is(firstErr, ErrKeyNotRSA) && !errors.Is(err, ErrKeyNotRSA)) {
			firstErr = err
		}
	}
	return nil, "", firstErr
}

func parseJWK(raw []byte) (*rsa.PrivateKey, string, error) {
	var j jwkJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, "", fmt.Errorf("adminapi: key: a JWK member has the wrong JSON type: %w", ErrKeyUnrecognized)
	}
	if j.Kty != "RSA" {
		return nil, "", fmt.Errorf("adminapi: key: %w: the JWK has kty %q; Authgear Admin API keys are RSA keys used with RS256", ErrKeyNotRSA, truncate(j.Kty, 10))
	}
	if j.Alg != "" && j.Alg != "RS256" {
		return nil, "", fmt.Errorf("adminapi: key: the JWK's alg is %q; the Admin API verifies with the JWK's alg and this client signs RS256: %w", truncate(j.Alg, 16), ErrKeyUnrecognized)
	}
	if j.D == "" {
		return nil, "", fmt.Errorf("adminapi: key: %w (the JWK has no \"d\")", ErrKeyPublicOnly)
	}
	n, err1 := b64Int(j.N)
	e, err2 := b64Int(j.E)
	d, err3 := b64Int(j.D)
	if err := errors.Join(err1, err2, err3); err != nil || n == nil || e == nil || d == nil {
		return nil, "", fmt.Errorf("adminapi: key: the JWK's n, e or d is missing or not base64url: %w", ErrKeyUnrecognized)
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
		return nil, "", fmt.Errorf("adminapi: key: the JWK's exponent e is out of range: %w", ErrKeyUnrecognized)
	}
	p, err1 := b64Int(j.P)
	q, err2 := b64Int(j.Q)
	if err1 != nil || err2 != nil || p == nil || q == nil {
		return nil, "", fmt.Errorf("adminapi: key: the JWK has no usable primes p and q (only n, e and d are not supported): %w", ErrKeyUnrecognized)
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	k, err := checkRSA(k)
	if err != nil {
		return nil, "", err
	}
	return k, j.Kid, nil
}

func b64Int(s string) (*big.Int, error) {
	if s == "" {
		return nil, nil
	}
	s = strings.TrimRight(s, "=")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("not base64url")
		}
	}
	return new(big.Int).SetBytes(b), nil
}

func decodeBase64Loose(data []byte) ([]byte, bool) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\n', '\r', '\t':
			return -1
		}
		return r
	}, string(data))
	s = strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// parseSecretsYAML looks for the admin-api.auth item of an
// authgear.secrets.yaml ({secrets: [{key, data}]}, or the bare list). ok is
// false when the data is not such a file at all.
func parseSecretsYAML(data []byte) (k *rsa.PrivateKey, kid string, ok bool, err error) {
	var doc any
	if yaml.Unmarshal(data, &doc) != nil {
		return nil, "", false, nil
	}
	var items []any
	switch d := doc.(type) {
	case map[string]any:
		list, isList := d["secrets"].([]any)
		if !isList {
			return nil, "", false, nil
		}
		items = list
	case []any:
		items = d
	default:
		return nil, "", false, nil
	}
	sawSecret := false
	for _, it := range items {
		m, isMap := it.(map[string]any)
		if !isMap {
			continue
		}
		key, _ := m["key"].(string)
		if key != "" {
			sawSecret = true
		}
		if key != SecretKeyAdminAPIAuth {
			continue
		}
		dataMap, _ := m["data"].(map[string]any)
		keys, _ := dataMap["keys"].([]any)
		if len(keys) == 0 {
			return nil, "", true, fmt.Errorf("adminapi: key: the %s item of the secrets file has no data.keys: %w", SecretKeyAdminAPIAuth, ErrKeyUnrecognized)
		}
		raws := make([]json.RawMessage, 0, len(keys))
		for _, kk := range keys {
			b, err := json.Marshal(kk)
			if err != nil {
				return nil, "", true, fmt.Errorf("adminapi: key: a key under %s cannot be read as a JWK: %w", SecretKeyAdminAPIAuth, ErrKeyUnrecognized)
			}
			raws = append(raws, b)
		}
		k, kid, err := pickFromJWKSet(raws)
		return k, kid, true, err
	}
	if !sawSecret {
		return nil, "", false, nil
	}
	return nil, "", true, fmt.Errorf("adminapi: key: the secrets file has no item with key %s: %w", SecretKeyAdminAPIAuth, ErrKeyUnrecognized)
}
