package importer

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// wantValues checks the records' values: row → field → JSON ("" absent).
func (r *exportRun) wantValues(t *testing.T, want map[int]map[string]string) {
	t.Helper()
	for row, fields := range want {
		for k, v := range fields {
			if got := FieldValue(r.rows[row], k); got != v {
				t.Errorf("row %d: %s = %s, want %s", row, k, got, v)
			}
		}
	}
}

// TestKratosTOTPURL (issue 18: the TOTP inside totp_url was not
// imported): the secret of each identity's otpauth:// URI becomes its TOTP
// secret when Authgear's TOTP can check it, and the others are left out
// with their reasons.
func TestKratosTOTPURL(t *testing.T) {
	r := mapAndPrepare(t, "kratos-totp.json", SuggestOptions{}, nil)
	if r.m.Preset != "kratos" {
		t.Fatalf("preset %q", r.m.Preset)
	}
	wantFields(t, r.m, map[string]string{"mfa.totp.secret": kratosTOTPPath})
	if f := r.m.Fields["mfa.totp.secret"]; f.Invalid != InvalidDrop || len(f.Transforms) != 1 || f.Transforms[0].Name != "otpauth" {
		t.Errorf("mfa.totp.secret: %+v", f)
	}
	if r.stats.Valid != 7 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 7 and 0", r.stats.Valid, r.stats.Invalid)
	}
	r.wantValues(t, map[int]map[string]string{
		1: {"mfa.totp.secret": `"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"`},
		2: {"mfa.totp.secret": ""},
		3: {"mfa.totp.secret": ""},
		4: {"mfa.totp.secret": ""},
		5: {"mfa.totp.secret": ""},
		6: {"mfa.totp.secret": `"JBSWY3DPEHPK3PXP"`},
		7: {"mfa.totp.secret": ""},
	})
	for row, reason := range map[int]string{2: "not_sha1", 3: "not_6_digits", 4: "not_30_seconds", 5: "hotp", 1: "", 7: ""} {
		want := ""
		if reason != "" {
			want = DroppedNote("mfa.totp.secret", reason)
		}
		if got := r.rows[row].Reason(); got != want {
			t.Errorf("row %d: %q, want %q", row, got, want)
		}
	}
	r.wantNotes(t, []string{"6 of the 7 sampled users have an authenticator app (TOTP) in Kratos: 2 of them keep it"})
	if n := r.note("credential of type totp"); n != "" {
		t.Errorf("the imported TOTP is said not carried over: %q", n)
	}
}

// TestExportKeycloakOTP (issue 16 item 5): a Keycloak realm's otp
// credentials become TOTP secrets when Authgear's TOTP can check them;
// the others are left out with their reason, and the users imported
// without them (or rejected, under fields.mfa.totp.secret.invalid:
// reject).
func TestExportKeycloakOTP(t *testing.T) {
	r := mapAndPrepare(t, "keycloak-otp.json", SuggestOptions{}, nil)
	if r.m.Preset != "keycloak" {
		t.Fatalf("preset %q", r.m.Preset)
	}
	f := r.m.Fields["mfa.totp.secret"]
	if f == nil || f.From != keycloakOTPSecretPath || f.Invalid != InvalidDrop || len(f.Transforms) != 1 || f.Transforms[0] != TA("keycloak_otp", keycloakOTPDataPath) {
		t.Fatalf("mfa.totp.secret: %+v", f)
	}
	if r.stats.Valid != 8 || r.stats.Invalid != 0 {
		t.Fatalf("valid %d invalid %d, want 8 and 0", r.stats.Valid, r.stats.Invalid)
	}
	b32 := func(s string) string {
		return `"` + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(s)) + `"`
	}
	want := map[int]struct{ secret, reason string }{
		1: {b32("dGzFdIlSb8j4TwFHmsuj"), ""},
		2: {"", "imported without mfa.totp.secret: not_sha1"},
		3: {"", "imported without mfa.totp.secret: not_6_digits"},
		4: {"", "imported without mfa.totp.secret: not_30_seconds"},
		5: {"", "imported without mfa.totp.secret: hotp"},
		6: {`"JBSWY3DPEHPK3PXP"`, ""},
		7: {"", ""},
		// The first of two OTP credentials.
		8: {b32("Mn4bVc8Xz2Lk6Jh0Gf3D"), ""},
	}
	for row, w := range want {
		p := r.rows[row]
		if got := FieldValue(p, "mfa.totp.secret"); got != w.secret {
			t.Errorf("row %d: mfa.totp.secret %s, want %s", row, got, w.secret)
		}
		if got := p.Reason(); got != w.reason {
			t.Errorf("row %d: reason %q, want %q", row, got, w.reason)
		}
	}
	if got := r.stats.DroppedFields["mfa.totp.secret"]; len(got) != 4 || got[DropTOTPAlgorithm] != 1 || got[DropTOTPDigits] != 1 || got[DropTOTPPeriod] != 1 || got[DropTOTPCounter] != 1 {
		t.Errorf("dropped: %v", r.stats.DroppedFields)
	}
	r.wantNotes(t,
		[]string{"7 of the 8 sampled users have an authenticator app (TOTP) in Keycloak: 3 of them keep it", "the other 4", "fields.mfa.totp.secret.invalid: drop"},
		[]string{"1 sampled user has several OTP credentials in Keycloak: the first is imported"},
		[]string{"Authgear sets TOTP secrets (mfa.totp.secret) only on the users an import creates", "upsert: true"},
		[]string{"4 of the 8 sampled records have a mfa.totp.secret Authgear would refuse (hotp, not_30_seconds, not_6_digits, not_sha1)"},
	)
	if n := r.note("OTP authenticator in Keycloak"); n != "" {
		t.Errorf("the users whose OTP credential is in the export are said to enrol again: %q", n)
	}
	// reject restores rejecting the record, with the reason.
	r = mapAndPrepare(t, "keycloak-otp.json", SuggestOptions{}, func(m *Mapping) { m.Fields["mfa.totp.secret"].Invalid = InvalidReject })
	if r.stats.Valid != 4 || r.stats.Invalid != 4 {
		t.Fatalf("reject: valid %d invalid %d, want 4 and 4", r.stats.Valid, r.stats.Invalid)
	}
	for row, w := range map[int]string{2: "TOTP secret uses HmacSHA256: Authgear's TOTP checks codes with SHA1 only", 3: "8-digit", 4: "60-second", 5: "counter-based (HOTP)"} {
		if got := r.rows[row].Reason(); !strings.Contains(got, w) {
			t.Errorf("reject row %d: %q, want %q", row, got, w)
		}
	}
}

// TestExportKeycloakOTPSandbox (issue 16's check): the record sent holds
// the TOTP secret, the sandbox stores it, and the codes the person's app
// computes from the Keycloak secret are the codes Authgear accepts with
// the stored one. A rerun with upsert: true says that it leaves the
// secrets as they were, and it does.
func TestExportKeycloakOTPSandbox(t *testing.T) {
	// The sandbox's clock is the real one for the import, then stands
	// still for the sign-ins, so that a code is checked at the instant it
	// was computed for.
	var clockMu sync.Mutex
	var frozen time.Time
	now := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		if !frozen.IsZero() {
			return frozen
		}
		return time.Now()
	}
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "username"}, Now: now})
	r := mapAndPrepare(t, "keycloak-otp.json", SuggestOptions{}, nil)
	dir := t.TempDir()
	mp := filepath.Join(dir, "keycloak.mapping.yaml")
	if _, err := SaveMapping(mp, r.m, nil, false); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join("testdata", "exports", "keycloak-otp.json")
	run := func(m *Mapping, report string) RunSummary {
		t.Helper()
		s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: filepath.Join(dir, report),
			Target: &Destination{API: e.api, ID: "sandbox test"}, Import: e.fastOptions(false)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The records as they are sent (a dry run writes them).
	emit := filepath.Join(dir, "records.json")
	if _, err := Run(context.Background(), RunConfig{Mapping: r.m, MappingPath: mp, Input: input, DryRun: true, Report: filepath.Join(dir, "dry.report.csv"), EmitJSON: emit}); err != nil {
		t.Fatal(err)
	}
	sent, err := os.ReadFile(emit)
	if err != nil {
		t.Fatal(err)
	}
	rawB32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("dGzFdIlSb8j4TwFHmsuj"))
	if !strings.Contains(strings.Join(strings.Fields(string(sent)), ""), `"totp":{"secret":"`+rawB32+`"}`) {
		t.Errorf("the records sent do not hold ana's TOTP secret")
	}
	s := run(r.m, "first.report.csv")
	if s.Inserted != 8 {
		t.Fatalf("inserted %d, want 8: %+v", s.Inserted, s)
	}
	for _, n := range s.Notes {
		if strings.Contains(n, "only on the users an import creates") {
			t.Errorf("a run without upsert says what an update ignores: %q", n)
		}
	}
	secrets := map[string][]string{}
	for _, u := range e.sb.Users() {
		for _, id := range u.Identities {
			if id.Key == "email" {
				secrets[id.Value] = u.MFA.TOTPSecrets
			}
		}
	}
	// What Keycloak's TimeBasedOTP checks: HMAC-SHA1 over the raw value.
	keycloakKey := map[string][]byte{"ana@example.com": []byte("dGzFdIlSb8j4TwFHmsuj"), "hal@example.com": []byte("Mn4bVc8Xz2Lk6Jh0Gf3D")}
	finn, _ := base32.StdEncoding.DecodeString("JBSWY3DPEHPK3PXP")
	keycloakKey["finn@example.com"] = finn
	for email, key := range keycloakKey {
		if len(secrets[email]) != 1 {
			t.Errorf("%s: the sandbox holds %d TOTP secrets, want 1", email, len(secrets[email]))
			continue
		}
		for _, at := range []time.Time{time.Unix(59, 0), time.Unix(1700000000, 0), time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)} {
			code := rfc6238(key, at, 6)
			ok, err := authgearAccepts(secrets[email][0], code, at)
			if err != nil || !ok {
				t.Errorf("%s at %s: code %s from Keycloak's secret is not accepted with the stored secret %q (%v)", email, at, code, secrets[email][0], err)
			}
			if ok, _ := authgearAccepts(secrets[email][0], code, at.Add(5*time.Minute)); ok {
				t.Errorf("%s: a code of 5 minutes earlier is accepted", email)
			}
		}
	}
	for _, email := range []string{"ben@example.com", "cara@example.com", "dan@example.com", "eve@example.com", "gus@example.com"} {
		if len(secrets[email]) != 0 {
			t.Errorf("%s has a TOTP secret: %q", email, secrets[email])
		}
	}
	// Sign in through the sandbox's login flow: ana's password, then a
	// code her app computes from Keycloak's secret; a code of another time
	// is refused. ben, whose SHA-256 factor was left out, is asked for none.
	clockMu.Lock()
	frozen = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	clockMu.Unlock()
	st := signInPassword(t, e.sb.URL, "ana@example.com", "Kc-Passw0rd!")
	if st.action != "authenticate" || !strings.Contains(st.raw, "secondary_totp") {
		t.Fatalf("ana after the password: %s %s", st.action, st.raw)
	}
	wrong := rfc6238(keycloakKey["ana@example.com"], frozen.Add(5*time.Minute), 6)
	if a := flowInput(t, e.sb.URL, st.token, map[string]any{"authentication": "secondary_totp", "code": wrong}); a.status != 401 {
		t.Errorf("a code of 5 minutes later: %d %s", a.status, a.raw)
	}
	code := rfc6238(keycloakKey["ana@example.com"], frozen, 6)
	if a := flowInput(t, e.sb.URL, st.token, map[string]any{"authentication": "secondary_totp", "code": code}); a.status != 200 || a.action != "finished" {
		t.Errorf("ana's code from Keycloak's secret: %d %s %s", a.status, a.action, a.raw)
	}
	if b := signInPassword(t, e.sb.URL, "ben@example.com", "Kc-Passw0rd!"); b.action != "finished" {
		t.Errorf("ben after the password: %s %s", b.action, b.raw)
	}
	clockMu.Lock()
	frozen = time.Time{}
	clockMu.Unlock()
	// A rerun with upsert updates the users and says the secrets stay.
	up := *r.m
	up.Upsert = true
	s = run(&up, "second.report.csv")
	if s.Updated != 8 {
		t.Fatalf("updated %d, want 8", s.Updated)
	}
	said := false
	for _, n := range s.Notes {
		said = said || strings.Contains(n, "Authgear sets TOTP secrets (mfa.totp.secret) only on the users an import creates: the 8 users this run updated kept the second factors they had")
	}
	if !said {
		t.Errorf("the upsert rerun does not say it left the TOTP secrets: %q", s.Notes)
	}
	for _, u := range e.sb.Users() {
		for _, id := range u.Identities {
			if id.Key == "email" && len(u.MFA.TOTPSecrets) != len(secrets[id.Value]) {
				t.Errorf("%s: %d TOTP secrets after the update, had %d", id.Value, len(u.MFA.TOTPSecrets), len(secrets[id.Value]))
			}
		}
	}
}

// flowStep is one answer of the login flow (Authentication Flow API).
type flowStep struct {
	status        int
	token, action string
	raw           string
}

// flowCall posts body to the sandbox's flow API at path.
func flowCall(t *testing.T, base, path string, body map[string]any) flowStep {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m struct {
		Result struct {
			StateToken string `json:"state_token"`
			Action     struct {
				Type string `json:"type"`
			} `json:"action"`
		} `json:"result"`
	}
	_ = json.Unmarshal(raw, &m)
	return flowStep{status: resp.StatusCode, token: m.Result.StateToken, action: m.Result.Action.Type, raw: string(raw)}
}

func flowInput(t *testing.T, base, token string, input map[string]any) flowStep {
	t.Helper()
	return flowCall(t, base, "/api/v1/authentication_flows/states/input", map[string]any{"state_token": token, "input": input})
}

// signInPassword starts a login and gives the email and the password.
func signInPassword(t *testing.T, base, email, password string) flowStep {
	t.Helper()
	a := flowCall(t, base, "/api/v1/authentication_flows", map[string]any{"type": "login", "name": "default"})
	if a.status != 200 || a.action != "identify" {
		t.Fatalf("create the flow: %d %s", a.status, a.raw)
	}
	a = flowInput(t, base, a.token, map[string]any{"identification": "email", "login_id": email})
	if a.status != 200 {
		t.Fatalf("%s: identify: %d %s", email, a.status, a.raw)
	}
	a = flowInput(t, base, a.token, map[string]any{"authentication": "primary_password", "password": password})
	if a.status != 200 {
		t.Fatalf("%s: password: %d %s", email, a.status, a.raw)
	}
	return a
}
