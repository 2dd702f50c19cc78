// Package sandbox is an in-process HTTP server that behaves like Authgear's
// User Import API (POST /_api/admin/users/import and
// GET /_api/admin/users/import/{id}) for one project, so authgear-migrate
// can be run and tested without a real Authgear.
//
// The behaviour follows /work/shared/authgear-import-api.md and, where the
// two differ, the recorded answers of a real server in
// /work/shared/real-server (cited as real-server/<case>): the status codes,
// content types, bodies, warning and error texts, the 100-record tasks run
// by one FIFO worker, and the real server's bugs (a null identifier loses
// its whole task; look-ups compare the raw value with the normalised one;
// an identifier whose login-ID type is disabled creates identity-less
// users). It judges records with its own code and shares none with the
// importer it is meant to test. The replay test sends every recorded
// request again and compares the answers.
//
// On top of that it can inject faults (5xx, 429, dropped connections, slow
// answers, crashed tasks, a record quota) and the troubles of a real
// Authgear (a task lost by a killed server, jobs forgotten by a Redis
// restart, a database outage, a restart refusing connections), throttle the worker (Rate),
// expire results (Retention, with an injectable clock), hold the worker
// (Pause/Resume) and report what it received (Stats) and stored (Users).
//
// Use it in tests with New and httptest, or Start; or run it with the
// "authgear-migrate sandbox" command (Main).
//
// Known differences from a real server:
//   - the Host header is ignored (no 404 "app not found");
//   - reserved usernames are a subset of Authgear's list, and the
//     confusable-character check is left out (usernames are ASCII-only by
//     default anyway); custom attribute values are not checked against a
//     type; e-mail uniqueness does not map IDN domains to punycode;
//   - only NUL is refused as PostgreSQL refuses it; other control
//     characters are stored, as on the real database;
//   - account status is disabled/enabled plus the valid period; an
//     impossible transition on update is the warning
//     "invalid account status transition: X -> Y";
//   - the record quota (Faults.RecordQuota) never resets; the 502/503
//     answers of fault injection imitate a proxy, not Authgear;
//   - where the recordings are silent, choices are marked in comments
//     (OPTIONS answers 204, an unparsable Content-Type is quoted raw in
//     the 415, a whitespace-only body is 400 InvalidJSON, a TOTP secret is
//     padded before base32 decoding, upsert of a login ID whose type is not
//     enabled is "login ID key is not allowed").
package sandbox

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The routes, as in pkg/admin/transport.
const (
	importPath = "/_api/admin/users/import"
	// BodyMaxSize is userimport.BodyMaxSize: 500,000 bytes, decimal.
	BodyMaxSize = 500 * 1000
	// recordsPerTask is userimport's recordsPerTask.
	recordsPerTask = 100
)

// Phone validation methods, ui.phone_input.validation of the project.
const (
	PhoneIsValidNumber    = "isValidNumber"
	PhoneIsPossibleNumber = "isPossibleNumber"
)

// Options configures a Server.
type Options struct {
	// ProjectID is the app id; a token's aud must contain it. Required.
	ProjectID string
	// Keys are the admin-api.auth keys; at least one. Several keys model
	// rotation.
	Keys []PublicKey
	// LoginIDTypes are the enabled login-ID keys: "email", "phone",
	// "username". Default: email only, as Authgear's default project.
	LoginIDTypes []string
	// Roles and Groups are the keys that exist in the project; "*" means
	// any key exists. Default: none (an import with roles fails with
	// RoleUnknownKeys, real-server/j02).
	Roles, Groups []string
	// CustomAttributes are the configured custom attribute names; others
	// are silently ignored (real-server/m02 #12). Values are not checked
	// against a type.
	CustomAttributes []string
	// PhoneValidation is "isValidNumber" (default) or "isPossibleNumber".
	PhoneValidation string
	// Rate is the number of records per second the worker processes;
	// 0 means as fast as it can. The real server does about 90-110.
	Rate float64
	// Retention is how long jobs and tasks stay readable (default 24h);
	// after it, GET answers 404 TaskNotFound.
	Retention time.Duration
	// Now is the clock for timestamps, token checks and retention
	// (default time.Now). Rate pacing uses real time.
	Now func() time.Time
	// InlineWait lets a POST wait up to this long for its tasks before the
	// job record is written, so a small job can already be completed in
	// the POST answer, with completed_at == created_at, as real-server/i07
	// shows. Default 0: the POST answer is always pending.
	InlineWait time.Duration
	// Faults configures fault injection (off by default).
	Faults Faults
	// Logf, if set, receives one line per accepted job and finished task.
	// Tokens are never logged.
	Logf func(format string, args ...any)
	// TokenKey, if set, is the key that signs the project's access tokens
	// (separate from the Admin API keys): the server then also serves
	// OIDC discovery, /oauth2/jwks and /_resolver/resolve (tokens.go).
	TokenKey *KeyPair
	// Issuer is the endpoint in the discovery document and the iss and aud
	// the resolver expects; default: the scheme and Host of each request.
	Issuer string
	// OAuthClients are the project's public OAuth clients (code + PKCE
	// S256) for the sign-in's OAuth path (oauth.go); nil means
	// DefaultOAuthClient, the recorded "migrate-test".
	OAuthClients []OAuthClient
	// VerifiableClaims are the claims whose verification the project
	// switches on: a verified one makes the is_verified claim true.
	// Default: phone_number only, as the recorded project (e-mail
	// verification off, real-server/sign-in s14).
	VerifiableClaims []string
}

// Server is the sandbox: an http.Handler serving the User Import API of one
// project, with a single background worker. Close it when done.
type Server struct {
	opts         Options
	now          func() time.Time
	keys         map[string]*rsa.PublicKey
	schemas      *schemas
	possibleOnly bool

	mu          sync.Mutex
	cond        *sync.Cond
	loginIDs    map[string]bool
	roles       keySet
	groups      keySet
	roleList    []*rgEntry // the roles and groups graphql.go lists
	groupList   []*rgEntry
	customAttrs map[string]bool
	rate        float64
	store       *store
	jobs        map[string]*job
	tasks       map[string]*task
	queue       []*task
	running     *task
	paused      bool
	closed      bool
	changed     chan struct{}
	stats       Stats
	faults      *faultState
	lastPurge   time.Time
	inlineWait  time.Duration

	// pacing of the worker (real time; replaceable in tests)
	nextAt time.Time
	mono   func() time.Time
	sleep  func(time.Duration) bool

	closeCh   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	// startedAt is the token key's created_at in the JWKS.
	startedAt time.Time
	// signin is the login flows, sessions and OAuth grants (signin.go).
	signin *signin

	// restart, set by Start, stops listening for a while
	// (Faults.RestartAfterPOSTs).
	restart func(d time.Duration)
}

type keySet struct {
	any  bool
	keys map[string]bool
}

func newKeySet(list []string) keySet {
	ks := keySet{keys: map[string]bool{}}
	for _, k := range list {
		if k == "*" {
			ks.any = true
		}
		ks.keys[k] = true
	}
	return ks
}

func (k keySet) has(key string) bool { return k.any || k.keys[key] }

// New validates o and starts the server's worker.
func New(o Options) (*Server, error) {
	if err := normalizeOptions(&o); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range o.Keys {
		keys[k.KID] = k.Key
	}
	loginIDs := map[string]bool{}
	for _, t := range o.LoginIDTypes {
		loginIDs[t] = true
	}
	possibleOnly := o.PhoneValidation == PhoneIsPossibleNumber
	sch, err := compileSchemas(possibleOnly)
	if err != nil {
		return nil, err
	}
	custom := map[string]bool{}
	for _, c := range o.CustomAttributes {
		custom[c] = true
	}
	s := &Server{
		opts:         o,
		now:          o.Now,
		keys:         keys,
		schemas:      sch,
		possibleOnly: possibleOnly,
		loginIDs:     loginIDs,
		roles:        newKeySet(o.Roles),
		groups:       newKeySet(o.Groups),
		roleList:     initRoleGroupLists(o.Roles, o.Now().UTC()),
		groupList:    initRoleGroupLists(o.Groups, o.Now().UTC()),
		customAttrs:  custom,
		rate:         o.Rate,
		store:        newStore(),
		jobs:         map[string]*job{},
		tasks:        map[string]*task{},
		changed:      make(chan struct{}),
		faults:       newFaultState(o.Faults),
		inlineWait:   o.InlineWait,
		mono:         time.Now,
		closeCh:      make(chan struct{}),
		signin:       newSignin(),
		startedAt:    o.Now(),
	}
	s.stats.ReceivedByIdentifier = map[string]int{}
	s.stats.Outcomes = map[string]int{}
	s.cond = sync.NewCond(&s.mu)
	s.sleep = s.realSleep
	s.wg.Add(1)
	go s.worker()
	return s, nil
}

// normalizeOptions checks o and fills in the defaults.
func normalizeOptions(o *Options) error {
	if o.ProjectID == "" {
		return errors.New("sandbox: ProjectID is required")
	}
	if len(o.Keys) == 0 {
		return errors.New("sandbox: at least one key is required")
	}
	for _, k := range o.Keys {
		if k.KID == "" || k.Key == nil {
			return errors.New("sandbox: every key needs a KID and a public key")
		}
	}
	if o.TokenKey != nil && (o.TokenKey.KID == "" || o.TokenKey.Private == nil) {
		return errors.New("sandbox: the token key needs a KID and a private key")
	}
	if o.LoginIDTypes == nil {
		o.LoginIDTypes = []string{keyEmail}
	}
	for _, t := range o.LoginIDTypes {
		if _, ok := fieldForKey[t]; !ok {
			return fmt.Errorf("sandbox: unknown login ID type %q (want email, phone or username)", t)
		}
	}
	switch o.PhoneValidation {
	case "":
		o.PhoneValidation = PhoneIsValidNumber
	case PhoneIsValidNumber, PhoneIsPossibleNumber:
	default:
		return fmt.Errorf("sandbox: unknown phone validation %q (want %s or %s)", o.PhoneValidation, PhoneIsValidNumber, PhoneIsPossibleNumber)
	}
	if o.Rate < 0 {
		return errors.New("sandbox: Rate must not be negative")
	}
	if o.Retention <= 0 {
		o.Retention = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OAuthClients == nil {
		o.OAuthClients = []OAuthClient{DefaultOAuthClient}
	}
	if o.VerifiableClaims == nil {
		o.VerifiableClaims = []string{"phone_number"}
	}
	return nil
}

// Close stops the worker (a task in progress stops between records and
// stays pending). It does not stop HTTP listeners; see Running.Close.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closeCh)
		s.cond.Broadcast()
		s.notifyLocked()
		s.mu.Unlock()
		s.wg.Wait()
	})
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// SetLoginIDTypes changes the enabled login-ID keys, as an admin editing
// the project's config would (the real-server recordings switched from
// email only to email, phone and username between groups c and g).
func (s *Server) SetLoginIDTypes(types ...string) error {
	m := map[string]bool{}
	for _, t := range types {
		if _, ok := fieldForKey[t]; !ok {
			return fmt.Errorf("sandbox: unknown login ID type %q", t)
		}
		m[t] = true
	}
	s.mu.Lock()
	s.loginIDs = m
	s.mu.Unlock()
	return nil
}

// SetRate changes the worker's records per second (0 = unthrottled).
func (s *Server) SetRate(rate float64) {
	if rate < 0 {
		rate = 0
	}
	s.mu.Lock()
	s.rate = rate
	s.mu.Unlock()
}

// Pause keeps the worker from starting another task (a task in progress
// finishes), so jobs stay pending. Resume undoes it.
func (s *Server) Pause() {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
}

// Resume lets the worker run again.
func (s *Server) Resume() {
	s.mu.Lock()
	s.paused = false
	s.cond.Broadcast()
	s.mu.Unlock()
}

// WaitIdle blocks until every queued task has been processed, or ctx ends.
// While paused with queued tasks it waits for ctx.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle := len(s.queue) == 0 && s.running == nil
		ch := s.changed
		closed := s.closed
		s.mu.Unlock()
		if idle {
			return nil
		}
		if closed {
			return errors.New("sandbox: server closed with tasks pending")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifyLocked wakes WaitIdle and InlineWait waiters.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Stats is what the server has received and done.
type Stats struct {
	Requests    int // every HTTP request
	ImportPOSTs int // POST /_api/admin/users/import (any outcome)
	StatusGETs  int // GET /_api/admin/users/import/{id} (any outcome)
	// GraphQLRequests counts authorised POST /_api/admin/graphql.
	GraphQLRequests int
	// UsersDeleted counts deleteUser mutations that deleted a user.
	UsersDeleted int

	JobsAccepted    int
	RecordsReceived int // records of accepted jobs
	// ReceivedByIdentifier counts, per raw identifier value, how many
	// records of accepted jobs carried it ("<null>" for a JSON null,
	// "<missing>" when absent): a value counted twice was sent twice.
	ReceivedByIdentifier map[string]int

	TasksCompleted   int
	TasksCrashed     int // ended with the job-level InternalError
	RecordsProcessed int
	Outcomes         map[string]int // inserted, updated, skipped, failed

	Users  int
	Faults FaultStats
}

// Repeated returns the identifier values received more than once.
func (st Stats) Repeated() map[string]int {
	out := map[string]int{}
	for k, n := range st.ReceivedByIdentifier {
		if n > 1 {
			out[k] = n
		}
	}
	return out
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ReceivedByIdentifier = make(map[string]int, len(s.stats.ReceivedByIdentifier))
	for k, v := range s.stats.ReceivedByIdentifier {
		st.ReceivedByIdentifier[k] = v
	}
	st.Outcomes = make(map[string]int, len(s.stats.Outcomes))
	for k, v := range s.stats.Outcomes {
		st.Outcomes[k] = v
	}
	st.Users = len(s.store.users)
	st.Faults = s.faults.stats
	return st
}

// setSecurityHeaders sets the admin API middleware's headers (md §1.1,
// real-server/a01). The CSP nonce is random per answer.
func setSecurityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Content-Security-Policy", "script-src 'self' https: 'nonce-"+randomBase32(32)+"' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Permissions-Policy", permissionsPolicy)
}

const permissionsPolicy = "accelerometer=(), ambient-light-sensor=(), autoplay=*, battery=(), bluetooth=(), browsing-topics=(), camera=(), display-capture=(), document-domain=(), encrypted-media=(), execution-while-not-rendered=*, execution-while-out-of-viewport=*, fullscreen=*, gamepad=(), geolocation=(), gyroscope=(), hid=(), identity-credentials-get=(), idle-detection=(), local-fonts=(), magnetometer=(), microphone=(), midi=(), otp-credentials=(), payment=(), picture-in-picture=(), publickey-credentials-create=(self), publickey-credentials-get=(self), screen-wake-lock=(), serial=(), speaker-selection=(), storage-access=(), usb=(), web-share=(), window-management=(), xr-spatial-tracking=()"

// ServeHTTP routes like the admin server: the router first (405 and 404
// come before any middleware, real-server/f08, f09), then the security
// headers, fault injection, the JWT check, the content-type check, and the
// handler. The Host header is ignored, as with the recorded server's
// local_fs configuration.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()

	p := r.URL.Path
	switch {
	case p == importPath:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, r, "OPTIONS, POST")
			return
		}
		s.mu.Lock()
		s.stats.ImportPOSTs++
		s.mu.Unlock()
		s.serveAPI(w, r, "")
	case strings.HasPrefix(p, importPath+"/") && len(p) > len(importPath)+1 && !strings.Contains(p[len(importPath)+1:], "/"):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET, OPTIONS")
			return
		}
		s.mu.Lock()
		s.stats.StatusGETs++
		s.mu.Unlock()
		s.serveAPI(w, r, p[len(importPath)+1:])
	case p == graphqlPath:
		s.serveGraphQL(w, r)
	default:
		if s.serveSignIn(w, r) {
			return
		}
		if s.serveTokenAPI(w, r) {
			return
		}
		http.NotFound(w, r)
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
}

// serveAPI runs the middleware chain; id is "" for the POST.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, id string) {
	setSecurityHeaders(w.Header())

	s.mu.Lock()
	fault := s.faults.decide(r.Method)
	s.mu.Unlock()
	switch fault {
	case Fault500, Fault502, Fault503:
		s.countFault(func(f *FaultStats) { f.ServerErrors++ })
		writeServerError(w, fault)
		return
	case FaultDrop:
		s.countFault(func(f *FaultStats) { f.Dropped++ })
		dropConnection(w, r)
		return
	case FaultSlow:
		s.countFault(func(f *FaultStats) { f.Slow++ })
		t := time.NewTimer(s.opts.Faults.SlowDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closeCh:
			t.Stop()
		}
	}

	// Auth comes before the content type and the body (real-server/e01:
	// a valid body without a token is 403).
	if !s.authorize(r) {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}

	if r.Method == http.MethodGet {
		s.handleGet(w, id)
		return
	}

	// CheckContentType(["application/json", "application/graphql"]).
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		http.Error(w, "invalid content type: "+ct, http.StatusUnsupportedMediaType)
		return
	}
	if mt != "application/json" && mt != "application/graphql" {
		http.Error(w, "invalid content type: "+mt, http.StatusUnsupportedMediaType)
		return
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		http.Error(w, "invalid content type: "+mt, http.StatusUnsupportedMediaType)
		return
	}
	s.handleCreate(w, r, mt, params, fault)
}

func (s *Server) countFault(f func(*FaultStats)) {
	s.mu.Lock()
	f(&s.faults.stats)
	s.mu.Unlock()
}

// importRequest is userimport.Request.
type importRequest struct {
	Upsert     bool              `json:"upsert"`
	Identifier string            `json:"identifier"`
	Records    []json.RawMessage `json:"records"`
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, mt string, params map[string]string, fault Fault) {
	// httputil.BindJSONBody: exactly application/json, with at most the
	// parameter charset=utf-8.
	if mt != "application/json" || len(params) > 1 || (len(params) == 1 && !strings.EqualFold(params["charset"], "utf-8")) {
		writeAPIError(w, errBadRequest("request content type is invalid"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, BodyMaxSize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeAPIError(w, errJSONTooLarge(tooLarge.Limit))
			return
		}
		writeAPIError(w, errUnexpected())
		return
	}

	// Malformed JSON (real-server/f01-f04): a syntax error is 400
	// InvalidJSON with the byte offset, an empty body too; a body that
	// ends in the middle of a value is a 500 on the real server.
	var probe any
	if err := json.Unmarshal(body, &probe); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			if syn.Error() == "unexpected end of JSON input" && len(strings.TrimSpace(string(body))) > 0 {
				writeAPIError(w, errUnexpected())
				return
			}
			writeAPIError(w, errInvalidJSON(syn.Error(), syn.Offset))
			return
		}
		writeAPIError(w, errUnexpected())
		return
	}
	inst, err := decodeForSchema(body)
	if err != nil {
		writeAPIError(w, errUnexpected())
		return
	}
	if causes := s.schemas.request.validate(inst); causes != nil {
		writeAPIError(w, errValidation("invalid request body", causes, false))
		return
	}
	var req importRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeAPIError(w, errUnexpected())
		return
	}

	res, apiErr := s.enqueue(&req, fault)
	if apiErr != nil {
		writeAPIError(w, apiErr)
		return
	}
	if fault == FaultDropAfterAccept {
		s.countFault(func(f *FaultStats) { f.DroppedAfterAccept++ })
		dropConnection(w, r)
		s.maybeRestart()
		return
	}
	writeResult(w, res)
	s.maybeRestart()
}

// maybeRestart restarts a listening server after the accepted POST that
// Faults.RestartAfterPOSTs names (the answer is written first).
func (s *Server) maybeRestart() {
	s.mu.Lock()
	n, restart := s.faults.cfg.RestartAfterPOSTs, s.restart
	due := n > 0 && s.stats.JobsAccepted >= n && restart != nil && !s.faults.restarted
	if due {
		s.faults.restarted = true
		s.faults.stats.Restarts++
	}
	s.mu.Unlock()
	if due {
		go restart(s.faults.cfg.RestartFor)
	}
}

func (s *Server) handleGet(w http.ResponseWriter, id string) {
	s.mu.Lock()
	s.purgeLocked()
	var res *Result
	var apiErr *APIError
	if strings.HasPrefix(id, jobIDPrefix) {
		s.forgetLocked(id)
		res, apiErr = s.jobResultLocked(id)
	} else {
		// Legacy single-task ids, including the internal userimporttask_
		// ids (md §2.4, real-server/k01, a04).
		res, apiErr = s.taskResultLocked(id)
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeAPIError(w, apiErr)
		return
	}
	writeResult(w, res)
}
