package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// gql sends one GraphQL query and decodes the answer.
func gql(t *testing.T, hs interface {
	Client() *http.Client
}, url, query string, vars map[string]any) (map[string]any, http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	r, err := do(t, hs.Client(), http.MethodPost, url+graphqlPath, "Bearer "+token(t, time.Now()), "application/json", body)
	if err != nil || r.status != 200 {
		t.Fatalf("graphql: %v %d %s", err, r.status, r.body)
	}
	return r.json(t), r.header
}

// TestGraphQLDeleteRoleAndGroup: roles and groups say how many users hold
// them; deleteRole and deleteGroup remove them (and take them from their
// users); a second deletion is NotFound; a role's id does not delete a
// group. The answer's Date is the project's clock.
func TestGraphQLDeleteRoleAndGroup(t *testing.T) {
	clock := time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Second) // within the tokens' allowed skew
	s, hs := newTestServer(t, Options{Roles: []string{"admin", "viewer"}, Groups: []string{"staff"}, Now: func() time.Time { return clock }})
	importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"a@example.com","roles":["admin"],"groups":["staff"]},{"email":"b@example.com","roles":["admin"]}]}`)
	const usage = `query { roles(first: 10) { edges { node { id key users(first: 1) { totalCount } groups(first: 1) { totalCount } } } }
		groups(first: 10) { edges { node { id key users(first: 1) { totalCount } roles(first: 1) { totalCount } } } } }`
	ans, h := gql(t, hs, hs.URL, usage, nil)
	if d, err := http.ParseTime(h.Get("Date")); err != nil || !d.Equal(clock) {
		t.Fatalf("Date %q, want the project's clock %s", h.Get("Date"), clock)
	}
	ids := map[string]string{}
	counts := map[string]float64{}
	for _, kind := range []string{"roles", "groups"} {
		for _, e := range ans["data"].(map[string]any)[kind].(map[string]any)["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			k := kind + " " + n["key"].(string)
			ids[k] = n["id"].(string)
			counts[k] = n["users"].(map[string]any)["totalCount"].(float64)
		}
	}
	if counts["roles admin"] != 2 || counts["roles viewer"] != 0 || counts["groups staff"] != 1 {
		t.Fatalf("holders %v", counts)
	}
	del := func(op, id string) map[string]any {
		a, _ := gql(t, hs, hs.URL, `mutation($id: ID!) { `+op+`(input: {id: $id}) { ok } }`, map[string]any{"id": id})
		return a
	}
	if a := del("deleteRole", ids["roles admin"]); !strings.Contains(mustJSON(a), `"ok":true`) {
		t.Fatalf("deleteRole: %s", mustJSON(a))
	}
	if a := del("deleteGroup", ids["groups staff"]); !strings.Contains(mustJSON(a), `"ok":true`) {
		t.Fatalf("deleteGroup: %s", mustJSON(a))
	}
	if got := strings.Join(s.Roles(), ","); got != "viewer" || len(s.Groups()) != 0 {
		t.Fatalf("left: roles %s groups %v", got, s.Groups())
	}
	for _, u := range s.Users() {
		if len(u.Roles) != 0 || len(u.Groups) != 0 {
			t.Fatalf("user %s still holds %v %v", u.ID, u.Roles, u.Groups)
		}
	}
	if a := del("deleteRole", ids["roles admin"]); !strings.Contains(mustJSON(a), `"reason":"RoleNotFound"`) {
		t.Fatalf("second deleteRole: %s", mustJSON(a))
	}
	if a := del("deleteGroup", ids["roles viewer"]); !strings.Contains(mustJSON(a), `"reason":"Invalid"`) || len(s.Roles()) != 1 {
		t.Fatalf("deleteGroup with a role id: %s", mustJSON(a))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
