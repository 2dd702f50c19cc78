package sandbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The replay sends the requests recorded in /work/shared/real-server to one
// sandbox, in the order they were recorded, and compares status,
// content type, headers and bodies with the recorded answers. Ids, user
// ids, timestamps, tracking ids and CSP nonces are not compared as values:
// ids must have the right shape and map one to one (the same recorded
// user id must always be the same sandbox user id), timestamps must parse,
// and completed_at == created_at must hold where it held on the server.
//
// Known, deliberate differences (not compared):
//   - date, content-length and transfer-encoding headers;
//   - the JWTs are re-signed with the test's own key (same kid, claims of
//     the same shape, times shifted to now);
//   - the graphql and authentication-flow recordings are not part of the
//     User Import API; c29 (users after group c) is checked against Users().

func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "real-server")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("real-server recordings missing from testdata: %v", err)
	}
	return dir
}

type fixture struct {
	file    string
	Case    string `json:"case"`
	Note    string `json:"note"`
	Request struct {
		Method  string                     `json:"method"`
		URL     string                     `json:"url"`
		Headers map[string]json.RawMessage `json:"headers"`
		Body    json.RawMessage            `json:"body"`
		RawBody *string                    `json:"raw_body"`
	} `json:"request"`
	Response struct {
		Status   int               `json:"status"`
		Headers  map[string]string `json:"headers"`
		BodyText *string           `json:"body_text"`
		BodyJSON json.RawMessage   `json:"body_json"`
	} `json:"response"`
	RecordedAt string `json:"recorded_at"`
}

type authHeader struct {
	Scheme    string         `json:"scheme"`
	JWTHeader map[string]any `json:"jwt_header"`
	JWTClaims map[string]any `json:"jwt_claims"`
}

func loadFixtures(t *testing.T, dir string) []*fixture {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*fixture
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(data, &probe); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := probe["request"]; !ok {
			continue // summaries, timings, h03
		}
		f := &fixture{file: filepath.Base(name)}
		if err := json.Unmarshal(data, f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].RecordedAt != out[j].RecordedAt {
			return out[i].RecordedAt < out[j].RecordedAt
		}
		return out[i].file < out[j].file
	})
	return out
}

// replayer holds the state of one replay run.
type replayer struct {
	t       *testing.T
	s       *Server
	base    string
	client  *http.Client
	jobIDs  map[string]string // recorded job id -> sandbox job id
	userIDs map[string]string // recorded user id -> sandbox user id
	revUser map[string]string
	lastJob string
	passed  map[string]int // group letter -> cases passed
}

func TestReplayRealServer(t *testing.T) {
	dir := fixtureDir(t)
	fixtures := loadFixtures(t, dir)
	if len(fixtures) == 0 {
		t.Fatal("no recordings in testdata/real-server")
	}
	s, hs := newTestServer(t, Options{ProjectID: "myapp"})
	r := &replayer{
		t: t, s: s, base: hs.URL, client: hs.Client(),
		jobIDs: map[string]string{}, userIDs: map[string]string{}, revUser: map[string]string{},
		passed: map[string]int{},
	}
	switchedLoginIDs := false
	total := 0
	for _, f := range fixtures {
		if strings.Contains(f.Request.URL, "/graphql") {
			if f.Case == "c29_graphql_users_after_c" {
				total++
				r.checkC29(f)
			}
			continue
		}
		if !switchedLoginIDs && f.file >= "g" {
			// The recordings enabled phone and username login IDs here.
			r.drain()
			if err := s.SetLoginIDTypes("email", "phone", "username"); err != nil {
				t.Fatal(err)
			}
			switchedLoginIDs = true
		}
		if testing.Short() && bigFixture(f.Case) {
			continue
		}
		total++
		ok := t.Run(f.Case, func(t *testing.T) { r.replay(t, f) })
		if ok {
			r.passed[f.Case[:1]]++
		}
	}
	var groups []string
	sum := 0
	for g, n := range r.passed {
		groups = append(groups, fmt.Sprintf("%s:%d", g, n))
		sum += n
	}
	sort.Strings(groups)
	t.Logf("replayed %d/%d recorded exchanges (%s)", sum, total, strings.Join(groups, " "))
}

// bigFixture: the 3,030- and 15,623-record jobs, left out with -short.
func bigFixture(c string) bool {
	return strings.HasPrefix(c, "d05") || strings.HasPrefix(c, "d06") || strings.HasPrefix(c, "d12") || strings.HasPrefix(c, "d13")
}

func (r *replayer) drain() {
	r.s.Resume()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.s.WaitIdle(ctx); err != nil {
		r.t.Fatal(err)
	}
}

var recordedJobID = regexp.MustCompile(`/_api/admin/users/import/(.+)$`)

func (r *replayer) replay(t *testing.T, f *fixture) {
	req := f.Request
	wantStatus := resultStatus(f.Response.BodyJSON)
	path := strings.TrimPrefix(req.URL, "http://127.0.0.1:3002")
	isStatusGET := req.Method == http.MethodGet && recordedJobID.MatchString(path)

	// Keep the worker where the recording shows it: paused while the
	// server answered "pending", drained before a "completed".
	switch {
	case req.Method == http.MethodPost && f.Response.Status == 200 && wantStatus == StatusPending:
		r.s.Pause()
	case req.Method == http.MethodPost && wantStatus == StatusCompleted:
		// i07: a tiny job already completed in the POST answer.
		r.drain()
		r.s.mu.Lock()
		r.s.inlineWait = 10 * time.Second
		r.s.mu.Unlock()
		defer func() {
			r.s.mu.Lock()
			r.s.inlineWait = 0
			r.s.mu.Unlock()
		}()
	case isStatusGET && wantStatus == StatusCompleted:
		r.drain()
	}

	if isStatusGET {
		m := recordedJobID.FindStringSubmatch(path)
		id := m[1]
		if mapped, ok := r.jobIDs[id]; ok {
			id = mapped
		} else if strings.HasPrefix(id, taskIDPrefix) {
			// k01: an internal task id from the server log: the first task
			// of the job posted last (j03).
			r.s.mu.Lock()
			id = r.s.jobs[r.lastJob].taskIDs[0]
			r.s.mu.Unlock()
		}
		path = importPath + "/" + id
	}

	body, contentType := r.requestBody(t, f)
	auth := r.authorization(t, f)
	got, err := do(t, r.client, req.Method, r.base+path, auth, contentType, body)
	if err != nil {
		t.Fatalf("%s: %v", f.file, err)
	}

	if got.status != f.Response.Status {
		t.Fatalf("%s: status %d, want %d; body %s", f.file, got.status, f.Response.Status, truncate(got.body))
	}
	r.compareHeaders(t, f, got.header)
	if f.Response.BodyText != nil {
		if string(got.body) != *f.Response.BodyText {
			t.Errorf("%s: body %q, want %q", f.file, got.body, *f.Response.BodyText)
		}
		return
	}
	var want, have any
	if err := json.Unmarshal(f.Response.BodyJSON, &want); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(got.body))
	if err := dec.Decode(&have); err != nil {
		t.Fatalf("%s: answer is not JSON: %v: %s", f.file, err, truncate(got.body))
	}
	if bytes.HasSuffix(got.body, []byte("\n")) {
		t.Errorf("%s: answer ends with a newline; the recorded content-lengths show none", f.file)
	}
	// Byte for byte: the answer is compact JSON, and with the run-specific
	// values (ids, timestamps) replaced by the recorded ones it is exactly
	// as long as the recorded answer.
	if compact, _ := json.Marshal(have); len(compact) != len(got.body) {
		t.Errorf("%s: the answer is not compact JSON (%d bytes, %d compact)", f.file, len(got.body), len(compact))
	}
	if cl := f.Response.Headers["content-length"]; cl != "" {
		patched, _ := json.Marshal(patchStrings(want, have))
		if fmt.Sprint(len(patched)) != cl {
			t.Errorf("%s: %d bytes with the recorded ids and times, the server sent %s", f.file, len(patched), cl)
		}
	}

	if req.Method == http.MethodPost && got.status == 200 {
		recID := jsonPath(want, "result", "id").(string)
		newID, _ := jsonPath(have, "result", "id").(string)
		r.jobIDs[recID] = newID
		r.lastJob = newID
	}
	if isStatusGET {
		if res, ok := jsonPath(have, "result").(map[string]any); ok {
			m := recordedJobID.FindStringSubmatch(path)
			if res["id"] != m[1] {
				t.Errorf("%s: result id %v, want %v", f.file, res["id"], m[1])
			}
		}
	}
	r.compare(t, f.file, "$", want, have)
}

func resultStatus(body json.RawMessage) string {
	var v struct {
		Result struct {
			Status string `json:"status"`
		} `json:"result"`
	}
	_ = json.Unmarshal(body, &v)
	return v.Result.Status
}

func jsonPath(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// requestBody rebuilds the recorded body. Bodies the recording left out
// (the large ones) are synthesised from their description and must come
// out at the recorded size.
func (r *replayer) requestBody(t *testing.T, f *fixture) ([]byte, string) {
	req := f.Request
	ct := ""
	if raw, ok := req.Headers["Content-Type"]; ok {
		_ = json.Unmarshal(raw, &ct)
	} else if req.Method == http.MethodPost && len(req.Headers) == 0 && f.Response.Status != http.StatusMethodNotAllowed {
		ct = "application/json" // m01 was recorded without its headers
	}
	omittedSize := -1
	if req.RawBody != nil {
		if m := regexp.MustCompile(`^<(\d+) bytes omitted>$`).FindStringSubmatch(*req.RawBody); m != nil {
			omittedSize, _ = strconv.Atoi(m[1])
		} else {
			return []byte(*req.RawBody), ct
		}
	}
	if len(req.Body) > 0 && string(req.Body) != "null" {
		var desc struct {
			Identifier string `json:"identifier"`
			Records    struct {
				Omitted bool            `json:"_omitted"`
				Count   int             `json:"count"`
				First   json.RawMessage `json:"first"`
			} `json:"records"`
		}
		if err := json.Unmarshal(req.Body, &desc); err == nil && desc.Records.Omitted {
			body := synthesiseRecords(t, f.Case, desc.Identifier, desc.Records.Count, desc.Records.First)
			if omittedSize >= 0 && len(body) != omittedSize {
				t.Fatalf("%s: synthesised body is %d bytes, the recording's was %d", f.file, len(body), omittedSize)
			}
			return body, ct
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, req.Body); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), ct
	}
	if omittedSize >= 0 {
		// d02-d04: one record padded with whitespace to the size.
		body := []byte(`{"identifier":"email","records":[{"email":"padded-` + f.Case[:3] + `@example.com"}]}`)
		return append(body, bytes.Repeat([]byte(" "), omittedSize-len(body))...), ct
	}
	if req.Method == http.MethodGet || len(req.Body) == 0 || string(req.Body) == "null" {
		return nil, ct
	}
	return nil, ct
}

var digits = regexp.MustCompile(`[0-9]+`)

// synthesiseRecords rebuilds an omitted record list: the first record with
// its number counted up, compact JSON in the recorded key order. i01 has an
// invalid email at 150, i03 a null one.
func synthesiseRecords(t *testing.T, c, identifier string, count int, first json.RawMessage) []byte {
	var tmpl bytes.Buffer
	if err := json.Compact(&tmpl, first); err != nil {
		t.Fatal(err)
	}
	var firstRec map[string]any
	_ = json.Unmarshal(first, &firstRec)
	email := firstRec["email"].(string)
	loc := digits.FindStringIndex(email)
	width := loc[1] - loc[0]
	var b bytes.Buffer
	b.WriteString(`{"identifier":"` + identifier + `","records":[`)
	for i := 0; i < count; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		e := fmt.Sprintf("%s%0*d%s", email[:loc[0]], width, i, email[loc[1]:])
		switch {
		case strings.HasPrefix(c, "i01") && i == 150:
			b.WriteString(`{"email":"not-an-email-150"}`)
			continue
		case strings.HasPrefix(c, "i03") && i == 150:
			b.WriteString(`{"email":null}`)
			continue
		}
		b.Write(bytes.Replace(tmpl.Bytes(), []byte(`"`+email+`"`), []byte(`"`+e+`"`), 1))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// authorization rebuilds the Authorization header. Group e reproduces the
// recorded token shapes, signed with the test key, times shifted by
// (now - recorded_at).
func (r *replayer) authorization(t *testing.T, f *fixture) string {
	raw, ok := f.Request.Headers["Authorization"]
	if !ok {
		if f.Response.Status != http.StatusForbidden && f.Response.Status != http.StatusMethodNotAllowed {
			// m01/m02 were recorded without their headers.
			return "Bearer " + token(t, time.Now())
		}
		return ""
	}
	var a authHeader
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if f.Case[0] != 'e' || a.JWTHeader == nil {
		switch f.Case {
		case "e09_garbage_token":
			return "Bearer garbage"
		case "e10_basic_scheme":
			return "Basic " + base64.StdEncoding.EncodeToString([]byte("myapp:secret"))
		}
		return "Bearer " + token(t, time.Now())
	}
	recorded, err := time.Parse(time.RFC3339, f.RecordedAt)
	if err != nil {
		t.Fatal(err)
	}
	shift := time.Now().Unix() - recorded.Unix()
	claims := jwt.MapClaims{}
	for k, v := range a.JWTClaims {
		if n, ok := v.(float64); ok && (k == "iat" || k == "exp" || k == "nbf") {
			claims[k] = int64(n) + shift
		} else {
			claims[k] = v
		}
	}
	var signed string
	switch a.JWTHeader["alg"] {
	case "RS256":
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header = a.JWTHeader
		if signed, err = tok.SignedString(key(t).Private); err != nil {
			t.Fatal(err)
		}
	case "HS256":
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tok.Header = a.JWTHeader
		if signed, err = tok.SignedString(key(t).Private.N.Bytes()); err != nil {
			t.Fatal(err)
		}
	case "none":
		h, _ := json.Marshal(a.JWTHeader)
		c, _ := json.Marshal(claims)
		signed = base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
	default:
		t.Fatalf("unexpected alg %v", a.JWTHeader["alg"])
	}
	if f.Case == "e11_lowercase_bearer" {
		return "bearer " + signed
	}
	return "Bearer " + signed
}

var nonce = regexp.MustCompile(`'nonce-[0-9A-Z]{32}'`)

func (r *replayer) compareHeaders(t *testing.T, f *fixture, got http.Header) {
	for name, want := range f.Response.Headers {
		switch name {
		case "date", "content-length", "transfer-encoding":
			continue
		}
		have := got.Get(name)
		if name == "content-security-policy" {
			want = nonce.ReplaceAllString(want, "'nonce-X'")
			have = nonce.ReplaceAllString(have, "'nonce-X'")
		}
		if have != want {
			t.Errorf("%s: header %s = %q, want %q", f.file, name, have, want)
		}
	}
	for name := range got {
		lower := strings.ToLower(name)
		if _, ok := f.Response.Headers[lower]; !ok && lower != "date" && lower != "content-length" && lower != "transfer-encoding" {
			t.Errorf("%s: unexpected header %s", f.file, name)
		}
	}
}

var (
	jobIDShape  = regexp.MustCompile(`^userimport_[0-9A-HJKMNP-TV-Z]{32}$`)
	taskIDShape = regexp.MustCompile(`^userimporttask__[0-9A-HJKMNP-TV-Z]{32}$`)
	uuidShape   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// compare checks have against the recorded want.
func (r *replayer) compare(t *testing.T, file, path string, want, have any) {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			t.Errorf("%s: %s: got %T, want object", file, path, have)
			return
		}
		for k := range h {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: %s: unexpected key %q", file, path, k)
			}
		}
		if ca, ok := w["created_at"].(string); ok {
			if co, ok := w["completed_at"].(string); ok && ca == co && h["created_at"] != h["completed_at"] {
				t.Errorf("%s: %s: completed_at %v != created_at %v, but they were equal on the server", file, path, h["completed_at"], h["created_at"])
			}
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				t.Errorf("%s: %s: missing key %q", file, path, k)
				continue
			}
			p := path + "." + k
			switch k {
			case "id":
				s, _ := hv.(string)
				if !jobIDShape.MatchString(s) && !taskIDShape.MatchString(s) {
					t.Errorf("%s: %s: id %q has the wrong shape", file, p, s)
				}
				continue
			case "created_at", "completed_at":
				s, _ := hv.(string)
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
					t.Errorf("%s: %s: %q is not an RFC 3339 UTC time", file, p, s)
				}
				continue
			case "tracking_id":
				continue
			case "user_id":
				ws, _ := wv.(string)
				hs, _ := hv.(string)
				if !uuidShape.MatchString(hs) {
					t.Errorf("%s: %s: user_id %q is not a UUID", file, p, hs)
				}
				if prev, ok := r.userIDs[ws]; ok && prev != hs {
					t.Errorf("%s: %s: recorded user %s was sandbox user %s before, now %s", file, p, ws, prev, hs)
				}
				if prev, ok := r.revUser[hs]; ok && prev != ws {
					t.Errorf("%s: %s: sandbox user %s stood for recorded user %s before, now %s", file, p, hs, prev, ws)
				}
				r.userIDs[ws] = hs
				r.revUser[hs] = ws
				continue
			case "details":
				if strings.HasSuffix(path, ".result") {
					r.compareDetails(t, file, p, wv, hv)
					continue
				}
			}
			r.compare(t, file, p, wv, hv)
		}
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			t.Errorf("%s: %s: got %s, want %s", file, path, short(have), short(want))
			return
		}
		for i := range w {
			r.compare(t, file, fmt.Sprintf("%s[%d]", path, i), w[i], h[i])
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(have) || fmt.Sprintf("%T", want) != fmt.Sprintf("%T", have) {
			t.Errorf("%s: %s: got %s, want %s", file, path, short(have), short(want))
		}
	}
}

// compareDetails handles recordings whose details were trimmed to the
// first and last five, with {"_omitted_details": N} in between.
func (r *replayer) compareDetails(t *testing.T, file, path string, want, have any) {
	w, _ := want.([]any)
	h, ok := have.([]any)
	if !ok {
		t.Errorf("%s: %s: got %T, want array", file, path, have)
		return
	}
	omitted := 0
	var kept []any
	for _, d := range w {
		if m, ok := d.(map[string]any); ok {
			if n, ok := m["_omitted_details"].(float64); ok {
				omitted = int(n)
				continue
			}
		}
		kept = append(kept, d)
	}
	if omitted == 0 {
		r.compare(t, file, path, want, have)
		return
	}
	if len(h) != len(kept)+omitted {
		t.Errorf("%s: %s: %d details, want %d", file, path, len(h), len(kept)+omitted)
		return
	}
	byIndex := map[float64]any{}
	for _, d := range h {
		if m, ok := d.(map[string]any); ok {
			byIndex[m["index"].(float64)] = d
		}
	}
	for _, d := range kept {
		idx := d.(map[string]any)["index"].(float64)
		r.compare(t, file, fmt.Sprintf("%s[index %v]", path, idx), d, byIndex[idx])
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	return truncate(b)
}

// checkC29 compares the users after group c with the recorded GraphQL
// listing: the same number of users, with the same emails and numbers of
// identities (identity-less users from disabled login-ID types included).
func (r *replayer) checkC29(f *fixture) {
	r.drain()
	var body struct {
		Data struct {
			Users struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Identities struct {
							TotalCount int `json:"totalCount"`
						} `json:"identities"`
						StandardAttributes map[string]any `json:"standardAttributes"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"users"`
		} `json:"data"`
	}
	if err := json.Unmarshal(f.Response.BodyJSON, &body); err != nil {
		r.t.Fatal(err)
	}
	var want, have []string
	for _, e := range body.Data.Users.Edges {
		email, _ := e.Node.StandardAttributes["email"].(string)
		want = append(want, fmt.Sprintf("%s/%d", email, e.Node.Identities.TotalCount))
	}
	for _, u := range r.s.Users() {
		email := ""
		for _, id := range u.Identities {
			if id.Key == "email" {
				email = id.Value
			}
		}
		have = append(have, fmt.Sprintf("%s/%d", email, len(u.Identities)))
	}
	sort.Strings(want)
	sort.Strings(have)
	if strings.Join(want, " ") != strings.Join(have, " ") {
		r.t.Errorf("c29: users after group c:\n got  %v\n want %v", have, want)
	} else {
		r.passed["c"]++
	}
}

// patchStrings returns have with every string that differs from the
// recorded value at the same place replaced by it.
func patchStrings(want, have any) any {
	switch h := have.(type) {
	case string:
		if w, ok := want.(string); ok {
			return w
		}
	case map[string]any:
		w, _ := want.(map[string]any)
		out := make(map[string]any, len(h))
		for k, v := range h {
			out[k] = patchStrings(w[k], v)
		}
		return out
	case []any:
		w, _ := want.([]any)
		out := make([]any, len(h))
		for i, v := range h {
			var wv any
			if i < len(w) {
				wv = w[i]
			}
			out[i] = patchStrings(wv, v)
		}
		return out
	}
	return have
}
