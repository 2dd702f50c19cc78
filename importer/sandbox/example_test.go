package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// Run a sandbox, import a record with the Admin API JWT a client would
// send, and look at what was stored.
func Example() {
	kp, err := sandbox.GenerateKey()
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, "127.0.0.1:0", sandbox.Options{
		ProjectID: "myapp",
		Keys:      []sandbox.PublicKey{kp.PublicKey()},
	})
	if err != nil {
		panic(err)
	}
	defer sb.Close()

	tok, _ := kp.Token("myapp", time.Now(), 5*time.Minute)
	req, _ := http.NewRequest(http.MethodPost, sb.URL+"/_api/admin/users/import",
		strings.NewReader(`{"identifier":"email","records":[{"email":"Ada@Example.com","email_verified":true}]}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"status":"pending"`))

	_ = sb.WaitIdle(ctx)
	for _, u := range sb.Users() {
		fmt.Println(u.Identities[0].Value, u.VerifiedClaims)
	}
	fmt.Println(sb.Stats().Outcomes)
	// Output:
	// 200 true
	// ada@example.com [{email ada@example.com}]
	// map[inserted:1]
}
