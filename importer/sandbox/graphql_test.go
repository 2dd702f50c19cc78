package sandbox

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGraphQLReplayGroupQ sends every group q recording, in order, to one
// sandbox seeded with the recorded users (same uuids, same attributes) and
// compares status, content type and body: user ids exactly, other global
// ids by type and shape, timestamps by shape, tracking ids not at all.
func TestGraphQLReplayGroupQ(t *testing.T) {
	dir := fixtureDir(t)
	names, err := filepath.Glob(filepath.Join(dir, "q*.json"))
	if err != nil || len(names) < 20 {
		t.Fatalf("want the 20 group q recordings, found %d (%v)", len(names), err)
	}
	var fixtures []*fixture
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{file: filepath.Base(n)}
		if err := json.Unmarshal(data, f); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		fixtures = append(fixtures, f)
	}
	s, hs := newTestServer(t, Options{LoginIDTypes: []string{keyEmail, keyPhone, keyUsername}})
	seedGroupQ(t, s, fixtures)
	for _, f := range fixtures {
		t.Run(f.Case, func(t *testing.T) {
			r, err := do(t, hs.Client(), http.MethodPost, hs.URL+graphqlPath, "Bearer "+token(t, time.Now()), "application/json", f.Request.Body)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != f.Response.Status {
				t.Fatalf("status %d, want %d: %s", r.status, f.Response.Status, r.body)
			}
			if got, want := r.header.Get("Content-Type"), f.Response.Headers["content-type"]; got != want {
				t.Errorf("content-type %q, want %q", got, want)
			}
			var want, have any
			if err := json.Unmarshal(f.Response.BodyJSON, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(r.body, &have); err != nil {
				t.Fatalf("answer is not JSON: %s", r.body)
			}
			compareGQL(t, "$", want, have)
		})
	}
}

var (
	uuidRe     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	aliasEmail = regexp.MustCompile(`(u\d+): getUserByLoginID\(loginIDKey:"email", loginIDValue:("(?:[^"\\]|\\.)*")\)`)
)

// seedGroupQ puts the users the recordings show into the store with their
// recorded uuids: the full user of q01, the users of q19, the 50 of q08
// (id and email), and the user deleted in q15 (email from q17).
func seedGroupQ(t *testing.T, s *Server, fixtures []*fixture) {
	t.Helper()
	byCase := map[string]*fixture{}
	for _, f := range fixtures {
		byCase[f.Case] = f
	}
	body := func(c string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(byCase[c].Response.BodyJSON, &m); err != nil {
			t.Fatal(err)
		}
		return m["data"].(map[string]any)
	}
	seen := map[string]bool{}
	seed := func(u map[string]any, withPassword bool) {
		gid := u["id"].(string)
		typ, id, ok := parseGlobalID(gid)
		if !ok || typ != "User" || seen[id] {
			return
		}
		seen[id] = true
		created, _ := time.Parse(time.RFC3339Nano, u["createdAt"].(string))
		std, _ := u["standardAttributes"].(map[string]any)
		nu := &user{id: id, createdAt: created, updatedAt: created, std: map[string]any{}, custom: map[string]any{}}
		for _, k := range identityFields {
			v, ok := std[k].(string)
			if !ok {
				continue
			}
			key := keyForField[k]
			claim, err := normalizeLoginID(key, v)
			if err != nil {
				t.Fatal(err)
			}
			nu.identities = append(nu.identities, &identity{id: newUUID(), userID: id, key: key, claim: claim, original: v})
			if std[k+"_verified"] == true {
				nu.verified = append(nu.verified, Claim{Name: k, Value: claim})
			}
		}
		for k, v := range std {
			switch k {
			case "email", "phone_number", "preferred_username", "email_verified", "phone_number_verified":
			case "updated_at":
				nu.updatedAt = time.Unix(int64(v.(float64)), 0)
			default:
				nu.std[k] = v
			}
		}
		if withPassword {
			nu.password = &password{hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}
		}
		s.mu.Lock()
		s.store.put(nu)
		s.mu.Unlock()
	}
	seed(body("q01_getUserByLoginID_email")["user"].(map[string]any), true)
	for _, n := range body("q19_nodes_batch")["nodes"].([]any) {
		if n != nil {
			seed(n.(map[string]any), false)
		}
	}
	// q15 deletes this user; q17 looks its email up afterwards.
	var q15 struct {
		Variables struct {
			I struct {
				UserID string `json:"userID"`
			} `json:"i"`
		} `json:"variables"`
	}
	var q17 struct {
		Variables struct {
			V string `json:"v"`
		} `json:"variables"`
	}
	_ = json.Unmarshal(byCase["q15_deleteUser"].Request.Body, &q15)
	_ = json.Unmarshal(byCase["q17_getUserByLoginID_deleted"].Request.Body, &q17)
	seed(map[string]any{"id": q15.Variables.I.UserID, "createdAt": "2026-11-28T05:51:22.4Z",
		"standardAttributes": map[string]any{"email": q17.Variables.V, "email_verified": true}}, false)
	var q08 struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(byCase["q08_batch_50_aliases"].Request.Body, &q08)
	data := body("q08_batch_50_aliases")
	for _, m := range aliasEmail.FindAllStringSubmatch(q08.Query, -1) {
		email, err := strconv.Unquote(m[2])
		if err != nil {
			t.Fatalf("q08 %s: %v", m[1], err)
		}
		u := data[m[1]].(map[string]any)
		seed(map[string]any{"id": u["id"], "createdAt": u["createdAt"], "standardAttributes": map[string]any{"email": email}}, false)
	}
	if len(seen) != 53 {
		t.Fatalf("seeded %d users, want 53 (1 of q01, 2 of q19, 1 of q15, 49 more of q08)", len(seen))
	}
}

// compareGQL compares a recorded answer with the sandbox's.
func compareGQL(t *testing.T, path string, want, have any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			t.Errorf("%s: got %s, want an object", path, short(have))
			return
		}
		for k := range h {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: unexpected key %q", path, k)
			}
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				t.Errorf("%s: missing key %q", path, k)
				continue
			}
			p := path + "." + k
			switch k {
			case "tracking_id":
				continue
			case "createdAt", "updatedAt":
				if _, err := time.Parse(time.RFC3339Nano, hv.(string)); err != nil {
					t.Errorf("%s: %v is not a time", p, hv)
				}
				continue
			case "updated_at":
				if _, ok := hv.(float64); !ok {
					t.Errorf("%s: %v is not a number", p, hv)
				}
				continue
			case "id", "deletedUserID":
				wt, wid, _ := parseGlobalID(wv.(string))
				ht, hid, ok := parseGlobalID(hv.(string))
				if !ok || ht != wt || !uuidRe.MatchString(hid) || (wt == "User" && hid != wid) {
					t.Errorf("%s: id %v (%s:%s), want %s:%s", p, hv, ht, hid, wt, wid)
				}
				continue
			}
			compareGQL(t, p, wv, hv)
		}
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			t.Errorf("%s: got %s, want %s", path, short(have), short(want))
			return
		}
		// identities and authenticators are compared in order; the
		// sandbox keeps creation order as the server does.
		for i := range w {
			compareGQL(t, path+"["+strconv.Itoa(i)+"]", w[i], h[i])
		}
	default:
		if !jsonSame(want, have) {
			t.Errorf("%s: got %s, want %s", path, short(have), short(want))
		}
	}
}

func jsonSame(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestGraphQLRefusesUnknownFields: the schema the real server reported
// decides; a field it does not have is refused with HTTP 200 and an error,
// a syntax error is a 500.
func TestGraphQLRefusesUnknownFields(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	for _, tc := range []struct {
		query  string
		status int
		want   string
	}{
		{`{ roles(first: 1) { totalCount nope } }`, 200, `Cannot query field \"nope\" on type \"RoleConnection\"`},
		{`{ getUserByLoginID(loginIDKey: "email", loginIDValue: "a@b.c") { id password } }`, 200, `Cannot query field \"password\"`},
		{`{ roles(first: 1) { totalCount `, 500, `UnexpectedError`},
	} {
		b, _ := json.Marshal(map[string]any{"query": tc.query})
		r, err := do(t, hs.Client(), http.MethodPost, hs.URL+graphqlPath, "Bearer "+token(t, time.Now()), "application/json", b)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %s", tc.query, r.status, r.body, tc.status, tc.want)
		}
	}
	// No token: the same 403 as the import API.
	r, err := do(t, hs.Client(), http.MethodPost, hs.URL+graphqlPath, "", "application/json", []byte(`{"query":"{ roles(first:1){ totalCount } }"}`))
	if err != nil || r.status != 403 {
		t.Fatalf("no token: %d %v", r.status, err)
	}
}

// TestGraphQLAfterImport: users imported through the import API are found
// by login ID (normalised), by node id, and deleted.
func TestGraphQLAfterImport(t *testing.T) {
	s, hs := newTestServer(t, Options{LoginIDTypes: []string{keyEmail, keyPhone}, Roles: []string{"admin"}})
	res := importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"Ann@Example.com","phone_number":"+85298763116","email_verified":true,"given_name":"Ann","roles":["admin"],"custom_attributes":{}}]}`)
	uid := res["details"].([]any)[0].(map[string]any)["user_id"].(string)
	gql := func(q string, vars map[string]any) map[string]any {
		b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		r, err := do(t, hs.Client(), http.MethodPost, hs.URL+graphqlPath, "Bearer "+token(t, time.Now()), "application/json", b)
		if err != nil || r.status != 200 {
			t.Fatalf("%d %v %s", r.status, err, r.body)
		}
		return r.json(t)
	}
	got := gql(`query($v:String!){ u: getUserByLoginID(loginIDKey:"email", loginIDValue:$v){ id standardAttributes roles { edges { node { key } } } verifiedClaims { name value } } }`, map[string]any{"v": "ANN@example.COM"})
	u := got["data"].(map[string]any)["u"].(map[string]any)
	if u["id"] != globalID("User", uid) {
		t.Fatalf("id %v, want the global id of %s", u["id"], uid)
	}
	std := u["standardAttributes"].(map[string]any)
	if std["email"] != "ann@example.com" || std["email_verified"] != true || std["phone_number_verified"] != false || std["given_name"] != "Ann" {
		t.Errorf("standardAttributes %v", std)
	}
	if !jsonSame(u["roles"], map[string]any{"edges": []any{map[string]any{"node": map[string]any{"key": "admin"}}}}) {
		t.Errorf("roles %v", u["roles"])
	}
	del := gql(`mutation($i:DeleteUserInput!){ deleteUser(input:$i){ deletedUserID } }`, map[string]any{"i": map[string]any{"userID": globalID("User", uid)}})
	if del["errors"] != nil {
		t.Fatalf("delete: %v", del)
	}
	if len(s.Users()) != 0 {
		t.Fatalf("users after delete: %d", len(s.Users()))
	}
	// The login id is free again.
	res = importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"ann@example.com"}]}`)
	if res["details"].([]any)[0].(map[string]any)["outcome"] != "inserted" {
		t.Fatalf("re-import after delete: %v", res)
	}
}
