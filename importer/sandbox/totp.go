package sandbox

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// stepAuthenticateTOTP is the login flow's second authenticate step for a
// user who has a TOTP authenticator (imported from mfa.totp.secret):
// authentication "secondary_totp" with a "code", as authgear-server's
// InputTakeTOTP.
const stepAuthenticateTOTP = "authenticate_totp"

// TOTPCode is the RFC 6238 code of secret (base32, padding optional) at t:
// HMAC-SHA1, 6 digits, 30-second steps, as Authgear's TOTP authenticator.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return totpAt(key, t.Unix()/30), nil
}

func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	if n := len(s) % 8; n != 0 {
		s += strings.Repeat("=", 8-n)
	}
	key, err := base32.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("sandbox: TOTP secret: %w", err)
	}
	return key, nil
}

func totpAt(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

// totpMatches reports whether code is a secret's code at now, one step
// before or one step after (the skew Authgear allows).
func totpMatches(secret, code string, now time.Time) bool {
	key, err := decodeTOTPSecret(secret)
	if err != nil || len(code) != 6 {
		return false
	}
	step := now.Unix() / 30
	for d := int64(-1); d <= 1; d++ {
		if hmac.Equal([]byte(totpAt(key, step+d)), []byte(code)) {
			return true
		}
	}
	return false
}

func errInvalidTOTPCode() *APIError {
	return &APIError{Name: "Unauthorized", Reason: "InvalidCredentials", Message: "invalid credentials", Code: 401,
		Info: map[string]any{"AuthenticationType": "totp", "FlowType": "login"}}
}

func (s *Server) authenticateTOTP(r *http.Request, st *flowState, in map[string]any) (*flowState, *APIError) {
	if _, ok := in["authentication"]; !ok {
		return nil, errValidation("invalid value", []cause{requiredCause(in, "authentication", "code")}, true)
	}
	if _, ok := in["code"]; !ok {
		return nil, errValidation("invalid value", []cause{requiredCause(in, "authentication", "code")}, true)
	}
	if a, _ := in["authentication"].(string); a != "secondary_totp" {
		return nil, errValidation("invalid value", []cause{{Location: "/authentication", Kind: "const",
			Details: map[string]any{"actual": in["authentication"], "expected": "secondary_totp"}}}, true)
	}
	code, _ := in["code"].(string)
	ip := clientIP(r)
	key := "totp\x00" + st.userID + "\x00" + ip
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.store.users[st.userID]
	if u == nil {
		return nil, errFlowNotFound()
	}
	if s.signin.limited(key, rateBurst, now) {
		return nil, errRateLimited("VerifyTOTPPerUserPerIP", "authentication.totp.per_user_per_ip", "authentication.totp")
	}
	ok := false
	for _, secret := range u.totps {
		ok = ok || totpMatches(secret, code, now)
	}
	if !ok {
		s.signin.take(key, rateBurst, now)
		return nil, errInvalidTOTPCode()
	}
	next := s.newStateLocked(st, st.flow, stepFinished)
	next.amr = append(next.amr, "otp", "mfa")
	if next.forceChange {
		next.step = stepChangePassword
	}
	return next, nil
}
