package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// A sign-in check proves that a migrated user signs in with the password
// the old system knew, through the project's own login: the Authentication
// Flow API, standalone, with no OAuth client (real-server/sign-in s03, s18).
// One request creates the login flow with batch_input [identify,
// authenticate]; the answer's HTTP status and error.reason say what
// happened (s05 to s08, s15). A success leaves a session and moves the
// user's last sign-in time (s17): the check reads the user through
// /oauth2/userinfo with that session's cookie and then, with an Admin API
// client, ends that session and only that one (revokeSession, never
// revokeAllSessions).
//
// The password and the session cookie never reach a log, an error, a
// result or a file: every text from the server goes through signInSecrets.scrub
// and Printable before it is kept.

// Paths of the project's public endpoint.
const (
	AuthFlowPath = "/api/v1/authentication_flows"
	UserinfoPath = "/oauth2/userinfo"
)

// Sign-in defaults.
const (
	// SignInTimeout bounds one request of the default client.
	SignInTimeout = 30 * time.Second
	// SignInRateLimitWait is when to try again after a 429 without a
	// Retry-After (the buckets are per minute, s05).
	SignInRateLimitWait = time.Minute
	// maxSignInAnswer bounds an answer read.
	maxSignInAnswer = 1 << 20
	// signInUserAgent names the check in the session it creates (the
	// session's displayName comes from the User-Agent, s17).
	signInUserAgent = "authgear-migrate sign-in check"
	// sessionCookie is the IdP session cookie's name (s03).
	sessionCookie = "session"
	// rolesClaim lists a user's roles in userinfo and tokens (s22).
	rolesClaim = "https://authgear.com/claims/user/roles"
)

// Login methods: the identification a check sends.
const (
	LoginMethodEmail    = "email"
	LoginMethodPhone    = "phone"
	LoginMethodUsername = "username"
)

// SignInCheck asks the project's own login (the Authentication Flow API,
// standalone, no OAuth client) whether LoginID signs in with Password. The
// password is never logged, printed, journaled or written.
type SignInCheck struct {
	PublicEndpoint string           // origin of the project's public endpoint; "" = the Admin API endpoint's origin
	LoginID        string           // an email, an E.164 phone or a username
	Password       string           // sent as it is: not trimmed, not normalised (s16)
	HTTPClient     *http.Client     // nil = a default with a timeout
	API            *adminapi.Client // optional: used to end the session the check created (revokeSession) and read the user
	// ClientID, when set, is a public OAuth client of the project: the
	// check then signs in through the OAuth code path (PKCE S256), checks
	// the access token's signature against the project's key set and
	// reports its claims (signin_oauth.go). "" = the standalone login.
	ClientID string
	// RedirectURI is one of that client's redirect URIs; required with
	// ClientID. The check never opens it.
	RedirectURI string
}

// String never shows the password.
func (c SignInCheck) String() string {
	return fmt.Sprintf("sign-in check of %s at %s", Printable(c.LoginID), Printable(c.PublicEndpoint))
}

// GoString never shows the password.
func (c SignInCheck) GoString() string { return c.String() }

// Format never shows the password, whatever the verb.
func (c SignInCheck) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// SignInOutcome is what the server answered to the password.
type SignInOutcome int

// Outcomes of a sign-in check.
const (
	SignInSucceeded          SignInOutcome = iota + 1 // 200 finished
	SignInMustChangePassword                          // 200 change_password: right password, weaker than the policy; never answered
	SignInWrongPassword                               // 401 InvalidCredentials: wrong password, or the user has no password
	SignInUnknownUser                                 // 404 UserNotFound at identify
	SignInDisabled                                    // 403 DisabledUser (comes only after a right password)
	SignInRateLimited                                 // 429: proves nothing; RetryAfter says when to try again
	SignInUnexpected                                  // anything else (Reason says what)
)

// String names the outcome in words for logs and JSON.
func (o SignInOutcome) String() string {
	switch o {
	case SignInSucceeded:
		return "succeeded"
	case SignInMustChangePassword:
		return "must_change_password"
	case SignInWrongPassword:
		return "wrong_password"
	case SignInUnknownUser:
		return "unknown_user"
	case SignInDisabled:
		return "disabled"
	case SignInRateLimited:
		return "rate_limited"
	case SignInUnexpected:
		return "unexpected"
	}
	return "outcome_" + strconv.Itoa(int(o))
}

// SignInResult is what a sign-in check learnt.
type SignInResult struct {
	Outcome          SignInOutcome
	PasswordRight    bool          // true for Succeeded, MustChangePassword, Disabled
	UserID           string        // raw uuid (sub), when known
	LoginMethod      string        // "email", "phone" or "username": the identification used
	Roles            []string      // from userinfo, when known
	Reason           string        // the server's reason/message, already through Printable
	RetryAfter       time.Duration // for RateLimited (about a minute: the bucket is per minute)
	SessionEnded     bool          // the session this check created was ended (only that one)
	SessionNote      string        // why it was not ended, when it was not
	LastLoginChanged bool          // a success moves the user's last sign-in time: front ends say so
	// PasswordExpired: the change_password asked for is because the
	// password expired (force_change_reason "expiry": an import's
	// password.expire_after, as for clear-text passwords hashed locally),
	// not because it is weaker than the policy.
	PasswordExpired bool
	// NextStep is the step the flow asked for after the password and that
	// the check did not answer: "change_password" (answering it would set
	// a new password), or "authenticate" (a second factor); "" when the
	// flow finished or failed.
	NextStep string
	// SessionLifetime is how long a session left behind lives at most (the
	// cookie's Max-Age); zero when unknown or ended.
	SessionLifetime time.Duration
	// The OAuth path only (SignInCheck.ClientID, signin_oauth.go):
	// Token is the access token's claims once its signature verified;
	// TokenRefused says why the path gave no token that verifies although
	// the password is right (through Printable); GrantEnded: the refresh
	// token's grant the check created was ended, else GrantNote says why.
	Token        *SignInToken
	TokenRefused string
	GrantEnded   bool
	GrantNote    string
}

// Succeeded reports whether the password was accepted and the account can
// be used (Succeeded or MustChangePassword): what counts as success.
func (r SignInResult) Succeeded() bool {
	return (r.Outcome == SignInSucceeded || r.Outcome == SignInMustChangePassword) && r.TokenRefused == ""
}

// ErrSignInUsage: a sign-in check that cannot be sent (no login id, no
// public endpoint).
var ErrSignInUsage = errors.New("sign-in check")

// SignInAnswerError is an answer that is not the Authentication Flow
// API's (no JSON envelope): a wrong public endpoint, a proxy's page. The
// body is not kept: it could echo the request.
type SignInAnswerError struct {
	Status      int
	ContentType string
	Endpoint    string
}

func (e *SignInAnswerError) Error() string {
	return fmt.Sprintf("sign-in check: %s answered HTTP %d (%s), not the Authentication Flow API: is it the project's public endpoint?",
		Printable(e.Endpoint), e.Status, Printable(e.ContentType))
}

// SignInLoginMethod is the identification a login id is sent with: email
// when it has an @, phone when it looks like E.164 (+ and digits, spaces
// and dashes allowed), else username. The server tries every configured
// type anyway (s10), so this only names what the person typed.
func SignInLoginMethod(loginID string) string {
	s := strings.TrimSpace(loginID)
	if strings.Contains(s, "@") {
		return LoginMethodEmail
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok && rest != "" {
		digits := 0
		for _, r := range rest {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r == ' ' || r == '-' || r == '(' || r == ')':
			default:
				return LoginMethodUsername
			}
		}
		if digits >= 5 {
			return LoginMethodPhone
		}
	}
	return LoginMethodUsername
}

// SignIn runs the check. The error is only for transport and usage
// failures: every answer of the server is an outcome.
func SignIn(ctx context.Context, c SignInCheck) (SignInResult, error) {
	loginID := strings.TrimSpace(c.LoginID)
	if loginID == "" {
		return SignInResult{}, fmt.Errorf("%w: no login id", ErrSignInUsage)
	}
	if !utf8.ValidString(c.Password) {
		// JSON would carry U+FFFD instead of the bytes: another password.
		return SignInResult{}, fmt.Errorf("%w: the password is not valid UTF-8, and the login takes JSON, which cannot carry it as it is", ErrSignInUsage)
	}
	origin, err := signInOrigin(c)
	if err != nil {
		return SignInResult{}, err
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: SignInTimeout}
	}
	hc = signInNoRedirects(hc)
	if c.ClientID != "" || c.RedirectURI != "" {
		return signInOAuth(ctx, c, loginID, origin, hc)
	}
	sec := signInSecrets{c.Password}
	res := SignInResult{LoginMethod: SignInLoginMethod(loginID)}

	body, err := loginFlowBody(res.LoginMethod, loginID, c.Password, "")
	if err != nil {
		return res, fmt.Errorf("sign-in check: %w", err)
	}
	flowURL := origin.String() + AuthFlowPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, flowURL, bytes.NewReader(body))
	if err != nil {
		return res, fmt.Errorf("sign-in check: %s", sec.scrub(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", signInUserAgent)
	resp, err := hc.Do(req)
	if err != nil && ctx.Err() != nil {
		return res, fmt.Errorf("sign-in check: %w", ctx.Err())
	}
	if err != nil {
		return res, fmt.Errorf("sign-in check: %s: %s", Printable(flowURL), Printable(sec.scrub(signInTransportText(err))))
	}
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxSignInAnswer))
	_ = resp.Body.Close()
	if rerr != nil {
		return res, fmt.Errorf("sign-in check: reading the answer of %s: %s", Printable(flowURL), Printable(sec.scrub(signInTransportText(rerr))))
	}
	var env signInEnvelope
	if !json.Valid(raw) || json.Unmarshal(raw, &env) != nil || (env.Result == nil && env.Error == nil) {
		return res, &SignInAnswerError{Status: resp.StatusCode, ContentType: signInClip(resp.Header.Get("Content-Type"), 100), Endpoint: origin.String()}
	}
	classifySignIn(&res, resp, &env, sec)
	if res.Outcome != SignInSucceeded || res.NextStep != "" {
		return res, nil
	}
	// finished: a session was created (its cookie is in the answer).
	res.LastLoginChanged = true
	token, maxAge := signInSessionToken(resp)
	if maxAge > 0 {
		res.SessionLifetime = maxAge
	}
	if token == "" {
		res.SessionNote = "the server set no session cookie, so the session the check created cannot be named; the user's sessions are listed in the portal"
		return res, nil
	}
	signInUserinfo(ctx, hc, origin, token, &res)
	if res.UserID == "" && c.API != nil {
		signInLookup(ctx, c.API, loginID, &res)
	}
	endSignInSession(ctx, c.API, token, &res)
	return res, nil
}

// signInOrigin is the public endpoint's origin: the check's, or the Admin
// API endpoint's (the same host on Authgear's cloud).
func signInOrigin(c SignInCheck) (*url.URL, error) {
	s := strings.TrimSpace(c.PublicEndpoint)
	if s == "" {
		if c.API == nil {
			return nil, fmt.Errorf("%w: no public endpoint and no Admin API endpoint to take it from", ErrSignInUsage)
		}
		return c.API.Endpoint(), nil
	}
	u, err := adminapi.ParseEndpoint(s)
	if err != nil {
		return nil, fmt.Errorf("%w: the public endpoint: %s", ErrSignInUsage, strings.TrimPrefix(err.Error(), "adminapi: "))
	}
	return u, nil
}

// signInNoRedirects copies hc so that no redirect is followed: the session
// cookie and the password stay with the origin they were meant for.
func signInNoRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.Jar = nil
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// signInEnvelope is an Authentication Flow API answer: result and/or error
// (error answers carry both, s05).
type signInEnvelope struct {
	Result *struct {
		Action struct {
			Type string `json:"type"`
			Data struct {
				// ForceChangeReason says why change_password is asked:
				// "policy" (weaker than the policy, s15) or "expiry"
				// (the password expired: password.expire_after).
				ForceChangeReason string `json:"force_change_reason"`
			} `json:"data"`
		} `json:"action"`
	} `json:"result"`
	Error *struct {
		Name    string         `json:"name"`
		Reason  string         `json:"reason"`
		Message string         `json:"message"`
		Code    int            `json:"code"`
		Info    map[string]any `json:"info"`
	} `json:"error"`
}

// Reasons of the Authentication Flow API (real-server/sign-in).
const (
	flowReasonInvalidCredentials = "InvalidCredentials"
	flowReasonUserNotFound       = "UserNotFound"
	flowReasonDisabledUser       = "DisabledUser"
	flowReasonRateLimited        = "RateLimited"
)

// classifySignIn reads the status and error.reason, not only result.action.type.
func classifySignIn(res *SignInResult, resp *http.Response, env *signInEnvelope, sec signInSecrets) {
	status := resp.StatusCode
	reason, message := "", ""
	if env.Error != nil {
		reason = signInClip(env.Error.Reason, 100)
		message = signInClip(env.Error.Message, 300)
	}
	action := ""
	if env.Result != nil {
		action = signInClip(env.Result.Action.Type, 100)
	}
	text := func() string {
		parts := []string{}
		if reason != "" {
			parts = append(parts, reason)
		}
		if message != "" {
			parts = append(parts, message)
		}
		if len(parts) == 0 {
			parts = append(parts, "HTTP "+strconv.Itoa(status))
		}
		return Printable(sec.scrub(strings.Join(parts, ": ")))
	}
	switch {
	case status == http.StatusOK && env.Error == nil && action == "finished":
		res.Outcome, res.PasswordRight = SignInSucceeded, true
	case status == http.StatusOK && env.Error == nil && action == "change_password":
		res.Outcome, res.PasswordRight = SignInMustChangePassword, true
		res.NextStep = "change_password"
		res.Reason = "the password is right but weaker than the project's password policy"
		if env.Result.Action.Data.ForceChangeReason == "expiry" {
			res.PasswordExpired = true
			res.Reason = "the password is right but expired (it was imported to be changed at the next sign-in)"
		}
	case status == http.StatusOK && env.Error == nil && action == "authenticate":
		// Both inputs were taken (a batch stops at the first refusal):
		// the password is right and a second factor is asked for.
		res.Outcome, res.PasswordRight = SignInSucceeded, true
		res.NextStep = "authenticate"
		res.Reason = "the password is right; the project then asks for a second factor, which the check does not answer"
	case status == http.StatusUnauthorized && reason == flowReasonInvalidCredentials:
		res.Outcome = SignInWrongPassword
		res.Reason = text()
	case status == http.StatusNotFound && reason == flowReasonUserNotFound:
		res.Outcome = SignInUnknownUser
		res.Reason = text()
	case status == http.StatusForbidden && reason == flowReasonDisabledUser:
		res.Outcome, res.PasswordRight = SignInDisabled, true
		res.Reason = text()
	case status == http.StatusTooManyRequests || reason == flowReasonRateLimited:
		res.Outcome = SignInRateLimited
		res.Reason = text()
		res.RetryAfter = signInRetryAfter(resp.Header.Get("Retry-After"))
		if res.RetryAfter <= 0 {
			res.RetryAfter = SignInRateLimitWait
		}
	default:
		res.Outcome = SignInUnexpected
		if env.Error == nil {
			res.Reason = Printable(sec.scrub(fmt.Sprintf("HTTP %d, the flow asks for %q", status, action)))
		} else {
			res.Reason = Printable(sec.scrub(fmt.Sprintf("HTTP %d ", status))) + text()
		}
	}
}

// signInRetryAfter reads Retry-After in seconds or as an HTTP date.
func signInRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), time.Hour)
	}
	return 0
}

// signInSessionToken is the session cookie the answer set, and its Max-Age.
func signInSessionToken(resp *http.Response) (token string, maxAge time.Duration) {
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			return ck.Value, time.Duration(ck.MaxAge) * time.Second
		}
	}
	return "", 0
}

// signInUserinfo reads the user id and roles with the session cookie (s03,
// s13). A failure only leaves them unknown.
func signInUserinfo(ctx context.Context, hc *http.Client, origin *url.URL, token string, res *SignInResult) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin.String()+UserinfoPath, nil)
	if err != nil {
		return
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", signInUserAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSignInAnswer))
	if err != nil || resp.StatusCode != http.StatusOK {
		return
	}
	var info map[string]json.RawMessage
	if json.Unmarshal(raw, &info) != nil {
		return
	}
	var sub string
	if json.Unmarshal(info["sub"], &sub) == nil && adminapi.ValidUserID(sub) {
		res.UserID = sub
	}
	var roles []string
	if json.Unmarshal(info[rolesClaim], &roles) == nil {
		for i, r := range roles {
			if i == 100 {
				break
			}
			res.Roles = append(res.Roles, Printable(signInClip(r, 100)))
		}
	}
}

// signInLookup reads the user through the Admin API by the login id when
// userinfo did not name it: the key of the identification sent first, then
// the others (the server tried them all at sign-in, s10). A key the
// project does not have is an error that is passed over.
func signInLookup(ctx context.Context, api *adminapi.Client, loginID string, res *SignInResult) {
	keys := []string{res.LoginMethod}
	for _, k := range []string{LoginMethodEmail, LoginMethodPhone, LoginMethodUsername} {
		if k != res.LoginMethod {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		u, err := api.LookupUser(ctx, k, loginID)
		if err != nil || u == nil || !adminapi.ValidUserID(u.UserID) {
			continue
		}
		res.UserID = u.UserID
		if res.Roles == nil {
			for i, r := range u.Roles {
				if i == 100 {
					break
				}
				res.Roles = append(res.Roles, Printable(signInClip(r, 100)))
			}
		}
		return
	}
}

// endSignInSession ends the session the check created, after finding it among
// the user's sessions, and says why when it cannot.
func endSignInSession(ctx context.Context, api *adminapi.Client, token string, res *SignInResult) {
	left := func(why string) {
		res.SessionNote = why
		if res.SessionLifetime > 0 {
			res.SessionNote += fmt.Sprintf("; it lasts up to %s unless it is revoked in the portal (the user's sessions)", signInLifetimeText(res.SessionLifetime))
		}
	}
	sid, ok := adminapi.SessionIDFromToken(token)
	if !ok {
		left("the session the check created was left: its cookie does not name a session id")
		return
	}
	if api == nil {
		left("the session the check created was left: ending it needs the Admin API key")
		return
	}
	if res.UserID == "" {
		left("the session the check created was left: the user it belongs to could not be read, so it was not ended blindly")
		return
	}
	gid := adminapi.SessionGlobalID(sid)
	sessions, err := api.UserSessions(ctx, res.UserID)
	if errors.Is(err, adminapi.ErrNoSuchUser) {
		// The user who signed in is not in the Admin API's project: the
		// public endpoint is another project's, and proves nothing here.
		res.Outcome = SignInUnexpected
		res.Reason = "the user who signed in at the public endpoint is not in the Admin API's project: the public endpoint is another project's, so nothing is proven for this one"
		left("the session the check created was left: it is in the other project")
		return
	}
	if err != nil {
		left("the session the check created was left: the user's sessions could not be read (" + Printable(signInErrText(err)) + ")")
		return
	}
	found := false
	for _, s := range sessions {
		if s.ID == gid {
			found = true
			break
		}
	}
	if !found {
		left("the session the check created was left: it is not among the user's sessions, so it was not ended")
		return
	}
	if err := api.RevokeSession(ctx, gid); err != nil {
		left("the session the check created was left: ending it failed (" + Printable(signInErrText(err)) + ")")
		return
	}
	res.SessionEnded = true
	res.SessionLifetime = 0
}

// signInLifetimeText says a session lifetime in days or hours.
func signInLifetimeText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	default:
		return d.Round(time.Second).String()
	}
}

// signInErrText is an error's text, clipped.
func signInErrText(err error) string { return signInClip(err.Error(), 300) }

// signInTransportText is a transport error's text without the request URL's
// repetition (the URL is said by the caller).
func signInTransportText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return signInClip(err.Error(), 300)
}

// signInClip cuts s to n bytes at a rune boundary.
func signInClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// signInSecrets are values no text from a server may repeat.
type signInSecrets []string

// scrub replaces every secret in s (and its JSON-escaped form) by
// "[password]".
func (sec signInSecrets) scrub(s string) string {
	for _, v := range sec {
		if v == "" {
			continue
		}
		s = strings.ReplaceAll(s, v, "[password]")
		if b, err := json.Marshal(v); err == nil {
			if esc := string(b[1 : len(b)-1]); esc != v {
				s = strings.ReplaceAll(s, esc, "[password]")
			}
		}
		if q := url.QueryEscape(v); q != v {
			s = strings.ReplaceAll(s, q, "[password]")
		}
	}
	return s
}

// SignInExitCode is the exit code of a sign-in check, decided here for
// every front end: 0 the user signs in (also when the password must be
// changed at sign-in, or a second factor follows); 3 the sign-in is
// refused (a wrong password or none, an unknown user, a disabled user); 1
// nothing was proven (rate limited, an answer the check does not know, a
// transport failure); 2 a check that cannot be sent (no login id, no
// endpoint); 130 interrupted.
func SignInExitCode(r SignInResult, err error) int {
	switch {
	case err == nil:
	case errors.Is(err, ErrSignInUsage):
		return ExitRefused
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	default:
		return ExitError
	}
	switch r.Outcome {
	case SignInSucceeded, SignInMustChangePassword:
		if r.TokenRefused != "" {
			return ExitError
		}
		return ExitOK
	case SignInWrongPassword, SignInUnknownUser, SignInDisabled:
		return ExitPartial
	}
	return ExitError
}

// Lines says the result in sentences every front end can show: the
// outcome first, then what the check left behind. Server text in them has
// been through Printable.
func (r SignInResult) Lines() []string {
	var out []string
	why := func(s string) string {
		if r.Reason == "" {
			return s
		}
		return s + " (" + r.Reason + ")"
	}
	switch r.Outcome {
	case SignInSucceeded:
		if r.TokenRefused != "" {
			out = append(out, "the password is right, but the OAuth sign-in gave no token that verifies: "+r.TokenRefused)
			break
		}
		if r.NextStep == "authenticate" {
			// The password is proven; the sign-in is not finished.
			out = append(out, "the password is right (by "+r.LoginMethod+"); the project then asks for a second factor, which the check does not answer: not signed in, so no session was created and no token was checked")
			break
		}
		s := "signed in by " + r.LoginMethod
		if r.UserID != "" {
			s += " as user " + r.UserID
		} else {
			s += "; the user id could not be read"
		}
		out = append(out, s)
		if len(r.Roles) > 0 {
			out = append(out, "roles: "+strings.Join(r.Roles, ", "))
		}
	case SignInMustChangePassword:
		if r.PasswordExpired {
			out = append(out, "right password, but expired (imported to be changed at the next sign-in, as for a clear-text password hashed on this machine): the user will be asked for a new one at sign-in; not answered")
		} else {
			out = append(out, "right password, but weaker than the project's policy: the user will be asked for a new one at sign-in; not answered")
		}
	case SignInWrongPassword:
		out = append(out, why("refused: a wrong password, or the user has no password in Authgear"),
			"each wrong password counts toward the project's limit (by default 10 per user per minute)")
	case SignInUnknownUser:
		out = append(out, why("no user has this login ID"))
	case SignInDisabled:
		out = append(out, why("the password is right, but the user is disabled"))
	case SignInRateLimited:
		out = append(out, why("rate limited")+": a 429 proves nothing; try again in "+signInWait(r.RetryAfter))
	default:
		out = append(out, why("an answer the check does not know; nothing is proven"))
	}
	out = append(out, r.tokenLines()...)
	if r.LastLoginChanged {
		out = append(out, "the user's last sign-in time now shows this check")
	}
	switch {
	case r.SessionEnded:
		out = append(out, "the session this check created was ended (the user's other sessions were left alone)")
	case r.SessionNote != "":
		out = append(out, r.SessionNote)
	case !r.LastLoginChanged:
		out = append(out, "no session was created")
	}
	return out
}

// signInWait says a wait: "about a minute", "about 90 seconds".
func signInWait(d time.Duration) string {
	switch {
	case d <= 0 || (d >= 45*time.Second && d <= 75*time.Second):
		return "about a minute"
	case d < 2*time.Minute:
		return fmt.Sprintf("about %d seconds", int(d.Round(time.Second)/time.Second))
	default:
		return fmt.Sprintf("about %d minutes", int(d.Round(time.Minute)/time.Minute))
	}
}

// loginFlowBody is the request that creates a login flow and answers it in
// one go (batch_input, s18): identify, then the primary password.
// urlQuery binds it to an OAuth authorization (s04); "" for the standalone
// flow.
func loginFlowBody(method, loginID, password, urlQuery string) ([]byte, error) {
	body := map[string]any{
		"type": "login",
		"name": "default",
		"batch_input": []map[string]string{
			{"identification": method, "login_id": loginID},
			{"authentication": "primary_password", "password": password},
		},
	}
	if urlQuery != "" {
		body["url_query"] = urlQuery
	}
	return json.Marshal(body)
}
