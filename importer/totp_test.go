package importer

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// rfc6238 is an RFC 6238 code of HMAC-SHA1 over key at t (30-second
// steps), as Keycloak's TimeBasedOTP and every authenticator app compute it.
func rfc6238(key []byte, t time.Time, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	h := hmac.New(sha1.New, key)
	h.Write(msg[:])
	sum := h.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for i := 0; i < digits; i++ {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, n%mod)
}

// authgearAccepts checks a code against a stored secret the way Authgear's
// TOTP authenticator does (pquerna/otp's totp.ValidateCustom with
// authgear-server's validateOptsTOTP: the secret upper-cased, padded and
// base32-decoded; SHA1, 6 digits, 30 s, one period of skew).
func authgearAccepts(secret, code string, t time.Time) (bool, error) {
	s := strings.ToUpper(strings.TrimSpace(secret))
	if n := len(s) % 8; n != 0 {
		s += strings.Repeat("=", 8-n)
	}
	key, err := base32.StdEncoding.DecodeString(s)
	if err != nil {
		return false, err
	}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		if rfc6238(key, t.Add(d), 6) == code {
			return true, nil
		}
	}
	return false, nil
}

// The helper is RFC 6238's own: its SHA1 test vectors.
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"}, {2000000000, "69279037"}} {
		if got := rfc6238(key, time.Unix(c.unix, 0), 8); got != c.want {
			t.Errorf("T=%d: %s, want %s", c.unix, got, c.want)
		}
	}
}

func reasonOf(err error) string {
	var fe *fieldCheckError
	if errors.As(err, &fe) {
		return fe.reason
	}
	return ""
}

// TestKeycloakOTPSecret: a Keycloak OTP credential's value is the key's
// bytes unless secretEncoding says BASE32; only TOTP with HmacSHA1, 6
// digits and 30 s comes across, the rest is refused with its reason.
func TestKeycloakOTPSecret(t *testing.T) {
	raw := "dGzFdIlSb8j4TwFHmsuj"
	rawB32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(raw))
	for _, c := range []struct {
		name, value string
		data        any
		want        string
		reason      string
	}{
		{"default totp", raw, `{"subType":"totp","digits":6,"counter":0,"period":30,"algorithm":"HmacSHA1"}`, rawB32, ""},
		{"no credentialData: Keycloak's defaults", raw, nil, rawB32, ""},
		{"as an object", raw, map[string]any{"subType": "totp", "algorithm": "HmacSHA1", "digits": "6"}, rawB32, ""},
		{"base32, lower case and padded", "jbswy3dp ehpk3pxp==", `{"subType":"totp","digits":6,"period":30,"algorithm":"HmacSHA1","secretEncoding":"base32"}`, "JBSWY3DPEHPK3PXP", ""},
		{"base32 that is not", "not base32 !", `{"secretEncoding":"BASE32"}`, "", DropNotBase32},
		{"unknown encoding", raw, `{"secretEncoding":"HEX"}`, "", DropUnreadableValue},
		{"hotp", raw, `{"subType":"hotp","digits":6,"counter":4,"period":0,"algorithm":"HmacSHA1"}`, "", DropTOTPCounter},
		{"sha256", raw, `{"subType":"totp","digits":6,"period":30,"algorithm":"HmacSHA256"}`, "", DropTOTPAlgorithm},
		{"sha512", raw, `{"subType":"totp","digits":6,"period":30,"algorithm":"HmacSHA512"}`, "", DropTOTPAlgorithm},
		{"8 digits", raw, `{"subType":"totp","digits":8,"period":30,"algorithm":"HmacSHA1"}`, "", DropTOTPDigits},
		{"60 s", raw, `{"subType":"totp","digits":6,"period":60,"algorithm":"HmacSHA1"}`, "", DropTOTPPeriod},
		{"credentialData not JSON", raw, `digits=6`, "", DropUnreadableValue},
		{"no secret", "  ", `{"subType":"hotp"}`, "", ""},
	} {
		got, err := KeycloakOTPSecret(c.value, c.data)
		if got != c.want || reasonOf(err) != c.reason || (c.reason == "") != (err == nil) {
			t.Errorf("%s: %q, %v (reason %q), want %q, reason %q", c.name, got, err, reasonOf(err), c.want, c.reason)
		}
	}
}

// TestTOTPFromURL: the otpauth:// key URI of Kratos's totp_url.
func TestTOTPFromURL(t *testing.T) {
	for _, c := range []struct {
		url, want, reason string
	}{
		{"otpauth://totp/Example:lea@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", "JBSWY3DPEHPK3PXP", ""},
		{"otpauth://totp/Shop:a?algorithm=SHA1&digits=6&period=30&secret=jbswy3dpehpk3pxp", "JBSWY3DPEHPK3PXP", ""},
		{"OTPAUTH://TOTP/a?secret=GEZDGNBVGY3TQOJQ%3D%3D%3D%3D&algorithm=sha1", "GEZDGNBVGY3TQOJQ", ""},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256", "", DropTOTPAlgorithm},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=8", "", DropTOTPDigits},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=60", "", DropTOTPPeriod},
		{"otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=1", "", DropTOTPCounter},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=six", "", DropUnreadableValue},
		{"otpauth://totp/a?issuer=x", "", DropUnreadableValue},
		{"https://example.com/?secret=JBSWY3DPEHPK3PXP", "", DropUnreadableValue},
		{"otpauth://totp/a?secret=N0T-BASE32", "", DropNotBase32},
		{"", "", ""},
	} {
		got, err := TOTPFromURL(c.url)
		if got != c.want || reasonOf(err) != c.reason || (c.reason == "") != (err == nil) {
			t.Errorf("%q: %q, %v (reason %q), want %q, reason %q", c.url, got, err, reasonOf(err), c.want, c.reason)
		}
	}
}

// TestWhenAndPick: when keeps a value for the records whose condition
// holds; pick reads one kind of entry wherever it stands in a list.
func TestWhenAndPick(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("mfa.phone_number", "phone", TA("when", "settings[=SMS_MFA]"))
	m.Set("mfa.email", "factors", TA("pick", "emailInfo.emailAddress"))
	m.Fields["mfa.phone_number"].Invalid = InvalidDrop
	src := sourceOf(t, "in.json", `[
{"email": "a@example.com", "phone": "+14155550101", "settings": ["SOFTWARE_TOKEN_MFA", "SMS_MFA"], "factors": [{"phoneInfo": "+1"}, {"emailInfo": {"emailAddress": "a2@example.com"}}]},
{"email": "b@example.com", "phone": "+14155550102", "settings": ["SOFTWARE_TOKEN_MFA"], "factors": [{"totpInfo": {}}]},
{"email": "c@example.com", "phone": "+14155550103"},
{"email": "d@example.com", "phone": "+14155550104", "settings": "SMS_MFA", "factors": "no list"}
]`, SourceOptions{})
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ phone, email, problem string }{
		{`"+14155550101"`, `"a2@example.com"`, ""},
		{"", "", ""},
		{"", "", ""},
		// A scalar is not a list the selector reads; pick says why.
		{"", "", "MFA email is text, not a list of objects pick reads"},
	}
	for i, w := range want {
		row, err := src.Next()
		if err != nil {
			t.Fatal(err)
		}
		p := plan.Apply(row)
		if got := FieldValue(p, "mfa.phone_number"); got != w.phone {
			t.Errorf("row %d: mfa.phone_number %s, want %s", i+1, got, w.phone)
		}
		if got := FieldValue(p, "mfa.email"); got != w.email {
			t.Errorf("row %d: mfa.email %s, want %s", i+1, got, w.email)
		}
		if got := p.Reason(); !strings.Contains(got, w.problem) || (w.problem == "") != p.Valid() {
			t.Errorf("row %d: %q, want %q", i+1, got, w.problem)
		}
	}
	// when on a boolean word.
	for _, c := range []struct {
		cond any
		keep bool
	}{{"TRUE", true}, {"false", false}, {false, false}, {true, true}, {"", false}, {map[string]any{}, false}, {map[string]any{"DeliveryMedium": "SMS"}, true}} {
		path, _ := compilePath("c", nil, false)
		ctx := &applyCtx{row: &Row{Object: map[string]any{"c": c.cond}}, plan: &Plan{extra: map[string]*Path{"c": path}}}
		got, err := tWhen("+14155550101", "c", ctx)
		if err != nil || (got != nil) != c.keep {
			t.Errorf("when %#v: %v, %v, want kept %v", c.cond, got, err, c.keep)
		}
	}
}

// The [=value] selector picks a scalar element of a list.
func TestPathSelfSelector(t *testing.T) {
	row := &Row{Object: map[string]any{"l": []any{"SOFTWARE_TOKEN_MFA", "SMS_MFA"}, "o": []any{map[string]any{"": "SMS_MFA"}}}}
	for _, c := range []struct {
		path string
		ok   bool
	}{{"l[=SMS_MFA]", true}, {"l[=EMAIL_OTP]", false}, {"o[=SMS_MFA]", false}} {
		p, err := compilePath(c.path, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := p.lookup(row); ok != c.ok || ok && v != "SMS_MFA" {
			t.Errorf("%s: %v %v, want found %v", c.path, v, ok, c.ok)
		}
	}
}

// An unmapped column of otpauth:// key URIs (Kratos's totp_url, with the
// TOTP secret inside) is masked like a column of hashes.
func TestSecretColumnsOTPAuth(t *testing.T) {
	src, err := Open("testdata/exports/kratos-totp.json", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got := SecretColumns(nil, NewViewer(src), src.Columns(), src.Sample()); !got[kratosTOTPPath] || got["traits.email"] {
		t.Errorf("%s not secret, or the email is: %v", kratosTOTPPath, got)
	}
}
