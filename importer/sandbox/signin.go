package sandbox

// The Authentication Flow API's login flow, as the project's own login page
// (and a headless sign-in check) drives it: POST /api/v1/authentication_flows
// creates a flow, POST .../states/input answers its current action, and POST
// .../states reads a state. It follows real-server/sign-in (group s): s03
// (standalone, no OAuth), s05 (wrong password, rate limit), s06 (unknown
// login ID, account enumeration), s07 (no password), s08 (disabled), s09
// and s16 (bcrypt), s10 and s11 (login IDs), s15 (weak old password), s18
// (batch_input), s19 (error shapes) and s23 (an existing session cookie).
//
// Known differences from a real server (choices where the recordings are
// silent are marked in comments):
//   - only the flow type "login" named "default" exists; any other name, and
//     any other valid type, is 404 AuthenticationFlowFlowNotFound;
//   - the account's valid period is not checked at sign-in (only
//     isDisabled is);
//   - a success does not rewrite the stored hash (as on the recorded
//     server, s16);
//   - the select_account option that a session cookie adds (s23), when
//     chosen, finishes the flow for that session's user (not recorded);
//   - the validation causes of an identify input follow the recorded
//     ones for an unknown identification; a missing login_id gives one
//     "required" cause (not recorded).

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/crypto/bcrypt"
)

// The Authentication Flow API routes.
const (
	flowsPath      = "/api/v1/authentication_flows"
	flowStatesPath = "/api/v1/authentication_flows/states"
	flowInputPath  = "/api/v1/authentication_flows/states/input"

	stateTokenPrefix = "authflowstate_"
)

// Flow steps (the action a state asks for).
const (
	stepIdentify       = "identify"
	stepAuthenticate   = "authenticate"
	stepChangePassword = "change_password"
	stepFinished       = "finished"
)

// The default password policy (authenticator.password.policy): minimum
// length 8, force_change true (s15).
const passwordMinLength = 8

// Rate limits of the defaults (s05, s06): burst 10 per minute, one token
// back every 6 s. Only failures take a token.
const (
	rateBurst  = 10
	ratePeriod = time.Minute
	// perIPPasswordBurst is authentication.rate_limits.password.per_ip
	// (60 per minute), from the source; not recorded.
	perIPPasswordBurst = 60
)

// authFlow is one login flow; its states are snapshots that share it.
type authFlow struct {
	id       string
	finished bool
	// oauth is set when the flow was created with an x_ref of an OAuth
	// authorization (oauth.go).
	oauth *authzRequest
	// cookieSession is the session of the cookie the flow was created
	// with (s23): it is replaced when the flow finishes.
	cookieSession string
}

// flowState is one state token's snapshot.
type flowState struct {
	token          string
	flow           *authFlow
	step           string
	userID         string
	identification string
	// amr gathered so far ("pwd", "x_primary_password", "otp", "mfa").
	amr []string
	// pendingFinish: the password was right, a second factor or a new
	// password is still asked.
	forceChange bool
	// forceReason is why a new password is asked: "policy" (shorter than
	// the policy's minimum) or "expiry" (the imported password's
	// expire_after has passed).
	forceReason string
}

// signin is the sign-in state of a Server, guarded by Server.mu.
type signin struct {
	flows    map[string]*authFlow
	states   map[string]*flowState
	sessions map[string]*session
	grants   map[string]*offlineGrant
	codes    map[string]*authzCode
	authz    map[string]*authzRequest
	buckets  map[string]*bucket
	// tokens are the access tokens issued through OAuth, by jti.
	tokens map[string]accessTokenRecord
	seq    int
	// lastLogin is each user's last sign-in time.
	lastLogin map[string]time.Time
}

func newSignin() *signin {
	return &signin{
		flows:     map[string]*authFlow{},
		states:    map[string]*flowState{},
		sessions:  map[string]*session{},
		grants:    map[string]*offlineGrant{},
		codes:     map[string]*authzCode{},
		authz:     map[string]*authzRequest{},
		buckets:   map[string]*bucket{},
		tokens:    map[string]accessTokenRecord{},
		lastLogin: map[string]time.Time{},
	}
}

// bucket is a token bucket of the rate limiter.
type bucket struct {
	tokens float64
	at     time.Time
}

// refill brings the bucket key (burst tokens per period) up to now and
// returns it.
func (sg *signin) refill(key string, burst int, now time.Time) *bucket {
	b, ok := sg.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(burst), at: now}
		sg.buckets[key] = b
		return b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens += float64(burst) * float64(d) / float64(ratePeriod)
		if b.tokens > float64(burst) {
			b.tokens = float64(burst)
		}
		b.at = now
	}
	return b
}

// limited reports whether the bucket has no token left.
func (sg *signin) limited(key string, burst int, now time.Time) bool {
	return sg.refill(key, burst, now).tokens < 1
}

// take uses one token of the bucket.
func (sg *signin) take(key string, burst int, now time.Time) {
	b := sg.refill(key, burst, now)
	b.tokens--
}

func errRateLimited(bucketName, limit, group string) *APIError {
	return &APIError{Name: "TooManyRequest", Reason: "RateLimited", Message: "request rate limited", Code: 429, Info: map[string]any{
		"FlowType":        "login",
		"bucket_name":     bucketName,
		"rate_limit":      map[string]any{"name": limit, "group": group},
		"rate_limit_name": group,
	}}
}

func errPasswordRateLimited() *APIError {
	return errRateLimited("VerifyPasswordPerUserPerIP", "authentication.password.per_user_per_ip", "authentication.password")
}

func errPasswordPerIPRateLimited() *APIError {
	return errRateLimited("VerifyPasswordPerIP", "authentication.password.per_ip", "authentication.password")
}

func errEnumerationRateLimited() *APIError {
	return errRateLimited("AccountEnumerationPerIP", "authentication.account_enumeration.per_ip", "authentication.account_enumeration")
}

func errInvalidCredentials() *APIError {
	return &APIError{Name: "Unauthorized", Reason: "InvalidCredentials", Message: "invalid credentials", Code: 401,
		Info: map[string]any{"AuthenticationType": "password", "FlowType": "login"}}
}

func errUserNotFound(identification string) *APIError {
	return &APIError{Name: "NotFound", Reason: "UserNotFound", Message: "user not found", Code: 404,
		Info: map[string]any{"FlowType": "login", "IdentityTypeIncoming": "login_id", "LoginIDTypeIncoming": identification}}
}

func errDisabledUser() *APIError {
	return &APIError{Name: "Forbidden", Reason: "DisabledUser", Message: "user is disabled", Code: 403,
		Info: map[string]any{"FlowType": "login", "reason": nil}}
}

func errFlowNotFound() *APIError {
	return &APIError{Name: "NotFound", Reason: "AuthenticationFlowNotFound", Message: "flow not found", Code: 404}
}

// errFlowFlowNotFound is the real reason's spelling (s19).
func errFlowFlowNotFound(typ string) *APIError {
	return &APIError{Name: "NotFound", Reason: "AuthenticationFlowFlowNotFound", Message: "flow not found", Code: 404,
		Info: map[string]any{"FlowType": typ}}
}

func errPasswordTooShort(n int) *APIError {
	return &APIError{Name: "Invalid", Reason: "PasswordPolicyViolated", Message: "password policy violated", Code: 400,
		Info: map[string]any{"FlowType": "login", "causes": []any{map[string]any{
			"Name": "PasswordTooShort", "Info": map[string]any{"min_length": passwordMinLength, "pw_length": n},
		}}}}
}

func requiredCause(input map[string]any, expected ...string) cause {
	actual := make([]string, 0, len(input))
	for k := range input {
		actual = append(actual, k)
	}
	sort.Strings(actual)
	var missing []string
	for _, e := range expected {
		if _, ok := input[e]; !ok {
			missing = append(missing, e)
		}
	}
	return cause{Location: "", Kind: "required", Details: map[string]any{"actual": actual, "expected": expected, "missing": missing}}
}

// flowResult is a state as the API shows it.
type flowResult struct {
	StateToken string     `json:"state_token"`
	Type       string     `json:"type"`
	Name       string     `json:"name"`
	Action     flowAction `json:"action"`
}

type flowAction struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

type identificationData struct {
	Type    string `json:"type"`
	Options []any  `json:"options"`
}

type authenticationData struct {
	Type               string `json:"type"`
	Options            []any  `json:"options"`
	DeviceTokenEnabled bool   `json:"device_token_enabled"`
}

type newPasswordData struct {
	Type              string         `json:"type"`
	PasswordPolicy    map[string]any `json:"password_policy"`
	ForceChangeReason string         `json:"force_change_reason"`
}

// flowEnvelope is the answer: result, and error for a failed input (the
// result is then the unchanged state, s05).
type flowEnvelope struct {
	Result *flowResult `json:"result,omitempty"`
	Error  *APIError   `json:"error,omitempty"`
}

// identifyOptions are the enabled login-ID types in Authgear's order;
// with a session cookie, the signed-in user is offered first (s23).
func (s *Server) identifyOptionsLocked(st *flowState) []string {
	var out []string
	for _, k := range []string{keyEmail, keyPhone, keyUsername} {
		if s.loginIDs[k] {
			out = append(out, k)
		}
	}
	return out
}

// resultLocked shows st.
func (s *Server) resultLocked(st *flowState) *flowResult {
	res := &flowResult{StateToken: st.token, Type: "login", Name: "default"}
	switch st.step {
	case stepIdentify:
		opts := []any{}
		if sess := s.signin.sessions[st.flow.cookieSession]; sess != nil && !sess.revoked && st.flow.cookieSession != "" {
			opts = append(opts, map[string]any{"identification": "select_account", "display_name": s.displayNameLocked(sess.userID), "user_id": sess.userID})
		}
		for _, k := range s.identifyOptionsLocked(st) {
			opts = append(opts, map[string]any{"identification": k})
		}
		res.Action = flowAction{Type: stepIdentify, Data: identificationData{Type: "identification_data", Options: opts}}
	case stepAuthenticate:
		res.Action = flowAction{Type: stepAuthenticate, Data: authenticationData{Type: "authentication_data",
			Options: []any{map[string]any{"authentication": "primary_password"}}}}
	case stepAuthenticateTOTP:
		res.Action = flowAction{Type: stepAuthenticate, Data: authenticationData{Type: "authentication_data",
			Options: []any{map[string]any{"authentication": "secondary_totp"}}}}
	case stepChangePassword:
		res.Action = flowAction{Type: stepChangePassword, Data: newPasswordData{Type: "new_password_data",
			PasswordPolicy:    map[string]any{"minimum_length": passwordMinLength, "history": map[string]any{"enabled": false}},
			ForceChangeReason: st.forceReason}}
	case stepFinished:
		data := map[string]any{}
		if st.flow.oauth != nil {
			data["finish_redirect_uri"] = st.flow.oauth.finishRedirectURI
		}
		res.Action = flowAction{Type: stepFinished, Data: data}
	}
	return res
}

// displayNameLocked is the name shown for select_account: the user's
// first login ID.
func (s *Server) displayNameLocked(userID string) string {
	if u := s.store.users[userID]; u != nil && len(u.identities) > 0 {
		return u.identities[0].original
	}
	return ""
}

// newStateLocked snapshots a state of flow f.
func (s *Server) newStateLocked(prev *flowState, f *authFlow, step string) *flowState {
	st := &flowState{token: stateTokenPrefix + randomBase32(32), flow: f, step: step}
	if prev != nil {
		st.userID, st.identification, st.forceChange, st.forceReason = prev.userID, prev.identification, prev.forceChange, prev.forceReason
		st.amr = append([]string(nil), prev.amr...)
	}
	s.signin.states[st.token] = st
	return st
}

// setCSPNonce is the main server's csp_nonce cookie, set on every answer
// to a request that has none (s03).
func setCSPNonce(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie("csp_nonce"); err == nil {
		return
	}
	w.Header().Add("Set-Cookie", "csp_nonce="+randomBase32(32)+"; Path=/; HttpOnly")
}

// serveSignIn answers the Authentication Flow API and the OAuth and
// session routes (oauth.go); it reports whether the path was one of them.
func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case flowsPath, flowStatesPath, flowInputPath:
	default:
		return s.serveOAuth(w, r)
	}
	setSecurityHeaders(w.Header())
	w.Header().Set("Vary", "User-Agent, Origin")
	setCSPNonce(w, r)
	if hasSessionCookie(r) {
		// A session cookie that is no longer valid is cleared (s23).
		s.mu.Lock()
		live := s.sessionFromCookieLocked(r) != nil
		s.mu.Unlock()
		if !live {
			clearSessionCookie(w)
		}
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "OPTIONS, POST")
		return true
	}
	body, err := readLimited(w, r)
	if err != nil {
		return true
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			writeAPIError(w, errInvalidJSON(syn.Error(), syn.Offset))
		} else {
			writeAPIError(w, errBadRequest("invalid request body"))
		}
		return true
	}
	switch r.URL.Path {
	case flowsPath:
		s.createFlow(w, r, raw)
	case flowStatesPath:
		s.mu.Lock()
		st := s.liveStateLocked(raw["state_token"])
		var res *flowResult
		if st != nil {
			res = s.resultLocked(st)
		}
		s.mu.Unlock()
		if st == nil {
			writeAPIError(w, errFlowNotFound())
			return true
		}
		writeJSON(w, http.StatusOK, flowEnvelope{Result: res})
	case flowInputPath:
		s.mu.Lock()
		st := s.liveStateLocked(raw["state_token"])
		s.mu.Unlock()
		if st == nil {
			writeAPIError(w, errFlowNotFound())
			return true
		}
		inputs, ok := flowInputs(raw)
		if !ok {
			s.writeFlowError(w, st, errValidation("invalid request body", []cause{requiredCause(raw, "state_token", "input")}, true))
			return true
		}
		s.runInputs(w, r, st, inputs)
	}
	return true
}

// readLimited reads a request body of at most 1 MiB.
func readLimited(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeAPIError(w, errBadRequest("request body too large"))
		return nil, err
	}
	return body, nil
}

// flowInputs is the input, or the batch_input list, of a request.
func flowInputs(raw map[string]any) ([]map[string]any, bool) {
	if list, ok := raw["batch_input"].([]any); ok {
		var out []map[string]any
		for _, v := range list {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	if m, ok := raw["input"].(map[string]any); ok {
		return []map[string]any{m}, true
	}
	return nil, false
}

// liveStateLocked finds the state of a token whose flow has not finished.
func (s *Server) liveStateLocked(v any) *flowState {
	tok, _ := v.(string)
	st := s.signin.states[tok]
	if st == nil || st.flow.finished {
		return nil
	}
	return st
}

var flowTypes = []string{"signup", "promote", "login", "signup_login", "reauth", "account_recovery"}

func (s *Server) createFlow(w http.ResponseWriter, r *http.Request, raw map[string]any) {
	if _, ok := raw["type"]; !ok {
		writeAPIError(w, errValidation("invalid request body", []cause{requiredCause(raw, "name", "type")}, true))
		return
	}
	if _, ok := raw["name"]; !ok {
		writeAPIError(w, errValidation("invalid request body", []cause{requiredCause(raw, "name", "type")}, true))
		return
	}
	typ, _ := raw["type"].(string)
	known := false
	for _, t := range flowTypes {
		known = known || t == typ
	}
	if !known {
		writeAPIError(w, errValidation("invalid request body", []cause{{Location: "/type", Kind: "enum",
			Details: map[string]any{"actual": raw["type"], "expected": flowTypes}}}, true))
		return
	}
	name, _ := raw["name"].(string)
	if typ != "login" || name != "default" {
		writeAPIError(w, errFlowFlowNotFound(typ))
		return
	}
	s.mu.Lock()
	f := &authFlow{id: randomBase32(32)}
	if q, ok := raw["url_query"].(string); ok && q != "" {
		f.oauth = s.authzForQueryLocked(q)
	}
	if sess := s.sessionFromCookieLocked(r); sess != nil {
		f.cookieSession = sess.id
	}
	s.signin.flows[f.id] = f
	st := s.newStateLocked(nil, f, stepIdentify)
	s.mu.Unlock()
	inputs, _ := flowInputs(raw)
	if len(inputs) == 0 {
		s.mu.Lock()
		res := s.resultLocked(st)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, flowEnvelope{Result: res})
		return
	}
	s.runInputs(w, r, st, inputs)
}

func (s *Server) writeFlowError(w http.ResponseWriter, st *flowState, e *APIError) {
	s.mu.Lock()
	res := s.resultLocked(st)
	s.mu.Unlock()
	writeJSON(w, e.Code, flowEnvelope{Result: res, Error: e.withTracking()})
}

// runInputs feeds inputs to st one by one. An error answers with the state
// the request started from (s18: a batch's error shows the flow's first
// state).
func (s *Server) runInputs(w http.ResponseWriter, r *http.Request, start *flowState, inputs []map[string]any) {
	cur := start
	for _, in := range inputs {
		next, apiErr := s.input(r, cur, in)
		if apiErr != nil {
			s.writeFlowError(w, start, apiErr)
			return
		}
		cur = next
		if cur.step == stepFinished {
			break
		}
	}
	s.mu.Lock()
	var cookie string
	if cur.step == stepFinished && !cur.flow.finished {
		cookie = s.finishLocked(r, cur)
	}
	res := s.resultLocked(cur)
	s.mu.Unlock()
	if cookie != "" {
		w.Header().Add("Set-Cookie", "session="+cookie+"; Path=/; Max-Age=31449600; HttpOnly; SameSite=Lax")
		w.Header().Add("Set-Cookie", "same_site_strict=true; Path=/; Max-Age=31449600; HttpOnly; SameSite=Strict")
	}
	writeJSON(w, http.StatusOK, flowEnvelope{Result: res})
}

// clientIP is the request's remote address without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// input answers one input at st: the next state, or an error (st kept).
func (s *Server) input(r *http.Request, st *flowState, in map[string]any) (*flowState, *APIError) {
	switch st.step {
	case stepIdentify:
		return s.identify(r, st, in)
	case stepAuthenticate:
		return s.authenticatePassword(r, st, in)
	case stepAuthenticateTOTP:
		return s.authenticateTOTP(r, st, in)
	case stepChangePassword:
		return s.changePassword(st, in)
	}
	return nil, errFlowNotFound()
}

func (s *Server) identify(r *http.Request, st *flowState, in map[string]any) (*flowState, *APIError) {
	s.mu.Lock()
	opts := s.identifyOptionsLocked(st)
	selectable := st.flow.cookieSession != ""
	s.mu.Unlock()
	ident, _ := in["identification"].(string)
	if selectable && ident == "select_account" {
		s.mu.Lock()
		defer s.mu.Unlock()
		sess := s.signin.sessions[st.flow.cookieSession]
		if sess == nil || sess.revoked {
			return nil, errFlowNotFound()
		}
		next := s.newStateLocked(st, st.flow, stepFinished)
		next.userID = sess.userID
		return next, nil
	}
	valid := false
	for _, o := range opts {
		valid = valid || o == ident
	}
	if _, ok := in["identification"]; ok && !valid {
		var causes []cause
		for _, o := range opts {
			causes = append(causes, cause{Location: "/identification", Kind: "const", Details: map[string]any{"actual": in["identification"], "expected": o}})
		}
		return nil, errValidation("invalid value", causes, true)
	}
	loginID, ok := in["login_id"].(string)
	if !ok || !valid {
		return nil, errValidation("invalid value", []cause{requiredCause(in, "identification", "login_id")}, true)
	}
	ip := clientIP(r)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	enumKey := "enum\x00" + ip
	if s.signin.limited(enumKey, rateBurst, now) {
		return nil, errEnumerationRateLimited()
	}
	u := s.lookUpLoginIDLocked(loginID)
	if u == nil {
		s.signin.take(enumKey, rateBurst, now)
		return nil, errUserNotFound(ident)
	}
	next := s.newStateLocked(st, st.flow, stepAuthenticate)
	next.userID, next.identification = u.id, ident
	return next, nil
}

// lookUpLoginIDLocked tries value against every enabled login-ID type
// (the identification sent does not restrict it, s10), each with its own
// normaliser: e-mail and username case-insensitively (s11), a phone
// number with or without spaces (s10).
func (s *Server) lookUpLoginIDLocked(value string) *user {
	for _, key := range []string{keyEmail, keyPhone, keyUsername} {
		if !s.loginIDs[key] {
			continue
		}
		var claim string
		var err error
		if key == keyPhone {
			claim, err = signInPhone(value)
		} else {
			claim, err = normalizeLoginID(key, value)
		}
		if err != nil || claim == "" {
			continue
		}
		if id, ok := s.store.byUnique[uniqueKey(key, claim)]; ok {
			if u := s.store.users[id.userID]; u != nil {
				return u
			}
		}
	}
	return nil
}

// signInPhone parses a phone number as the sign-in does: an international
// number, spaces allowed, formatted as E.164; a national number is not
// found (s10).
func signInPhone(v string) (string, error) {
	if !strings.HasPrefix(strings.TrimSpace(v), "+") {
		return "", errNotE164
	}
	num, err := phonenumbers.Parse(v, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", errNotE164
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// checkBcrypt compares plain with an imported bcrypt hash as Authgear
// does: any $2?$ prefix and cost, only the first 72 bytes of the password,
// no normalisation and no trimming (s09, s16).
func checkBcrypt(hash, plain string) bool {
	pw := []byte(plain)
	if len(pw) > 72 {
		pw = pw[:72]
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), pw) == nil
}

func (s *Server) authenticatePassword(r *http.Request, st *flowState, in map[string]any) (*flowState, *APIError) {
	if _, ok1 := in["authentication"]; !ok1 {
		return nil, errValidation("invalid value", []cause{requiredCause(in, "authentication", "password")}, true)
	}
	if _, ok2 := in["password"]; !ok2 {
		return nil, errValidation("invalid value", []cause{requiredCause(in, "authentication", "password")}, true)
	}
	if a, _ := in["authentication"].(string); a != "primary_password" {
		return nil, errValidation("invalid value", []cause{{Location: "/authentication", Kind: "const",
			Details: map[string]any{"actual": in["authentication"], "expected": "primary_password"}}}, true)
	}
	plain, ok := in["password"].(string)
	if !ok {
		return nil, errValidation("invalid value", []cause{{Location: "/password", Kind: "type",
			Details: map[string]any{"actual": []string{jsonType(in["password"])}, "expected": []string{"string"}}}}, true)
	}
	ip := clientIP(r)
	userKey := "pw\x00" + st.userID + "\x00" + ip
	ipKey := "pwip\x00" + ip
	now := s.now()
	s.mu.Lock()
	u := s.store.users[st.userID]
	if u == nil {
		s.mu.Unlock()
		return nil, errUserNotFound(st.identification)
	}
	if s.signin.limited(userKey, rateBurst, now) {
		s.mu.Unlock()
		return nil, errPasswordRateLimited()
	}
	if s.signin.limited(ipKey, perIPPasswordBurst, now) {
		s.mu.Unlock()
		return nil, errPasswordPerIPRateLimited()
	}
	hash, expired := "", false
	if u.password != nil {
		hash = u.password.hash
		expired = u.password.expireAfter != nil && u.password.expireAfter.Before(now)
	}
	disabled := u.disabled
	hasTOTP := len(u.totps) > 0
	s.mu.Unlock()

	// bcrypt outside the lock: cost 10 takes about 70 ms.
	right := hash != "" && checkBcrypt(hash, plain)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !right {
		s.signin.take(userKey, rateBurst, now)
		s.signin.take(ipKey, perIPPasswordBurst, now)
		return nil, errInvalidCredentials()
	}
	if disabled {
		return nil, errDisabledUser()
	}
	next := s.newStateLocked(st, st.flow, stepFinished)
	next.amr = append(next.amr, "pwd", "x_primary_password")
	switch {
	case utf8.RuneCountInString(plain) < passwordMinLength:
		next.forceChange, next.forceReason = true, "policy"
	case expired:
		next.forceChange, next.forceReason = true, "expiry"
	}
	switch {
	case hasTOTP:
		next.step = stepAuthenticateTOTP
	case next.forceChange:
		next.step = stepChangePassword
	}
	return next, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// changePassword answers change_password: a new password of at least 8
// characters replaces the old one (s15).
func (s *Server) changePassword(st *flowState, in map[string]any) (*flowState, *APIError) {
	np, ok := in["new_password"].(string)
	if !ok {
		return nil, errValidation("invalid value", []cause{requiredCause(in, "new_password")}, true)
	}
	if n := utf8.RuneCountInString(np); n < passwordMinLength {
		return nil, errPasswordTooShort(n)
	}
	pw := []byte(np)
	if len(pw) > 72 {
		pw = pw[:72]
	}
	hash, err := bcrypt.GenerateFromPassword(pw, bcrypt.DefaultCost)
	if err != nil {
		return nil, errUnexpected()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.store.users[st.userID]
	if u == nil {
		return nil, errFlowNotFound()
	}
	c := u.clone()
	c.password = &password{hash: string(hash)}
	c.updatedAt = s.now().UTC()
	s.store.put(c)
	next := s.newStateLocked(st, st.flow, stepFinished)
	next.forceChange = false
	return next, nil
}

// finishLocked ends the flow: every state token of it is gone (s19), the
// user's last login time is set and an IdP session is made (s17); the
// session of a cookie the flow began with is replaced (s23). It returns
// the session cookie's value.
func (s *Server) finishLocked(r *http.Request, st *flowState) string {
	f := st.flow
	f.finished = true
	for tok, other := range s.signin.states {
		if other.flow == f && other != st {
			delete(s.signin.states, tok)
		}
	}
	// The finished state itself answers no input either (liveStateLocked).
	now := s.now().UTC()
	s.signin.lastLogin[st.userID] = now
	if old := s.signin.sessions[f.cookieSession]; old != nil {
		old.revoked = true
	}
	sess := s.newSessionLocked(r, st.userID, now, st.amr)
	if f.oauth != nil {
		s.finishOAuthLocked(r, f.oauth)
		f.oauth.sessionID = sess.id
		f.oauth.userID = st.userID
		f.oauth.amr = append([]string(nil), st.amr...)
		f.oauth.authTime = now
	}
	return sess.cookie()
}
