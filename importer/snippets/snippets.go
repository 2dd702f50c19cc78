// Package snippets renders the middleware that protects a backend with
// Authgear's access tokens, for the stacks people run (Express, Next.js, Go,
// Flask, FastAPI, Spring Boot, ASP.NET Core, PHP/Laravel, nginx), filled in
// with the project's endpoint, and writes each as a small runnable project.
//
// Every project listens on $PORT (default 3000) and $HOST (default
// 127.0.0.1) and serves GET / (open) and GET /protected: 200 with a JSON
// body carrying the user's id (sub) for a valid Authgear access token, 401
// without a token or with a bad one. The tests run each project whose
// runtime is on the machine against the sandbox's OIDC discovery, JWKS and
// resolver.
//
// The package only generates text; it imports nothing of the engine and
// no terminal UI module.
package snippets

import (
	"embed"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path"
	"sort"
	"strings"
)

//go:embed all:stacks
var stackFS embed.FS

// Config is what a snippet is filled in with.
type Config struct {
	// Endpoint is the Authgear project's endpoint, as
	// "https://myapp.authgear.cloud": the access tokens' issuer and
	// audience. Plain http is accepted only for a loopback host (the
	// sandbox).
	Endpoint string
}

// Stack describes one supported stack.
type Stack struct {
	// Name is what --stack takes: "express", "go", ...
	Name string
	// Title is the human name: "Express (Node.js, jose)".
	Title string
	// Snippet lists the project files that Render prints: the middleware
	// and what configures it.
	Snippet []string
	// Run is the command that starts the project from its folder.
	Run string
	// Tested says how authgear-migrate's own tests check the stack.
	Tested string
}

var stacks = []Stack{
	{Name: "express", Title: "Express (Node.js, jose)", Snippet: []string{"server.js"},
		Run: "npm install && npm start", Tested: "run against the sandbox in the tests (Node.js)"},
	{Name: "nextjs", Title: "Next.js middleware (jose)", Snippet: []string{"middleware.js"},
		Run: "npm install && npm run dev (or npm run build && npm start)", Tested: "run against the sandbox in the tests (next dev)"},
	{Name: "go", Title: "Go net/http (golang-jwt/jwt/v5, keyfunc)", Snippet: []string{"main.go"},
		Run: "go run .", Tested: "built and run against the sandbox in the tests"},
	{Name: "flask", Title: "Python Flask (PyJWT PyJWKClient)", Snippet: []string{"app.py"},
		Run: "pip install -r requirements.txt && python3 app.py", Tested: "run against the sandbox in the tests (Debian python3-flask, python3-jwt)"},
	{Name: "fastapi", Title: "Python FastAPI (PyJWT PyJWKClient)", Snippet: []string{"main.py"},
		Run: "pip install -r requirements.txt && python3 main.py", Tested: "run against the sandbox in the tests (Debian python3-fastapi, python3-uvicorn)"},
	{Name: "spring-boot", Title: "Java Spring Boot resource server (issuer-uri)",
		Snippet: []string{"src/main/resources/application.yml", "src/main/java/com/example/authgear/ProtectedApiApplication.java"},
		Run:     "mvn spring-boot:run", Tested: "not built in the tests (no Maven Central where they run)"},
	{Name: "aspnet", Title: "ASP.NET Core (AddJwtBearer)", Snippet: []string{"Program.cs"},
		Run: "dotnet run", Tested: "not built in the tests (no .NET SDK where they run)"},
	{Name: "php", Title: "PHP and Laravel middleware (firebase/php-jwt)",
		Snippet: []string{"src/AuthgearJwt.php", "src/JwksCache.php", "app/Http/Middleware/AuthgearAuthenticate.php"},
		Run:     "composer install && php -S 127.0.0.1:${PORT:-3000} public/index.php", Tested: "php -l in the tests (no Packagist where they run)"},
	{Name: "nginx", Title: "nginx auth_request to Authgear's resolver", Snippet: []string{"nginx.conf.template"},
		Run: "sh run.sh", Tested: "run against the sandbox's resolver in the tests (Debian nginx)"},
}

// Stacks returns the supported stacks, in a stable order.
func Stacks() []Stack {
	out := make([]Stack, len(stacks))
	for i, s := range stacks {
		out[i] = s
		out[i].Snippet = append([]string(nil), s.Snippet...)
	}
	return out
}

// Lookup returns the stack called name.
func Lookup(name string) (Stack, bool) {
	for _, s := range Stacks() {
		if s.Name == name {
			return s, true
		}
	}
	return Stack{}, false
}

// Names returns the stacks' names.
func Names() []string {
	names := make([]string, len(stacks))
	for i, s := range stacks {
		names[i] = s.Name
	}
	return names
}

// UnknownStackError is returned for a stack name that is not supported.
type UnknownStackError struct{ Name string }

func (e *UnknownStackError) Error() string {
	return fmt.Sprintf("unknown stack %q (known: %s)", e.Name, strings.Join(Names(), ", "))
}

// EndpointError is returned for an endpoint that cannot be filled in.
type EndpointError struct {
	Endpoint string
	Reason   string
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("endpoint %q: %s", e.Endpoint, e.Reason)
}

// NormalizeEndpoint checks an endpoint and returns it as scheme://host[:port]
// with a lowercase host and no trailing slash. It must be an https URL (or
// http for localhost, 127.0.0.0/8 or ::1) without user info, path, query or
// fragment, and its host a DNS name or an IP address: the value is written
// into source code, so nothing else gets through.
func NormalizeEndpoint(endpoint string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &EndpointError{Endpoint: endpoint, Reason: reason}
	}
	if strings.TrimSpace(endpoint) == "" {
		return bad("empty; give the project's endpoint, as https://myapp.authgear.cloud")
	}
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		return bad("not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return bad("must start with https://")
	}
	if u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return bad("must be only scheme and host, as https://myapp.authgear.cloud")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return bad("no host")
	}
	ip := net.ParseIP(host)
	if ip == nil && !validDNSName(host) {
		return bad("the host is not a DNS name or an IP address")
	}
	if port := u.Port(); port != "" {
		if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return bad("bad port")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("bad port")
	}
	if u.Scheme == "http" && !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return bad("plain http is only for a loopback host; Authgear endpoints are https")
	}
	hostport := host
	if ip != nil && strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if u.Port() != "" {
		hostport += ":" + u.Port()
	}
	return u.Scheme + "://" + hostport, nil
}

func validDNSName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// File is one file of a rendered project.
type File struct {
	Path string // slash-separated, relative to the project folder
	Mode fs.FileMode
	Data []byte
}

// Project renders every file of the stack's runnable project, README.md
// included, sorted by path.
func Project(stack string, c Config) ([]File, error) {
	st, ok := Lookup(stack)
	if !ok {
		return nil, &UnknownStackError{Name: stack}
	}
	endpoint, err := NormalizeEndpoint(c.Endpoint)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(endpoint)
	repl := strings.NewReplacer(
		"__AUTHGEAR_ENDPOINT__", endpoint,
		"__AUTHGEAR_HOST__", u.Host,
		"__AUTHGEAR_HOSTNAME__", u.Hostname(),
	)
	root := "stacks/" + st.Name
	var files []File
	err = fs.WalkDir(stackFS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := stackFS.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		mode := fs.FileMode(0o644)
		if path.Ext(rel) == ".sh" {
			mode = 0o755
		}
		files = append(files, File{Path: rel, Mode: mode, Data: []byte(repl.Replace(string(data)))})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snippets: %s: %w", st.Name, err)
	}
	files = append(files, File{Path: "README.md", Mode: 0o644, Data: []byte(readme(st, endpoint))})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Render returns the stack's snippet filled in with the endpoint: the
// middleware file, or, for a stack whose snippet spans several files, each
// of them after a "==> path <==" line.
func Render(stack string, c Config) (string, error) {
	files, err := Project(stack, c)
	if err != nil {
		return "", err
	}
	st, _ := Lookup(stack)
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	var b strings.Builder
	for i, p := range st.Snippet {
		data, ok := byPath[p]
		if !ok {
			return "", fmt.Errorf("snippets: %s: no file %s", stack, p)
		}
		if len(st.Snippet) > 1 {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "==> %s <==\n", p)
		}
		b.Write(data)
	}
	return b.String(), nil
}

// PortalNote is the one line every snippet carries.
const PortalNote = `Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.`

func readme(st Stack, endpoint string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Authgear-protected API: %s\n\n", st.Title)
	fmt.Fprintf(&b, "Generated by `authgear-migrate snippets --stack %s --endpoint %s`.\n\n", st.Name, endpoint)
	fmt.Fprintf(&b, "%s\n\n", PortalNote)
	fmt.Fprintf(&b, "Run: `%s` (listens on $PORT, default 3000, and $HOST, default 127.0.0.1).\n\n", st.Run)
	switch st.Name {
	case "nginx":
		b.WriteString("nginx checks the resolver's TLS certificate against the system's trusted certificates:\n")
		b.WriteString("`$AUTHGEAR_CA_FILE`, by default `/etc/ssl/certs/ca-certificates.crt` (Debian, Ubuntu; RHEL:\n")
		b.WriteString("`/etc/pki/tls/certs/ca-bundle.crt`; Alpine: `/etc/ssl/cert.pem`).\n\n")
	case "php":
		b.WriteString("The key set is cached in `var/cache` (created mode 0700; Laravel: `storage/framework/cache/authgear`),\n")
		b.WriteString("and in APCu when it is enabled. Keep that folder writable by the app's user only.\n\n")
	}
	b.WriteString("`GET /` is open. `GET /protected` answers 200 with the user's id (`sub`) for a valid Authgear\n")
	b.WriteString("access token, and 401 without a token or with a bad one (bad signature, another issuer or\n")
	b.WriteString("audience, expired):\n\n")
	b.WriteString("    curl -H \"Authorization: Bearer $ACCESS_TOKEN\" http://127.0.0.1:3000/protected\n\n")
	b.WriteString("To try it without Authgear, run the sandbox with a token key and use its endpoint instead:\n\n")
	b.WriteString("    authgear-migrate sandbox --key-file admin.pem --token-key-file token.pem\n")
	b.WriteString("    authgear-migrate sandbox token --token-key-file token.pem --issuer http://127.0.0.1:3002 --subject user-1\n\n")
	fmt.Fprintf(&b, "Files: %s.\n", strings.Join(st.Snippet, ", "))
	return b.String()
}
