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
	"strings"
	"sync"
	"time"
)

// Running is a Server listening on a TCP address.
type Running struct {
	*Server
	// URL is the endpoint, "http://127.0.0.1:PORT".
	URL string

	srv       *http.Server
	ln        net.Listener
	done      chan struct{}
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
		srv:    &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second},
		ln:     ln,
		done:   make(chan struct{}),
		closed: make(chan struct{}),
	}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	r.stopCtx = context.AfterFunc(ctx, func() { _ = r.Close() })
	return r, nil
}

// Close stops listening, closes open connections and the worker. It is
// safe to call more than once and from several goroutines (Ctrl-C ends the
// context while Main's deferred Close runs).
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		r.stopCtx()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := r.srv.Shutdown(ctx)
		if err != nil {
			err = r.srv.Close()
		}
		<-r.done
		_ = r.Server.Close()
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
	if tokenKey != nil {
		fmt.Fprintf(stdout, "# access tokens: authgear-migrate sandbox token --token-key-file %s --issuer %s --subject USER_ID\n", cmdline.ShellQuote(*tokenKeyFile), cmdline.ShellQuote(endpoint))
	}

	<-ctx.Done()
	return nil
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
