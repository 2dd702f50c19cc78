package adminapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

var (
	sbKeyOnce sync.Once
	sbKey     *sandbox.KeyPair
)

// gqlEnv starts a sandbox (email and phone login IDs) and a client.
func gqlEnv(t *testing.T, o sandbox.Options, wrap func(http.Handler) http.Handler) (*sandbox.Server, *adminapi.Client) {
	t.Helper()
	sbKeyOnce.Do(func() {
		k, err := sandbox.GenerateKey()
		if err != nil {
			panic(err)
		}
		sbKey = k
	})
	o.ProjectID = "myapp"
	o.Keys = []sandbox.PublicKey{sbKey.PublicKey()}
	if o.LoginIDTypes == nil {
		o.LoginIDTypes = []string{"email", "phone"}
	}
	s, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); _ = s.Close() })
	ep, err := adminapi.ParseEndpoint(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "myapp", KeyID: sbKey.KID, Key: sbKey.Private})
	if err != nil {
		t.Fatal(err)
	}
	return s, adminapi.New(ep, ts, adminapi.WithRetry(3, time.Millisecond, 5*time.Millisecond))
}

// importUsers posts records through the client and waits for the job.
func importUsers(t *testing.T, s *sandbox.Server, c *adminapi.Client, records string) *adminapi.Job {
	t.Helper()
	ctx := context.Background()
	job, err := c.CreateImport(ctx, []byte(`{"identifier":"email","records":`+records+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	job, err = c.GetImport(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func TestLookupUsersBatchedAgainstSandbox(t *testing.T) {
	var requests, maxInFlight, inFlight atomic.Int32
	s, c := gqlEnv(t, sandbox.Options{Roles: []string{"admin"}}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == adminapi.GraphQLPath {
				requests.Add(1)
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for {
					m := maxInFlight.Load()
					if n <= m || maxInFlight.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
		})
	})
	var recs []string
	for i := range 120 {
		recs = append(recs, fmt.Sprintf(`{"email":"user%d@example.com","email_verified":true,"phone_number":"+8529876%04d","given_name":"U%d","roles":["admin"]}`, i, 3000+i, i))
	}
	job := importUsers(t, s, c, "["+strings.Join(recs, ",")+"]")
	if job.Summary.Inserted != 120 {
		t.Fatalf("inserted %d", job.Summary.Inserted)
	}
	var lookups []adminapi.LoginIDLookup
	for i := range 120 {
		lookups = append(lookups, adminapi.LoginIDLookup{Key: "email", Value: fmt.Sprintf("USER%d@example.com", i)})
	}
	lookups = append(lookups, adminapi.LoginIDLookup{Key: "email", Value: "nobody@example.com"}, adminapi.LoginIDLookup{Key: "nickname", Value: "x"})
	var progress atomic.Int32
	res, err := c.LookupUsers(context.Background(), lookups, adminapi.BatchOptions{Size: 25, Concurrency: 2, Progress: func(done int) { progress.Store(int32(done)) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := requests.Load(); got != 5 { // 122 look-ups, 25 a request
		t.Errorf("%d requests, want 5", got)
	}
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("%d requests at once, want at most 2", m)
	}
	if progress.Load() != 122 {
		t.Errorf("progress ended at %d", progress.Load())
	}
	for i := range 120 {
		u := res[i].User
		if res[i].Err != nil || u == nil {
			t.Fatalf("look-up %d: %+v", i, res[i])
		}
		if u.UserID != job.Details[i].UserID || u.ID != adminapi.UserGlobalID(u.UserID) {
			t.Errorf("look-up %d: user %s, job says %s", i, u.UserID, job.Details[i].UserID)
		}
		if u.StandardAttributes["given_name"] != fmt.Sprintf("U%d", i) || u.StandardAttributes["email_verified"] != true {
			t.Errorf("look-up %d: %v", i, u.StandardAttributes)
		}
		if len(u.Roles) != 1 || u.Roles[0] != "admin" || len(u.LoginIDs) != 2 || u.LoginIDs[1].Key != "phone" {
			t.Errorf("look-up %d: roles %v login ids %v", i, u.Roles, u.LoginIDs)
		}
	}
	if res[120].User != nil || res[120].Err != nil {
		t.Errorf("missing user: %+v", res[120])
	}
	if !adminapi.IsReason(res[121].Err, adminapi.ReasonGetUsersInvalidArgument) {
		t.Errorf("bad key: %v", res[121].Err)
	}

	// By user id, one deleted behind the client's back.
	ids := []string{job.Details[0].UserID, job.Details[1].UserID}
	s.DeleteUser(ids[0])
	users, err := c.UsersByID(context.Background(), ids, adminapi.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if users[0] != nil || users[1] == nil || users[1].UserID != ids[1] {
		t.Fatalf("UsersByID: %+v", users)
	}
}

func TestRolesGroupsAndDeleteAgainstSandbox(t *testing.T) {
	s, c := gqlEnv(t, sandbox.Options{Roles: []string{"existing"}}, nil)
	ctx := context.Background()
	roles, err := c.RoleKeys(ctx)
	if err != nil || len(roles) != 1 || roles[0] != "existing" {
		t.Fatalf("roles %v %v", roles, err)
	}
	for i := range 130 { // more than one page of 100
		if created, err := c.CreateRole(ctx, fmt.Sprintf("r%d", i), "R"); !created || err != nil {
			t.Fatalf("create r%d: %v %v", i, created, err)
		}
	}
	if created, err := c.CreateRole(ctx, "r1", "again"); created || err != nil {
		t.Fatalf("duplicate: %v %v", created, err)
	}
	if _, err := c.CreateRole(ctx, "beta-testers", "x"); err == nil {
		t.Fatal("a key with a hyphen was accepted")
	}
	roles, err = c.RoleKeys(ctx)
	if err != nil || len(roles) != 131 {
		t.Fatalf("%d roles, %v", len(roles), err)
	}
	if created, err := c.CreateGroup(ctx, "beta_testers", "Beta"); !created || err != nil {
		t.Fatalf("group: %v %v", created, err)
	}
	if created, err := c.CreateGroup(ctx, "beta_testers", "Beta"); created || err != nil {
		t.Fatalf("duplicate group: %v %v", created, err)
	}
	groups, err := c.GroupKeys(ctx)
	if err != nil || len(groups) != 1 {
		t.Fatalf("groups %v %v", groups, err)
	}
	job := importUsers(t, s, c, `[{"email":"a@example.com","roles":["r5"],"groups":["beta_testers"]}]`)
	uid := job.Details[0].UserID
	if job.Summary.Inserted != 1 {
		t.Fatalf("import: %+v", job.Details[0])
	}
	if deleted, err := c.DeleteUser(ctx, uid); !deleted || err != nil {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if deleted, err := c.DeleteUser(ctx, uid); deleted || err != nil {
		t.Fatalf("delete again: %v %v", deleted, err)
	}
	if u, err := c.LookupUser(ctx, "email", "a@example.com"); u != nil || err != nil {
		t.Fatalf("deleted user found: %v %v", u, err)
	}
}

// TestGraphQLErrorsAndRetries: a 503 is retried; a syntax error (500 in
// the REST envelope) is an *APIError; tokens never come back.
func TestGraphQLErrorsAndRetries(t *testing.T) {
	var fails atomic.Int32
	fails.Store(2)
	_, c := gqlEnv(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if fails.Add(-1) >= 0 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	resp, err := c.GraphQL(context.Background(), `{ roles(first: 1) { totalCount } }`, nil)
	if err != nil || resp.Attempts != 3 || string(resp.Data) != `{"roles":{"totalCount":0}}` {
		t.Fatalf("%+v %v", resp, err)
	}
	c2 := adminapi.New(c.Endpoint(), mustTS(t), adminapi.WithRetry(1, 0, 0))
	_, err = c2.GraphQL(context.Background(), `{ roles(first: 1) { totalCount `, nil)
	var ae *adminapi.APIError
	if !errors.As(err, &ae) || ae.Reason != adminapi.ReasonUnexpectedError || ae.Status != 500 {
		t.Fatalf("syntax error: %v", err)
	}
	_, err = c2.GraphQL(context.Background(), `mutation { deleteUser(input: {userID: "53b8da4a-e6a3-49e7-a4d4-14c6d08f093f"}) { deletedUserID } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func mustTS(t *testing.T) *adminapi.TokenSource {
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "myapp", KeyID: sbKey.KID, Key: sbKey.Private})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestGraphQLErrorsDecoded decodes the recorded answers of q06, q11, q12
// and q16 through a server that replays them.
func TestGraphQLErrorsDecoded(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "real-server")
	for _, tc := range []struct{ file, reason, path string }{
		{"q06_getUserByLoginID_badkey.json", adminapi.ReasonGetUsersInvalidArgument, "user"},
		{"q11_createRole_again.json", adminapi.ReasonRoleDuplicateKey, "createRole"},
		{"q12_createGroup.json", adminapi.ReasonValidationFailed, "createGroup"},
		{"q16_deleteUser_again.json", adminapi.ReasonUserNotFound, "deleteUser"},
		{"q18_deleteUser_raw_uuid.json", adminapi.ReasonInvalid, "deleteUser"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatalf("recording missing from testdata: %v", err)
		}
		var rec struct {
			Response struct {
				BodyJSON json.RawMessage `json:"body_json"`
			} `json:"response"`
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(rec.Response.BodyJSON)
		}))
		ep, _ := adminapi.ParseEndpoint(hs.URL)
		c := adminapi.New(ep, mustTSFor(t))
		resp, err := c.GraphQL(context.Background(), "{ x }", nil)
		hs.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if len(resp.Errors) != 1 || !adminapi.IsReason(resp.Errors, tc.reason) || len(resp.Errors.ForPath(tc.path)) != 1 {
			t.Errorf("%s: %+v", tc.file, resp.Errors)
		}
		if tc.reason == adminapi.ReasonValidationFailed && len(resp.Errors[0].Causes()) != 1 {
			t.Errorf("%s: causes %v", tc.file, resp.Errors[0].Causes())
		}
	}
}

func mustTSFor(t *testing.T) *adminapi.TokenSource {
	sbKeyOnce.Do(func() {
		k, err := sandbox.GenerateKey()
		if err != nil {
			panic(err)
		}
		sbKey = k
	})
	return mustTS(t)
}

// TestGeneratedOperationsMatchSchema: every operation the client sends,
// the batched one included, validates against the recorded schema.
func TestGeneratedOperationsMatchSchema(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "admin-schema.graphql", Input: sandbox.AdminSchema})
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range adminapi.OperationsForTest() {
		if _, errs := gqlparser.LoadQuery(schema, q); errs != nil {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestUserGlobalID(t *testing.T) {
	// real-server/q15: the report's user id and the global id sent.
	if got := adminapi.UserGlobalID("95c39b3e-d614-488c-adcc-5b9bb77f8ecf"); got != "VXNlcjo5NWMzOWIzZS1kNjE0LTQ4OGMtYWRjYy01YjliYjc3ZjhlY2Y" {
		t.Errorf("global id %s", got)
	}
	if id, ok := adminapi.UserIDFromGlobal("VXNlcjo5NWMzOWIzZS1kNjE0LTQ4OGMtYWRjYy01YjliYjc3ZjhlY2Y"); !ok || id != "95c39b3e-d614-488c-adcc-5b9bb77f8ecf" {
		t.Errorf("user id %q %v", id, ok)
	}
	if _, ok := adminapi.UserIDFromGlobal("Um9sZTo5MzhhZDQyNy1jZWE1LTRjNjctODY0Yy1lMmNmN2Y0M2VlYzI"); ok {
		t.Error("a role id was taken for a user id")
	}
}
