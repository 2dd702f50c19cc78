package adminapi

import (
	"strings"
	"sync"
	"sync/atomic"
)

// RedactedMarker replaces every secret the client finds in what a server
// sent.
const RedactedMarker = "[REDACTED]"

// Redaction of server-supplied bytes.
//
// Every answer is read whole (up to the response bound) and redacted once,
// on the raw bytes, before anything is decoded, kept or put in an error:
// bodies of every status and content type, and the server-supplied headers
// the client keeps (Content-Type, Location). Transport errors that quote the
// server (a malformed status line) are redacted the same way.
//
// What is a secret:
//   - each of the last recentTokens bearer tokens this client sent (not
//     only the one of the current request: a server may echo an older one,
//     and a token stays accepted for minutes after it is replaced);
//   - each of a token's three dot-separated parts (header, claims,
//     signature) that is at least minSecretLen characters long, so that a
//     server echoing only the signature is caught too;
//   - the key id, when it is at least minSecretLen characters long. The kid
//     is not a secret in Authgear (the portal shows it, and this client's
//     own 403 hint names it), but it is part of the token, so a long kid
//     (a UUID, or anything random-looking) is treated as secret in what
//     the server sends. A shorter kid ("k1", "main") carries nothing worth
//     hiding and would blank unrelated text, so it is left alone.
//
// What forms are matched: a secret is found when it appears contiguously,
// each of its characters written either as itself, as a JSON escape
// \uXXXX (hex digits in either case), or as a URL escape %XX, in any mix.
// JWT and kid characters ([A-Za-z0-9_.-] in practice) have no other JSON
// escape; \/ is matched for a '/'. Not covered: a secret split by other
// characters (inserted spaces, a string cut in two and concatenated
// elsewhere), or encoded in another way (base64 of the token, say). A prefix
// of a secret shorter than a whole part is not redacted.
const (
	minSecretLen = 16
	recentTokens = 4
)

// redactor holds the secrets of one client. It is safe for concurrent use.
type redactor struct {
	kid string

	mu     sync.Mutex
	tokens []string                  // newest last
	cur    atomic.Pointer[secretSet] // derived from kid and tokens
}

func newRedactor(kid string) *redactor {
	r := &redactor{kid: kid}
	r.cur.Store(newSecretSet(kid, nil))
	return r
}

// sent records a token about to be sent and returns the secrets to redact
// from the answer.
func (r *redactor) sent(token string) *secretSet {
	s := r.cur.Load()
	if token == "" || s.hasToken(token) {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s = r.cur.Load()
	if s.hasToken(token) {
		return s
	}
	r.tokens = append(r.tokens, token)
	if len(r.tokens) > recentTokens {
		r.tokens = append([]string(nil), r.tokens[len(r.tokens)-recentTokens:]...)
	}
	s = newSecretSet(r.kid, r.tokens)
	r.cur.Store(s)
	return s
}

// secretSet is an immutable list of secrets, longest first.
type secretSet struct {
	tokens  []string
	secrets []string
	first   [256]bool // first bytes of the secrets
}

func newSecretSet(kid string, tokens []string) *secretSet {
	s := &secretSet{tokens: append([]string(nil), tokens...)}
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) >= minSecretLen && !seen[v] {
			seen[v] = true
			s.secrets = append(s.secrets, v)
		}
	}
	for _, t := range tokens {
		if t == "" {
			continue
		}
		seen[t] = true // a token is redacted whatever its length
		s.secrets = append(s.secrets, t)
		for _, p := range strings.Split(t, ".") {
			add(p)
		}
	}
	add(kid)
	// Longest first, so a whole token becomes one marker rather than three.
	for i := 1; i < len(s.secrets); i++ {
		for j := i; j > 0 && len(s.secrets[j]) > len(s.secrets[j-1]); j-- {
			s.secrets[j], s.secrets[j-1] = s.secrets[j-1], s.secrets[j]
		}
	}
	for _, v := range s.secrets {
		s.first[v[0]] = true
	}
	s.first['\\'] = len(s.secrets) > 0
	s.first['%'] = len(s.secrets) > 0
	return s
}

func (s *secretSet) hasToken(t string) bool {
	for _, v := range s.tokens {
		if v == t {
			return true
		}
	}
	return false
}

// bytes returns b with every secret replaced by RedactedMarker. b itself is
// returned when there is nothing to replace.
func (s *secretSet) bytes(b []byte) []byte {
	if s == nil || len(s.secrets) == 0 {
		return b
	}
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if !s.first[b[i]] {
			continue
		}
		n := 0
		for _, v := range s.secrets {
			if n = matchAt(b, i, v); n > 0 {
				break
			}
		}
		if n == 0 {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:i]...)
		out = append(out, RedactedMarker...)
		i += n - 1
		last = i + 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// string is bytes for a string.
func (s *secretSet) string(v string) string {
	if s == nil || len(s.secrets) == 0 || v == "" {
		return v
	}
	b := s.bytes([]byte(v))
	return string(b)
}

// matchAt returns the length of the encoding of secret found at b[i:], or
// 0. Each character may be itself, \uXXXX, %XX, or \/ for '/'.
func matchAt(b []byte, i int, secret string) int {
	j := i
	for k := 0; k < len(secret); k++ {
		want := secret[k]
		if j >= len(b) {
			return 0
		}
		c := b[j]
		switch {
		case c == want:
			j++
		case c == '\\' && j+5 < len(b) && b[j+1] == 'u' && hexVal(b[j+2:j+6]) == int(want):
			j += 6
		case c == '\\' && want == '/' && j+1 < len(b) && b[j+1] == '/':
			j += 2
		case c == '%' && j+2 < len(b) && hexVal(b[j+1:j+3]) == int(want):
			j += 3
		default:
			return 0
		}
	}
	return j - i
}

// hexVal decodes hex digits (either case), or returns -1.
func hexVal(h []byte) int {
	v := 0
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return v
}
