package sandbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The group s replay sends the requests of real-server/sign-in (s01-s23),
// in the order they were recorded, to one sandbox (email, phone and
// username login IDs; the recorded OAuth client; issuer
// http://127.0.0.1:3100; the clock set to each recorded answer's Date) and
// compares: the status; the error's name, reason, message and info; the
// result's action type and data; the JSON bodies' shape and their values
// other than ids, codes, tokens and timestamps (those must map one to
// one: the same recorded id is always the same sandbox id); the claims of
// every JWT (exp - iat, not the times); the cookies set (names, and
// whether the session cookie is cleared); the Location; the resolver's
// X-Authgear headers.
//
// Users are imported through the import API as recorded (the recorded
// bcrypt hashes, so the passwords of the files' user/users sign in).
//
// What cannot be reproduced, and how the replay stands in:
//   - s21 measures timing: its statuses are replayed, its durations are
//     not compared;
//   - access tokens from sign-ins that were not recorded step by step
//     (s12, s13, s14, s22 use tokens of an OAuth sign-in done off the
//     record) are issued by the sandbox's own token code for the same
//     user, client, amr and times; a tampered one has its signature
//     changed as recorded; s17's "OAuth sign-in too" is done with
//     OAuthSignIn; s20's codes came from unrecorded flows and are issued
//     for the file's user with the challenge of the verifier that later
//     succeeds;
//   - a token of a user imported outside the recordings (none is known
//     to the replay) is skipped, and said so in the log;
//   - csp_nonce cookies, Date, tracking ids and HTML bodies of redirects
//     are not compared;
//   - with -short, s09's cost-14 sign-in is left out (tens of seconds
//     under -race; cost 4 and 10 are replayed).
func TestReplayGroupS(t *testing.T) {
	dir := filepath.Join(fixtureDir(t), "sign-in")
	files := loadSFiles(t, dir)
	good, _ := signingKeys(t)
	clock := &fakeClock{now: files[0].start}
	s, err := New(Options{
		ProjectID: "myapp", Keys: []PublicKey{key(t).PublicKey()}, LoginIDTypes: []string{"email", "phone", "username"},
		TokenKey: good, Issuer: "http://127.0.0.1:3100", Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); _ = s.Close() })
	r := &sReplayer{t: t, s: s, hs: hs, clock: clock, subst: map[string]string{}, raw: map[string]string{}, pending: map[string]Tokens{}}
	for _, f := range files {
		t.Run(f.Case, func(t *testing.T) {
			r.t = t
			r.file = f
			for i := range f.Steps {
				r.step(&f.Steps[i], i)
			}
		})
	}
}

type sStep struct {
	Step    string `json:"step"`
	Note    string `json:"note"`
	Request struct {
		Method  string                     `json:"method"`
		URL     string                     `json:"url"`
		Headers map[string]json.RawMessage `json:"headers"`
		Body    json.RawMessage            `json:"body"`
		RawBody *string                    `json:"raw_body"`
	} `json:"request"`
	Response struct {
		Status   int                        `json:"status"`
		Headers  map[string]json.RawMessage `json:"headers"`
		BodyText *string                    `json:"body_text"`
		BodyJSON json.RawMessage            `json:"body_json"`
	} `json:"response"`
}

type sFile struct {
	Case       string          `json:"case"`
	RecordedAt string          `json:"recorded_at"`
	User       json.RawMessage `json:"user"`
	Users      json.RawMessage `json:"users"`
	Steps      []sStep         `json:"steps"`
	Request    json.RawMessage `json:"request"`
	Response   json.RawMessage `json:"response"`
	start      time.Time
}

func loadSFiles(t *testing.T, dir string) []*sFile {
	names, err := filepath.Glob(filepath.Join(dir, "s*.json"))
	if err != nil || len(names) < 23 {
		t.Fatalf("group s recordings: %v (%d files)", err, len(names))
	}
	var out []*sFile
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		f := &sFile{}
		if err := json.Unmarshal(data, f); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if f.Steps == nil { // s01, s02: one request
			var st sStep
			_ = json.Unmarshal(f.Request, &st.Request)
			_ = json.Unmarshal(f.Response, &st.Response)
			st.Step = "single"
			f.Steps = []sStep{st}
		}
		f.start, _ = time.Parse(time.RFC3339, f.RecordedAt)
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

type sReplayer struct {
	t     *testing.T
	s     *Server
	hs    *httptest.Server
	clock *fakeClock
	file  *sFile
	// subst maps recorded ids, codes and tokens to the sandbox's.
	subst map[string]string
	// raw is each sandbox JWT by its jti.
	raw map[string]string
	// pending holds the tokens of an OAuth sign-in done off the record,
	// by sandbox user id; lastRefresh the newest refresh token issued so.
	pending     map[string]Tokens
	lastRefresh string
}

func (r *sReplayer) header(st *sStep, name string) (string, bool) {
	for k, v := range st.Request.Headers {
		if strings.EqualFold(k, name) {
			var s string
			if json.Unmarshal(v, &s) == nil {
				return s, true
			}
		}
	}
	return "", false
}

func (r *sReplayer) setClock(st *sStep) {
	var d string
	for k, v := range st.Response.Headers {
		if strings.EqualFold(k, "date") {
			_ = json.Unmarshal(v, &d)
		}
	}
	// Exactly the recorded time, even backwards: s12's last steps were
	// recorded after s13 (a token had to expire).
	if at, err := http.ParseTime(d); err == nil {
		r.clock.mu.Lock()
		r.clock.now = at
		r.clock.mu.Unlock()
	}
}

func (r *sReplayer) step(st *sStep, idx int) {
	t := r.t
	r.setClock(st)
	if strings.Contains(st.Note, "not recorded step by step") && strings.Contains(st.Note, "OAuth") {
		r.offRecordOAuthSignIn()
	}
	if testing.Short() && strings.Contains(st.Step, "cost14") {
		t.Logf("%s: skipped in -short: a cost-14 bcrypt check takes tens of seconds under -race", st.Step)
		return
	}
	req, skip := r.request(st)
	if skip != "" {
		t.Logf("%s: skipped: %s", st.Step, skip)
		return
	}
	resp, err := r.hs.Client().Transport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s: %v", st.Step, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.HasSuffix(req.URL.Path, importPath) && req.Method == http.MethodPost {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = r.s.WaitIdle(ctx)
		cancel()
	}
	where := fmt.Sprintf("%s #%d %s", st.Step, idx, req.URL.Path)
	if resp.StatusCode != st.Response.Status {
		t.Errorf("%s: status %d, recorded %d: %s", where, resp.StatusCode, st.Response.Status, truncateS(body))
		return
	}
	r.compareHeaders(where, st, resp.Header)
	if len(st.Response.BodyJSON) > 0 && string(st.Response.BodyJSON) != "null" {
		var want, have any
		_ = json.Unmarshal(st.Response.BodyJSON, &want)
		if err := json.Unmarshal(body, &have); err != nil {
			t.Errorf("%s: body is not JSON: %q", where, truncateS(body))
			return
		}
		r.compare(where, "", want, have)
	} else if st.Response.BodyText != nil && st.Response.Status/100 != 3 && *st.Response.BodyText != string(body) {
		t.Errorf("%s: body %q, recorded %q", where, body, *st.Response.BodyText)
	}
}

func truncateS(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// request builds the sandbox request of a recorded one; skip says why it
// cannot be sent.
func (r *sReplayer) request(st *sStep) (*http.Request, string) {
	t := r.t
	u, err := url.Parse(st.Request.URL)
	if err != nil {
		t.Fatal(err)
	}
	path := u.Path
	for rec, ours := range r.subst {
		if strings.Contains(path, rec) {
			path = strings.ReplaceAll(path, rec, ours)
		}
	}
	target := r.hs.URL + path
	if u.RawQuery != "" {
		target += "?" + r.substQuery(u.RawQuery)
	}
	var body io.Reader
	contentType := ""
	switch {
	case st.Request.RawBody != nil:
		body = strings.NewReader(*st.Request.RawBody)
		contentType = "application/json"
	case len(st.Request.Body) > 0 && string(st.Request.Body) != "null":
		var v any
		_ = json.Unmarshal(st.Request.Body, &v)
		if u.Path == tokenPath || u.Path == revokePath {
			form := url.Values{}
			for k, x := range v.(map[string]any) {
				form.Set(k, fmt.Sprint(x))
			}
			if u.Path == tokenPath && form.Get("grant_type") == "authorization_code" {
				if reason := r.ensureCode(st, form); reason != "" {
					return nil, reason
				}
			}
			for k := range form {
				form.Set(k, r.substString(form.Get(k)))
			}
			if rec := v.(map[string]any)["token"]; u.Path == revokePath && r.subst[fmt.Sprint(rec)] == "" {
				form.Set("token", r.lastRefresh)
			}
			if rec := v.(map[string]any)["refresh_token"]; u.Path == tokenPath && rec != nil && r.subst[fmt.Sprint(rec)] == "" && r.lastRefresh != "" {
				form.Set("refresh_token", r.lastRefresh)
			}
			body = strings.NewReader(form.Encode())
			contentType = "application/x-www-form-urlencoded"
		} else {
			b, _ := json.Marshal(r.substAny(v))
			body = bytes.NewReader(b)
			contentType = "application/json"
		}
	}
	req, err := http.NewRequest(st.Request.Method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if ct, ok := r.header(st, "Content-Type"); ok {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", "python-requests/2.34.0")
	switch u.Port() {
	case "3100":
		req.Host = "127.0.0.1:3100"
	case "3001":
		req.Host = "127.0.0.1:3001"
	}
	if h, ok := r.header(st, "Host"); ok {
		req.Host = h
	}
	if h, ok := r.header(st, "X-Forwarded-Host"); ok {
		req.Header.Set("X-Forwarded-Host", h)
	}
	if c, ok := r.header(st, "Cookie"); ok {
		var parts []string
		for _, p := range strings.Split(c, "; ") {
			k, v, _ := strings.Cut(p, "=")
			parts = append(parts, k+"="+r.substString(v))
		}
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	for k, v := range st.Request.Headers {
		if !strings.EqualFold(k, "Authorization") {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			req.Header.Set("Authorization", s)
			continue
		}
		var a struct {
			Scheme    string         `json:"scheme"`
			JWTClaims map[string]any `json:"jwt_claims"`
		}
		_ = json.Unmarshal(v, &a)
		if a.JWTClaims["aud"] == "myapp" {
			tok, err := key(t).Token("myapp", r.clock.Now(), 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			continue
		}
		tok, skip := r.accessToken(a.JWTClaims)
		if skip != "" {
			return nil, skip
		}
		if strings.Contains(st.Step, "tampered") {
			i := strings.LastIndex(tok, ".") + 1
			c := byte('A')
			if tok[i] == 'A' {
				c = 'B'
			}
			tok = tok[:i] + string(c) + tok[i+1:]
		}
		req.Header.Set("Authorization", a.Scheme+" "+tok)
	}
	return req, ""
}

// accessToken is the sandbox token standing for a recorded one: the one
// it was mapped to, the off-record sign-in's, or one issued now for the
// same user, client, amr and times.
func (r *sReplayer) accessToken(claims map[string]any) (string, string) {
	jti, _ := claims["jti"].(string)
	if ours, ok := r.subst[jti]; ok {
		return r.raw[ours], ""
	}
	sub, _ := claims["sub"].(string)
	uid, ok := r.subst[sub]
	if !ok {
		return "", "the token's user was imported outside the recordings"
	}
	if p, ok := r.pending[uid]; ok {
		_, c := parseClaimsS(p.AccessToken)
		r.subst[jti] = c["jti"].(string)
		r.raw[c["jti"].(string)] = p.AccessToken
		return p.AccessToken, ""
	}
	var amr []string
	if list, ok := claims["amr"].([]any); ok {
		for _, a := range list {
			amr = append(amr, a.(string))
		}
	}
	iat := time.Unix(int64(claims["iat"].(float64)), 0)
	authTime := time.Unix(int64(claims["auth_time"].(float64)), 0)
	clientID, _ := claims["client_id"].(string)
	scope, _ := claims["scope"].(string)
	r.s.mu.Lock()
	g := &offlineGrant{id: newUUID(), secret: newSecret(), clientID: clientID, userID: uid, scope: scope, createdAt: iat, accessedAt: iat, authTime: authTime, seq: r.s.signin.nextSeq()}
	r.s.signin.grants[g.id] = g
	resp, err := r.s.tokenResponseLocked("http://127.0.0.1:3100", clientID, uid, scope, g.id, "", amr, authTime, iat)
	r.s.mu.Unlock()
	if err != nil {
		r.t.Fatal(err)
	}
	tok := resp["access_token"].(string)
	_, c := parseClaimsS(tok)
	r.subst[jti] = c["jti"].(string)
	r.raw[c["jti"].(string)] = tok
	r.lastRefresh = g.id + "." + g.secret
	return tok, ""
}

// ensureCode issues an authorization code for a recorded one that came
// from a flow off the record (s20): for the file's user, with the
// challenge of the verifier that succeeds with it later in the file.
func (r *sReplayer) ensureCode(st *sStep, form url.Values) string {
	code := form.Get("code")
	if _, ok := r.subst[code]; ok || code == "" {
		return ""
	}
	verifier := ""
	for _, other := range r.file.Steps {
		var b map[string]any
		_ = json.Unmarshal(other.Request.Body, &b)
		if b["code"] == code && other.Response.Status == 200 {
			verifier, _ = b["code_verifier"].(string)
		}
	}
	if verifier == "" {
		verifier = form.Get("code_verifier")
	}
	var user struct {
		Email string `json:"email"`
	}
	_ = json.Unmarshal(r.file.User, &user)
	u, ok := r.s.UserByLoginID("email", strings.ToLower(user.Email))
	if !ok {
		return "the code's user is not known"
	}
	r.s.mu.Lock()
	a := &authzRequest{clientID: DefaultOAuthClient.ID, redirectURI: DefaultOAuthClient.RedirectURIs[0], scope: "openid offline_access", challenge: pkceS256(verifier)}
	ours := r.s.newCodeLocked(a, "", u.ID, []string{"pwd", "x_primary_password"}, r.clock.Now())
	r.s.mu.Unlock()
	r.subst[code] = ours
	return ""
}

// offRecordOAuthSignIn signs the file's user in through the OAuth path,
// as s17 did between two recorded steps.
func (r *sReplayer) offRecordOAuthSignIn() {
	var user struct{ Email, Password string }
	_ = json.Unmarshal(r.file.User, &user)
	c := *r.hs.Client()
	c.Transport = hostTransport{rt: r.hs.Client().Transport, target: strings.TrimPrefix(r.hs.URL, "http://")}
	toks, err := OAuthSignIn(context.Background(), &c, r.hs.URL, DefaultOAuthClient, "email", user.Email, user.Password)
	if err != nil {
		r.t.Fatalf("off-record OAuth sign-in: %v", err)
	}
	_, claims := parseClaimsS(toks.AccessToken)
	r.pending[claims["sub"].(string)] = toks
	r.lastRefresh = toks.RefreshToken
}

// hostTransport sends every request to the sandbox as to the public
// origin (the URLs the sandbox hands out name the issuer).
type hostTransport struct {
	rt     http.RoundTripper
	target string
}

func (h hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Host = h.target
	req.Host = "127.0.0.1:3100"
	req.Header.Set("User-Agent", "python-requests/2.34.0")
	return h.rt.RoundTrip(req)
}

func parseClaimsS(tok string) (header, claims map[string]any) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil
	}
	p := jwt.NewParser()
	hb, _ := p.DecodeSegment(parts[0])
	cb, _ := p.DecodeSegment(parts[1])
	_ = json.Unmarshal(hb, &header)
	_ = json.Unmarshal(cb, &claims)
	return header, claims
}

func (r *sReplayer) substString(v string) string {
	if ours, ok := r.subst[v]; ok {
		return ours
	}
	if strings.Contains(v, "=") && !strings.Contains(v, " ") {
		return r.substQuery(v) // a url_query
	}
	if id, secret, ok := strings.Cut(v, "."); ok {
		if ours, ok := r.subst[id]; ok {
			if full, ok := r.subst[v]; ok {
				return full
			}
			_ = secret
			return ours + "." + secret
		}
	}
	return v
}

func (r *sReplayer) substAny(v any) any {
	switch x := v.(type) {
	case string:
		return r.substString(x)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = r.substAny(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.substAny(e)
		}
		return out
	}
	return v
}

// substQuery replaces the values of a raw query, keeping its order.
func (r *sReplayer) substQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if ours, ok := r.subst[dv]; ok {
			parts[i] = k + "=" + url.QueryEscape(ours)
		}
	}
	return strings.Join(parts, "&")
}

var (
	volUUID      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	volPrefixed  = regexp.MustCompile(`^(userimport_|authflowstate_)[0-9A-Z]{32}$`)
	volSecret    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9]{32}$`)
	volCode      = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	volHex       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	volTime      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
	volGlobalID  = regexp.MustCompile(`^[A-Za-z0-9_-]{20,}$`)
	volTraceID   = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`)
	volTypedID   = regexp.MustCompile(`^[A-Za-z_]+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	volatileList = []*regexp.Regexp{volUUID, volPrefixed, volSecret, volCode, volHex, volTime, volTraceID}
)

func volatileClass(s string) int {
	for i, re := range volatileList {
		if re.MatchString(s) {
			return i + 1
		}
	}
	if volGlobalID.MatchString(s) {
		if b, err := base64.RawURLEncoding.DecodeString(s); err == nil && volTypedID.Match(b) {
			return 100
		}
	}
	return 0
}

// learn maps a recorded volatile value to the sandbox's, and the ids
// derived from a uuid (global ids, the ID token's sid).
func (r *sReplayer) learn(where, want, have string) bool {
	if ours, ok := r.subst[want]; ok {
		if ours != have {
			r.t.Errorf("%s: %q stands for %q, but the answer has %q", where, want, ours, have)
		}
		return true
	}
	r.subst[want] = have
	if volUUID.MatchString(want) {
		for _, typ := range []string{"User", "Session"} {
			r.subst[globalID(typ, want)] = globalID(typ, have)
		}
		r.subst[base64.RawURLEncoding.EncodeToString([]byte("offline_grant:"+want))] = base64.RawURLEncoding.EncodeToString([]byte("offline_grant:" + have))
	}
	if volSecret.MatchString(want) {
		wid, _, _ := strings.Cut(want, ".")
		hid, _, _ := strings.Cut(have, ".")
		r.learn(where, wid, hid)
	}
	return true
}

var timeKeys = map[string]bool{"iat": true, "exp": true, "auth_time": true, "updated_at": true, "created_at": true, "byte_offset": false}

func (r *sReplayer) compare(where, path string, want, have any) {
	t := r.t
	switch w := want.(type) {
	case map[string]any:
		if hs, ok := have.(string); ok {
			if _, isJWT := w["jwt_header"]; isJWT {
				h, c := parseClaimsS(hs)
				if c == nil {
					t.Errorf("%s%s: not a JWT: %q", where, path, hs)
					return
				}
				if jti, ok := c["jti"].(string); ok {
					r.raw[jti] = hs
				}
				wc := w["jwt_claims"].(map[string]any)
				if we, wi, he, hi := wc["exp"], wc["iat"], c["exp"], c["iat"]; we != nil && he != nil && we.(float64)-wi.(float64) != he.(float64)-hi.(float64) {
					t.Errorf("%s%s: exp - iat = %v, recorded %v", where, path, he.(float64)-hi.(float64), we.(float64)-wi.(float64))
				}
				have = map[string]any{"jwt_header": h, "jwt_claims": c, "signature": "<omitted>"}
			}
		}
		h, ok := have.(map[string]any)
		if !ok {
			t.Errorf("%s%s: %s, recorded an object %s", where, path, shortS(have), shortS(want))
			return
		}
		for k := range w {
			if k == "tracking_id" {
				continue
			}
			if _, ok := h[k]; !ok {
				t.Errorf("%s%s: no %q (recorded %s)", where, path, k, shortS(w[k]))
			}
		}
		for k := range h {
			if _, ok := w[k]; !ok && k != "tracking_id" {
				t.Errorf("%s%s: extra %q = %s", where, path, k, shortS(h[k]))
			}
		}
		for k, wv := range w {
			if hv, ok := h[k]; ok && k != "tracking_id" {
				if k == "kid" || k == "n" {
					continue // the test's own key
				}
				if timeKeys[k] {
					if _, isNum := wv.(float64); isNum {
						if _, ok := hv.(float64); !ok {
							t.Errorf("%s%s/%s: %s, recorded a number", where, path, k, shortS(hv))
						}
						continue
					}
				}
				r.compare(where, path+"/"+k, wv, hv)
			}
		}
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			t.Errorf("%s%s: %s, recorded %s", where, path, shortS(have), shortS(want))
			return
		}
		for i := range w {
			r.compare(where, fmt.Sprintf("%s/%d", path, i), w[i], h[i])
		}
	case string:
		h, ok := have.(string)
		if !ok {
			t.Errorf("%s%s: %s, recorded %q", where, path, shortS(have), w)
			return
		}
		if w == h {
			return
		}
		if ours, ok := r.subst[w]; ok && ours == h {
			return
		}
		if strings.Contains(w, "://") && strings.Contains(w, "?") {
			r.compareURL(where+path, w, h)
			return
		}
		if c := volatileClass(w); c != 0 && c == volatileClass(h) {
			r.learn(where+path, w, h)
			return
		}
		t.Errorf("%s%s: %q, recorded %q", where, path, h, w)
	case float64:
		h, ok := have.(float64)
		if !ok || (h != w && w < 1e9) {
			t.Errorf("%s%s: %s, recorded %v", where, path, shortS(have), w)
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(have) {
			t.Errorf("%s%s: %s, recorded %s", where, path, shortS(have), shortS(want))
		}
	}
}

func (r *sReplayer) compareURL(where, want, have string) {
	wu, err1 := url.Parse(want)
	hu, err2 := url.Parse(have)
	if err1 != nil || err2 != nil || wu.Scheme+"://"+wu.Host+wu.Path != hu.Scheme+"://"+hu.Host+hu.Path {
		r.t.Errorf("%s: URL %q, recorded %q", where, have, want)
		return
	}
	wq, hq := wu.Query(), hu.Query()
	var wk, hk []string
	for k := range wq {
		wk = append(wk, k)
	}
	for k := range hq {
		hk = append(hk, k)
	}
	sort.Strings(wk)
	sort.Strings(hk)
	if strings.Join(wk, ",") != strings.Join(hk, ",") {
		r.t.Errorf("%s: query keys %v, recorded %v", where, hk, wk)
		return
	}
	for _, k := range wk {
		r.compare(where, "?"+k, wq.Get(k), hq.Get(k))
	}
}

func shortS(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// compareHeaders compares the cookies set, the Location, the media type
// and the resolver's headers.
func (r *sReplayer) compareHeaders(where string, st *sStep, got http.Header) {
	t := r.t
	want := map[string]string{}
	var wantCookies []string
	for k, v := range st.Response.Headers {
		k = strings.ToLower(k)
		if k == "set-cookie" {
			_ = json.Unmarshal(v, &wantCookies)
			continue
		}
		var s string
		_ = json.Unmarshal(v, &s)
		want[k] = s
	}
	cookies := func(list []string) map[string]string {
		m := map[string]string{}
		for _, c := range list {
			kv, _, _ := strings.Cut(c, ";")
			k, v, _ := strings.Cut(kv, "=")
			if k != "csp_nonce" {
				m[k] = v
			}
		}
		return m
	}
	wc, hc := cookies(wantCookies), cookies(got.Values("Set-Cookie"))
	if len(wc) != len(hc) {
		t.Errorf("%s: cookies %v, recorded %v", where, got.Values("Set-Cookie"), wantCookies)
	}
	for k, v := range wc {
		hv, ok := hc[k]
		switch {
		case !ok:
			t.Errorf("%s: no %s cookie", where, k)
		case (v == "") != (hv == ""):
			t.Errorf("%s: cookie %s=%q, recorded %q", where, k, hv, v)
		case k == "session" && v != "":
			r.learn(where, v, hv)
		case k == "oauth_ui":
			r.learn(where, v, hv)
		}
	}
	if loc, ok := want["location"]; ok {
		if got.Get("Location") == "" {
			t.Errorf("%s: no Location, recorded %s", where, loc)
		} else {
			r.compareURL(where+" Location", loc, got.Get("Location"))
		}
	}
	if ct, ok := want["content-type"]; ok && st.Response.Status != http.StatusFound && st.Response.Status != http.StatusSeeOther {
		wm, _, _ := mime.ParseMediaType(ct)
		hm, _, _ := mime.ParseMediaType(got.Get("Content-Type"))
		if wm != hm {
			t.Errorf("%s: content type %q, recorded %q", where, got.Get("Content-Type"), ct)
		}
	}
	if wa, ok := want["www-authenticate"]; ok && got.Get("WWW-Authenticate") != wa {
		t.Errorf("%s: WWW-Authenticate %q, recorded %q", where, got.Get("WWW-Authenticate"), wa)
	}
	if !strings.Contains(st.Request.URL, resolvePath) {
		return
	}
	for k, v := range want {
		if !strings.HasPrefix(k, "x-authgear-") {
			continue
		}
		h, ok := got[http.CanonicalHeaderKey(k)]
		switch {
		case !ok:
			t.Errorf("%s: no %s", where, k)
		case k == "x-authgear-user-id":
			r.learn(where, v, h[0])
		case k == "x-authgear-session-authenticated-at":
		case h[0] != v:
			t.Errorf("%s: %s = %q, recorded %q", where, k, h[0], v)
		}
	}
	for k := range got {
		if strings.HasPrefix(strings.ToLower(k), "x-authgear-") {
			if _, ok := want[strings.ToLower(k)]; !ok {
				t.Errorf("%s: extra %s: %s", where, k, got.Get(k))
			}
		}
	}
}
