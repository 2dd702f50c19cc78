package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/authgear-migrate/authgear-migrate/importer/internal/cmdline"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Running is a Server listening on a TCP address.
type Running struct {
	*Server
	// URL is the endpoint, "http://127.0.0.1:PORT".
	URL string

	// mu guards srv, ln and done, which a restart replaces.
	mu        sync.Mutex
	srv       *http.Server
	ln        net.Listener
	done      chan struct{}
	addr      string
	stopCtx   func() bool
	closeErr  error
	closeOnce sync.Once
	closed    chan struct{}
}

// Start creates a Server and serves it on addr ("127.0.0.1:0" picks a free
// port). It stops when ctx ends or Close is called.
func Start(ctx context.Context, addr string, o Options) (*Running, error) {
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sandbox: listen %s: %w", addr, err)
	}
	r := &Running{
		Server: s,
		URL:    "http://" + ln.Addr().String(),
		addr:   ln.Addr().String(),
		closed: make(chan struct{}),
	}
	r.serve(ln)
	s.mu.Lock()
	s.restart = r.Restart
	s.mu.Unlock()
	r.stopCtx = context.AfterFunc(ctx, func() { _ = r.Close() })
	return r, nil
}

// serve serves on ln; the caller holds r.mu or is Start.
func (r *Running) serve(ln net.Listener) {
	srv := &http.Server{Handler: r.Server, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	r.srv, r.ln, r.done = srv, ln, done
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
}

// Restart stops listening and closes every connection (letting answers
// being written finish), refuses connections for d, then listens again on
// the same address, as a restarted Authgear does. The worker, its queue
// and the users are kept. It returns when the server listens again, or
// when it was closed meanwhile.
func (r *Running) Restart(d time.Duration) {
	r.mu.Lock()
	select {
	case <-r.closed:
		r.mu.Unlock()
		return
	default:
	}
	srv, done := r.srv, r.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
	cancel()
	<-done
	r.logf("sandbox: restarting: connections refused for %s (injected)", d)
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-r.closeCh:
		t.Stop()
		r.mu.Unlock()
		return
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // the port is briefly held
	}
	if err != nil {
		r.logf("sandbox: could not listen again on %s: %v", r.addr, err)
		r.mu.Unlock()
		return
	}
	r.serve(ln)
	r.mu.Unlock()
	r.logf("sandbox: listening again on %s", r.addr)
}

// Close stops listening, closes open connections and the worker. It is
// safe to call more than once and from several goroutines (Ctrl-C ends the
// context while Main's deferred Close runs).
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		r.stopCtx()
		// Closing the worker first ends a restart's wait.
		_ = r.Server.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := r.srv.Shutdown(ctx)
		if err != nil {
			err = r.srv.Close()
		}
		<-r.done
		r.closeErr = err
		close(r.closed)
	})
	<-r.closed
	return r.closeErr
}

// ErrUsage marks command-line usage errors of Main (exit status 2).
var ErrUsage = errors.New("usage error")

type usageError struct{ err error }

func (e *usageError) Error() string   { return e.err.Error() }
func (e *usageError) Unwrap() []error { return []error{ErrUsage, e.err} }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// Main is the "authgear-migrate sandbox" subcommand: it serves the sandbox
// until ctx ends. args exclude the subcommand name. Usage errors match
// errors.Is(err, ErrUsage) (and flag.ErrHelp for -h).
//
//	authgear-migrate sandbox --listen ADDR --project-id ID --key-id KID --key-file PATH
//	    [--rate N] [--login-ids email,phone,username] [--roles a,b] [--groups a,b]
//	    [--token-key-file PATH]
//	authgear-migrate sandbox token --token-key-file PATH --issuer URL --subject ID [--expires-in 5m]
//
// When --key-file does not exist, an RSA-2048 key is generated and written
// there (PKCS#8 PEM, mode 0600); otherwise it is loaded. The endpoint and
// the environment variables for authgear-migrate are printed to stdout;
// the private key never is.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return tokenMain(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:3002", "`address` to listen on (port 0 picks a free one)")
	projectID := fs.String("project-id", "myapp", "project (app) `id`: the JWT aud")
	keyID := fs.String("key-id", "", "key `id` of the admin API key (default: derived from the key)")
	keyFile := fs.String("key-file", "", "`path` of the admin API private key (PKCS#8 PEM); created if missing")
	rate := fs.Float64("rate", 0, "records per `second` the worker processes (0 = unthrottled; Authgear does about 100)")
	loginIDs := fs.String("login-ids", "email", "enabled login ID `types`: email,phone,username")
	roles := fs.String("roles", "", "existing role `keys`, comma-separated (* = any)")
	groups := fs.String("groups", "", "existing group `keys`, comma-separated (* = any)")
	customAttrs := fs.String("custom-attributes", "", "configured custom attribute `names`, comma-separated")
	phone := fs.String("phone-validation", PhoneIsValidNumber, "isValidNumber or isPossibleNumber")
	retention := fs.Duration("retention", 24*time.Hour, "how long job results stay readable")
	loseTasks := fs.String("lose-tasks", "", "tasks to lose, numbered from 1 in the order they start (`list`, e.g. 3,7): as a server killed mid-task, half their records are imported and their job stays pending for ever")
	loseAfter := fs.Int("lose-after", 0, "records a lost task imports before it is lost (default: half)")
	forgetAfter := fs.Int("forget-jobs-after", 0, "forget every job after this many `polls`: then 404 TaskNotFound, as after a Redis restart (0 = never)")
	outageAfter := fs.Int("db-outage-after", 0, "a database outage begins after this many `tasks`")
	outageTasks := fs.Int("db-outage-tasks", 0, "the database outage fails this many `tasks`")
	outageFor := fs.Duration("db-outage", 0, "the database outage lasts this `long` (from its first failed task)")
	outageNoOutcome := fs.Bool("db-outage-no-outcome", false, "in the outage, tasks fail as a whole and give their records no outcome (default: every record fails with UnexpectedError)")
	dropAfterAccept := fs.String("drop-after-accept", "", "POSTs, numbered from 1 in arrival order (`list`), whose job is accepted and whose connection is closed before the answer: the job runs, the client never learns its id")
	restartAfter := fs.Int("restart-after", 0, "restart after this many accepted `POSTs`: connections are refused for --restart-for")
	restartFor := fs.Duration("restart-for", 12*time.Second, "how `long` a restart refuses connections")
	var oauthClients []OAuthClient
	fs.Func("oauth-client", "a public OAuth `client` for the sign-in's code path, ID=REDIRECT_URI[,URI...] (repeatable; needs --token-key-file; default "+DefaultOAuthClient.ID+"="+DefaultOAuthClient.RedirectURIs[0]+")", func(v string) error {
		c, err := ParseOAuthClient(v)
		if err != nil {
			return err
		}
		oauthClients = append(oauthClients, c)
		return nil
	})
	tokenKeyFile := fs.String("token-key-file", "", "`path` of the key signing access tokens (PKCS#8 PEM; created, mode 0600, if missing): serves OIDC discovery, /oauth2/jwks and /_resolver/resolve")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: authgear-migrate sandbox --key-file PATH [flags]")
		fmt.Fprintln(fs.Output(), "Serves an Authgear User Import API sandbox for one project.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &usageError{err: err}
	}
	if fs.NArg() > 0 {
		return usagef("sandbox: unexpected argument %q", fs.Arg(0))
	}
	if *keyFile == "" {
		return usagef("sandbox: --key-file is required")
	}
	if *projectID == "" {
		return usagef("sandbox: --project-id must not be empty")
	}
	if *rate < 0 {
		return usagef("sandbox: --rate must not be negative")
	}
	faults, err := faultsFromFlags(*loseTasks, *dropAfterAccept)
	if err != nil {
		return err
	}
	for name, n := range map[string]int{"--lose-after": *loseAfter, "--forget-jobs-after": *forgetAfter, "--db-outage-after": *outageAfter, "--db-outage-tasks": *outageTasks, "--restart-after": *restartAfter} {
		if n < 0 {
			return usagef("sandbox: %s must not be negative", name)
		}
	}
	if *outageFor < 0 || *restartFor < 0 {
		return usagef("sandbox: --db-outage and --restart-for must not be negative")
	}
	faults.LoseAfter, faults.ForgetJobsAfter = *loseAfter, *forgetAfter
	faults.DBOutageAfterTasks, faults.DBOutageTasks, faults.DBOutageFor, faults.DBOutageNoOutcome = *outageAfter, *outageTasks, *outageFor, *outageNoOutcome
	faults.RestartAfterPOSTs, faults.RestartFor = *restartAfter, *restartFor

	path, err := filepath.Abs(*keyFile)
	if err != nil {
		return err
	}
	var kp *KeyPair
	created := false
	switch _, statErr := os.Stat(path); {
	case statErr == nil:
		if kp, err = LoadKeyFile(path, *keyID); err != nil {
			return err
		}
	case errors.Is(statErr, os.ErrNotExist):
		if kp, err = GenerateKey(); err != nil {
			return err
		}
		// Without --key-id, the kid is derived from the key rather than
		// random, so that a later run loading the file finds the same one.
		if *keyID != "" {
			kp.KID = *keyID
		} else {
			kp.KID = KeyIDFor(&kp.Private.PublicKey)
		}
		if err := kp.WriteKeyFile(path); err != nil {
			return err
		}
		created = true
	default:
		return statErr
	}

	if oauthClients != nil && *tokenKeyFile == "" {
		return usagef("sandbox: --oauth-client needs --token-key-file (the key that signs the tokens)")
	}
	var tokenKey *KeyPair
	if *tokenKeyFile != "" {
		tokenPath, err := filepath.Abs(*tokenKeyFile)
		if err != nil {
			return err
		}
		if tokenPath == path {
			return usagef("sandbox: --token-key-file must not be the Admin API key file")
		}
		var tokenCreated bool
		if tokenKey, tokenCreated, err = LoadOrCreateKeyFile(tokenPath); err != nil {
			return err
		}
		if tokenCreated {
			fmt.Fprintf(stderr, "sandbox: wrote a new access-token signing key to %s (mode 0600)\n", tokenPath)
		}
	}

	o := Options{
		OAuthClients:     oauthClients,
		TokenKey:         tokenKey,
		ProjectID:        *projectID,
		Keys:             []PublicKey{kp.PublicKey()},
		LoginIDTypes:     cmdline.SplitList(*loginIDs),
		Roles:            cmdline.SplitList(*roles),
		Groups:           cmdline.SplitList(*groups),
		CustomAttributes: cmdline.SplitList(*customAttrs),
		PhoneValidation:  *phone,
		Rate:             *rate,
		Retention:        *retention,
		Faults:           faults,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(stderr, format+"\n", args...)
		},
	}
	if o.LoginIDTypes == nil {
		o.LoginIDTypes = []string{}
	}
	if err := normalizeOptions(&o); err != nil {
		// Option errors (an unknown login ID type...) are usage errors.
		return &usageError{err: err}
	}
	r, err := Start(ctx, *listen, o)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()

	if created {
		fmt.Fprintf(stderr, "sandbox: wrote a new admin API key to %s (mode 0600)\n", path)
	}
	endpoint := loopbackURL(r.URL)
	fmt.Fprintf(stdout, "Authgear User Import API sandbox for project %q listening on %s\n", *projectID, r.URL)
	fmt.Fprintf(stdout, "export AUTHGEAR_ENDPOINT=%s\n", cmdline.ShellQuote(endpoint))
	fmt.Fprintf(stdout, "export AUTHGEAR_PROJECT_ID=%s\n", cmdline.ShellQuote(*projectID))
	fmt.Fprintf(stdout, "export AUTHGEAR_ADMIN_KEY_ID=%s\n", cmdline.ShellQuote(kp.KID))
	fmt.Fprintf(stdout, "export AUTHGEAR_ADMIN_KEY_FILE=%s\n", cmdline.ShellQuote(path))
	fmt.Fprintf(stdout, "# sign-in: POST %s/api/v1/authentication_flows {\"type\":\"login\",\"name\":\"default\"}\n", endpoint)
	if tokenKey != nil {
		for _, c := range o.OAuthClients {
			fmt.Fprintf(stdout, "# OAuth client %s (public, PKCE S256): redirect URI %s\n", c.ID, strings.Join(c.RedirectURIs, ", "))
		}
		fmt.Fprintf(stdout, "# access tokens: authgear-migrate sandbox token --token-key-file %s --issuer %s --subject USER_ID\n", cmdline.ShellQuote(*tokenKeyFile), cmdline.ShellQuote(endpoint))
	}

	<-ctx.Done()
	return nil
}

// faultsFromFlags reads the list flags of the faults: the tasks to lose
// and the accepted POSTs whose connection is dropped.
func faultsFromFlags(loseTasks, dropAfterAccept string) (Faults, error) {
	var f Faults
	nums := func(flag, list string) ([]int, error) {
		var out []int
		for _, p := range cmdline.SplitList(list) {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 {
				return nil, usagef("sandbox: %s: %q is not a number from 1", flag, p)
			}
			out = append(out, n)
		}
		return out, nil
	}
	var err error
	if f.LoseTasks, err = nums("--lose-tasks", loseTasks); err != nil {
		return f, err
	}
	drops, err := nums("--drop-after-accept", dropAfterAccept)
	if err != nil {
		return f, err
	}
	for _, n := range drops {
		for len(f.POSTScript) < n {
			f.POSTScript = append(f.POSTScript, FaultNone)
		}
		f.POSTScript[n-1] = FaultDropAfterAccept
	}
	return f, nil
}

// loopbackURL turns a wildcard listen address (http://[::]:3100,
// http://0.0.0.0:3100) into the loopback URL a client on this machine uses:
// plain http is accepted only on loopback.
func loopbackURL(u string) string {
	for _, wild := range []string{"http://[::]:", "http://0.0.0.0:"} {
		if port, ok := strings.CutPrefix(u, wild); ok {
			return "http://127.0.0.1:" + port
		}
	}
	return u
}
