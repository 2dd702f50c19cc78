//go:build unix

package snippets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// Each runnable snippet is written with WriteProject into a temporary
// folder, started with its stack's runtime on a free loopback port, and
// asked GET / and GET /protected with no token, a valid token, a token with
// a bad signature, from another issuer, for another audience, expired, and
// with forged X-Authgear-* headers, against a sandbox serving OIDC
// discovery, the JWKS and the resolver. A stack whose runtime is missing
// skips and says what is missing.

// runner knows how to start one stack's project.
type runner struct {
	stack string
	// prepare checks the runtime and returns the folder to write the
	// project into ("" = a temporary folder) or skips the test.
	prepare func(t *testing.T) string
	// build runs once the project is written (may skip on a registry that
	// cannot be reached).
	build func(t *testing.T, dir string)
	// command starts the project listening on port.
	command func(t *testing.T, dir string, port int) *exec.Cmd
	// ready is how long it may take to answer GET /.
	ready time.Duration
	// unknownKIDs: the project checks tokens against the JWKS itself (not
	// nginx, which asks the resolver), so tokens with unknown key ids are
	// tried and the JWKS fetches counted.
	unknownKIDs bool
}

// debianPython is Debian's interpreter, which has python3-flask and
// friends; the python3 first on PATH may be another one (pyenv).
const debianPython = "/usr/bin/python3"

func runners() []runner {
	return []runner{
		{stack: "go", unknownKIDs: true, prepare: prepareGo, build: buildGo, ready: 60 * time.Second,
			command: func(t *testing.T, dir string, port int) *exec.Cmd {
				return exec.Command(filepath.Join(dir, "authgear-protected"))
			}},
		{stack: "express", unknownKIDs: true, prepare: prepareNode("express", "jose"), ready: 60 * time.Second,
			command: func(t *testing.T, dir string, port int) *exec.Cmd {
				return exec.Command("node", "server.js")
			}},
		{stack: "nextjs", unknownKIDs: true, prepare: prepareNode("next", "react", "react-dom", "jose"), ready: 240 * time.Second,
			command: func(t *testing.T, dir string, port int) *exec.Cmd {
				next := filepath.Join(npmDir(), "node_modules", "next", "dist", "bin", "next")
				return exec.Command("node", next, "dev", "--turbopack", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
			}},
		{stack: "flask", unknownKIDs: true, prepare: preparePython("flask", "jwt", "cryptography"), ready: 60 * time.Second,
			command: func(t *testing.T, dir string, port int) *exec.Cmd {
				return exec.Command(debianPython, "app.py")
			}},
		{stack: "fastapi", unknownKIDs: true, prepare: preparePython("fastapi", "uvicorn", "jwt", "cryptography"), ready: 60 * time.Second,
			command: func(t *testing.T, dir string, port int) *exec.Cmd {
				return exec.Command(debianPython, "main.py")
			}},
		{stack: "nginx", prepare: prepareNginx, ready: 60 * time.Second,
			command: func(t *testing.T, dir string, port int) *exec.Cmd {
				cmd := exec.Command("sh", "run.sh")
				cmd.Env = append(cmd.Environ(), "UPSTREAM_PORT="+strconv.Itoa(freePort(t)))
				return cmd
			}},
	}
}

var (
	ranMu sync.Mutex
	ran   = map[string]string{}
)

func noteStack(stack, outcome string) {
	ranMu.Lock()
	ran[stack] = outcome
	ranMu.Unlock()
}

func TestSnippetsRun(t *testing.T) {
	tokenKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tokenKey.KID = sandbox.KeyIDFor(&tokenKey.Private.PublicKey)
	otherKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	otherKey.KID = tokenKey.KID // same kid, other key: a bad signature
	adminKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.New(sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{adminKey.PublicKey()}, TokenKey: tokenKey})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var jwksFetches atomic.Int64
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/jwks" {
			jwksFetches.Add(1)
		}
		srv.ServeHTTP(w, r)
	})
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: counting}}
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	endpoint := hs.URL
	signedIn := importSignInUser(t, srv, endpoint, adminKey)

	t.Cleanup(func() {
		ranMu.Lock()
		defer ranMu.Unlock()
		var lines []string
		for _, st := range Stacks() {
			outcome, ok := ran[st.Name]
			if !ok {
				outcome = "not run (" + st.Tested + ")"
			}
			lines = append(lines, fmt.Sprintf("  %-12s %s", st.Name, outcome))
		}
		t.Logf("snippet stacks:\n%s", strings.Join(lines, "\n"))
	})
	t.Run("spring-boot", func(t *testing.T) {
		noteStack("spring-boot", "skipped: cannot be built here (no Maven Central)")
		t.Skip("Spring Boot cannot be built here: Maven Central is not reachable")
	})
	t.Run("aspnet", func(t *testing.T) {
		noteStack("aspnet", "skipped: cannot be built here (no .NET SDK)")
		t.Skip("ASP.NET Core cannot be built here: no .NET SDK")
	})

	for _, r := range runners() {
		t.Run(r.stack, func(t *testing.T) {
			start := time.Now()
			noteStack(r.stack, "skipped")
			dir := r.prepare(t)
			if dir == "" {
				dir = t.TempDir()
			}
			dir = filepath.Join(dir, "project")
			if err := WriteProject(dir, r.stack, Config{Endpoint: endpoint}); err != nil {
				t.Fatal(err)
			}
			if r.build != nil {
				r.build(t, dir)
			}
			port := freePort(t)
			cmd := r.command(t, dir, port)
			cmd.Dir = dir
			if cmd.Env == nil {
				cmd.Env = cmd.Environ()
			}
			cmd.Env = append(cmd.Env, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1", "NEXT_TELEMETRY_DISABLED=1", "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			out := startProcess(t, cmd)
			waitReady(t, base, r.ready, out)
			started := time.Since(start)

			checkSub := func(name, auth string, extra http.Header, wantSub string) {
				t.Helper()
				status, body := get(t, base+"/protected", auth, extra)
				if wantSub != "" {
					var got struct{ Sub string }
					if status != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Sub != wantSub {
						t.Errorf("%s: %d %q, want 200 with sub %q\n%s", name, status, body, wantSub, out.String())
					}
					return
				}
				if status != http.StatusUnauthorized && status != http.StatusForbidden {
					t.Errorf("%s: %d %q, want 401 or 403\n%s", name, status, body, out.String())
				}
				if bytes.Contains(body, []byte("user-")) || bytes.Contains(body, []byte(signedIn.userID)) {
					t.Errorf("%s: the refusal carries a user id: %q", name, body)
				}
			}
			check := func(name, auth string, extra http.Header, wantOK bool) {
				t.Helper()
				want := ""
				if wantOK {
					want = "user-" + r.stack
				}
				checkSub(name, auth, extra, want)
			}
			mint := func(k *sandbox.KeyPair, tok sandbox.AccessToken) string {
				t.Helper()
				if tok.Issuer == "" {
					tok.Issuer = endpoint
				}
				tok.Subject = "user-" + r.stack
				s, err := k.AccessToken(tok)
				if err != nil {
					t.Fatal(err)
				}
				return "Bearer " + s
			}
			if status, body := get(t, base+"/", "", nil); status != http.StatusOK {
				t.Errorf("GET /: %d %q, want 200", status, body)
			}
			check("no token", "", nil, false)
			if status, _ := get(t, base+"/protected", "", nil); status != http.StatusUnauthorized {
				t.Errorf("no token: %d, want 401", status)
			}
			check("valid token", mint(tokenKey, sandbox.AccessToken{IsVerified: true}), nil, true)
			// A token that a sign-in produced: the imported user's old
			// password through the sandbox's login flow and OAuth code
			// path (issue 16 item 3), as a migrated user's browser would.
			checkSub("token from a sign-in", "Bearer "+signedIn.accessToken(t), nil, signedIn.userID)
			check("bad signature", mint(otherKey, sandbox.AccessToken{}), nil, false)
			check("other issuer", mint(tokenKey, sandbox.AccessToken{Issuer: "https://other.authgear.cloud", Audience: []string{endpoint}}), nil, false)
			check("other audience", mint(tokenKey, sandbox.AccessToken{Audience: []string{"https://other.authgear.cloud"}}), nil, false)
			check("expired", mint(tokenKey, sandbox.AccessToken{IssuedAt: time.Now().Add(-time.Hour), ExpiresIn: 30 * time.Minute}), nil, false)
			check("not a JWT", "Bearer not.a.jwt", nil, false)
			forged := http.Header{}
			forged.Set(sandbox.HeaderSessionValid, "true")
			forged.Set(sandbox.HeaderUserID, "user-"+r.stack)
			check("forged resolver headers", "", forged, false)
			// The valid token again: the keys come from the cache now.
			check("valid token again", mint(tokenKey, sandbox.AccessToken{}), nil, true)
			requests := 11
			if r.unknownKIDs {
				// Tokens naming 50 key ids the JWKS does not have (issue 17
				// item 9): each is refused, and the key set is fetched again
				// at most once per cooldown (jose's createRemoteJWKSet:
				// 30 s), not once per token.
				before := jwksFetches.Load()
				for i := range 50 {
					k := *otherKey
					k.KID = fmt.Sprintf("unknown-kid-%d", i)
					check(k.KID, mint(&k, sandbox.AccessToken{}), nil, false)
				}
				if n := jwksFetches.Load() - before; n > 2 {
					t.Errorf("50 tokens with unknown key ids made %d fetches of the JWKS, want at most 2", n)
				}
				check("valid token after unknown key ids", mint(tokenKey, sandbox.AccessToken{}), nil, true)
				requests += 51
			}
			if t.Failed() {
				noteStack(r.stack, "FAILED")
				return
			}
			noteStack(r.stack, fmt.Sprintf("ran: %d requests passed (started in %.1fs, total %.1fs)", requests, started.Seconds(), time.Since(start).Seconds()))
		})
	}
}

func TestPHPLint(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is missing (Debian php-cli): the PHP snippet is not linted")
	}
	dir := t.TempDir()
	if err := WriteProject(dir, "php", Config{Endpoint: goldenEndpoint}); err != nil {
		t.Fatal(err)
	}
	var n int
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".php" {
			return err
		}
		n++
		out, err := exec.Command(php, "-l", p).CombinedOutput()
		if err != nil {
			rel, _ := filepath.Rel(dir, p)
			t.Errorf("php -l %s: %v\n%s", rel, err, out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Fatalf("linted %d PHP files, want 4", n)
	}
	t.Logf("php -l passed on %d files (the PHP snippet cannot be run here: no Packagist for firebase/php-jwt)", n)
}

// --- runtimes ---

func prepareGo(t *testing.T) string {
	if _, err := goTool(); err != nil {
		t.Skip("go is missing: " + err.Error())
	}
	return ""
}

func goTool() (string, error) {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return exec.LookPath("go")
}

func buildGo(t *testing.T, dir string) {
	goBin, _ := goTool()
	env := append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off", "GOTOOLCHAIN=local")
	dl := exec.Command(goBin, "mod", "download")
	dl.Dir, dl.Env = dir, env
	if out, err := dl.CombinedOutput(); err != nil {
		t.Skipf("the Go snippet's modules cannot be downloaded (the Go module proxy is needed once): %v\n%s", err, out)
	}
	build := exec.Command(goBin, "build", "-o", "authgear-protected", ".")
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	vet := exec.Command(goBin, "vet", ".")
	vet.Dir, vet.Env = dir, env
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}

// npmDir is where .ci/run installs the npm packages of the Express and
// Next.js snippets: $AUTHGEAR_MIGRATE_NPM_DIR, by default
// ${XDG_CACHE_HOME:-$HOME/.cache}/authgear-migrate/npm.
func npmDir() string {
	if d := os.Getenv("AUTHGEAR_MIGRATE_NPM_DIR"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "authgear-migrate", "npm")
}

// prepareNode checks node and the npm packages, and returns a folder inside
// the npm cache, so that Node's module resolution finds its node_modules.
func prepareNode(pkgs ...string) func(t *testing.T) string {
	return func(t *testing.T) string {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is missing (Debian nodejs)")
		}
		dir := npmDir()
		if dir == "" {
			t.Skip("no cache folder for the npm packages (set AUTHGEAR_MIGRATE_NPM_DIR)")
		}
		for _, p := range pkgs {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", p, "package.json")); err != nil {
				t.Skipf("npm package %s is not installed in %s: run .ci/run (it installs testdata/npm-cache-package.json there)", p, dir)
			}
		}
		run, err := os.MkdirTemp(dir, "run-")
		if err != nil {
			t.Skipf("cannot write in %s: %v", dir, err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(run) })
		return run
	}
}

func preparePython(modules ...string) func(t *testing.T) string {
	return func(t *testing.T) string {
		if _, err := os.Stat(debianPython); err != nil {
			t.Skip(debianPython + " is missing (Debian python3)")
		}
		for _, m := range modules {
			if err := exec.Command(debianPython, "-c", "import "+m).Run(); err != nil {
				t.Skipf("%s cannot import %s (Debian python3-%s)", debianPython, m, m)
			}
		}
		return ""
	}
}

func prepareNginx(t *testing.T) string {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/nginx"); err2 != nil {
			t.Skip("nginx is missing (Debian nginx)")
		}
		nginx = "/usr/sbin/nginx"
	}
	out, _ := exec.Command(nginx, "-V").CombinedOutput()
	if !bytes.Contains(out, []byte("http_auth_request_module")) {
		t.Skip("this nginx has no auth_request module")
	}
	return ""
}

// --- processes and requests ---

// lockedBuffer collects a process's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "--- output of the project ---\n" + l.b.String()
}

// startProcess starts cmd in its own process group, killed (with its
// children: next dev, nginx workers) when the test ends.
func startProcess(t *testing.T, cmd *exec.Cmd) *lockedBuffer {
	t.Helper()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		// Children that outlived the leader.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	return out
}

func waitReady(t *testing.T, base string, limit time.Duration, out *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the project did not answer GET / within %v (last: %v)\n%s", limit, errOrStatus(err, resp), out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func errOrStatus(err error, resp *http.Response) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

func get(t *testing.T, url, auth string, extra http.Header) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GET %s: no answer in 180s", url)
		}
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
