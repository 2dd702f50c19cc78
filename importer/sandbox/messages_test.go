package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestSendResetPasswordMessage: the mutation records one message per
// email or phone login ID equal to the value (normalised as stored) and
// answers {"sendResetPasswordMessage": null}; a username, or a value no
// one holds, is Authgear's ForgotPasswordFailed with cause UserNotFound
// (authgear-server pkg/lib/feature/forgotpassword) and sends nothing.
func TestSendResetPasswordMessage(t *testing.T) {
	s, hs := newTestServer(t, Options{LoginIDTypes: []string{keyEmail, keyPhone, "username"}})
	importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"ann@example.com","phone_number":"+85298763116"},{"email":"bo@example.com","preferred_username":"bo"}]}`)
	send := func(loginID string) map[string]any {
		b, _ := json.Marshal(map[string]any{"query": `mutation($i:SendResetPasswordMessageInput!){ sendResetPasswordMessage(input:$i) }`,
			"variables": map[string]any{"i": map[string]any{"loginID": loginID}}})
		r, err := do(t, hs.Client(), http.MethodPost, hs.URL+graphqlPath, "Bearer "+token(t, time.Now()), "application/json", b)
		if err != nil || r.status != 200 {
			t.Fatalf("%d %v %s", r.status, err, r.body)
		}
		return r.json(t)
	}
	for _, id := range []string{"ann@example.com", "+85298763116"} {
		got := send(id)
		if got["errors"] != nil || !jsonSame(got["data"], map[string]any{"sendResetPasswordMessage": nil}) {
			t.Errorf("%s: %v", id, got)
		}
	}
	ms := s.Messages()
	if len(ms) != 2 || ms[0].Channel != "email" || ms[0].Target != "ann@example.com" || ms[1].Channel != "sms" || ms[1].Target != "+85298763116" ||
		ms[0].UserID == "" || ms[0].UserID != ms[1].UserID || ms[0].Kind != MessageResetPassword {
		t.Errorf("messages %+v", ms)
	}
	for _, id := range []string{"bo", "nobody@example.com"} {
		got := send(id)
		errs, _ := got["errors"].([]any)
		if len(errs) != 1 || !jsonSame(got["data"], map[string]any{"sendResetPasswordMessage": nil}) {
			t.Fatalf("%s: %v", id, got)
		}
		e := errs[0].(map[string]any)
		want := map[string]any{"errorName": "Invalid", "reason": "ForgotPasswordFailed", "info": map[string]any{"cause": map[string]any{"kind": "UserNotFound"}}}
		if e["message"] != "specified user not found" || !jsonSame(e["extensions"], want) {
			t.Errorf("%s: %v", id, e)
		}
	}
	if n := len(s.Messages()); n != 2 {
		t.Errorf("%d messages after two unknown login IDs, want 2", n)
	}
}
