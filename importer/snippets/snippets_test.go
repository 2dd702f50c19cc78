package snippets

import (
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenEndpoint = "https://myapp.authgear.cloud"

// TestGolden compares every rendered file of every stack with
// testdata/golden/<stack>/<path>; go test -run TestGolden -update rewrites
// them.
func TestGolden(t *testing.T) {
	for _, st := range Stacks() {
		t.Run(st.Name, func(t *testing.T) {
			files, err := Project(st.Name, Config{Endpoint: goldenEndpoint})
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "golden", st.Name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := WriteProject(dir, st.Name, Config{Endpoint: goldenEndpoint}); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]bool{}
			for _, f := range files {
				want[f.Path] = true
				golden, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
				if err != nil {
					t.Fatalf("%v (run go test -run TestGolden -update)", err)
				}
				if string(golden) != string(f.Data) {
					t.Errorf("%s/%s differs from its golden file (go test -run TestGolden -update rewrites it):\n%s", st.Name, f.Path, firstDiff(string(golden), string(f.Data)))
				}
			}
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				if !want[filepath.ToSlash(rel)] {
					t.Errorf("golden file %s is no longer rendered", p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n  golden: " + x + "\n  now:    " + y
		}
	}
	return ""
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestSnippetsFilledIn checks what the issue asks of every snippet: the
// endpoint filled in, the portal note, nothing left unfilled.
func TestSnippetsFilledIn(t *testing.T) {
	const endpoint = "https://auth.example.com:8443"
	for _, st := range Stacks() {
		t.Run(st.Name, func(t *testing.T) {
			text, err := Render(st.Name, Config{Endpoint: endpoint + "/"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, endpoint) {
				t.Error("the endpoint is not in the snippet")
			}
			if strings.Contains(text, endpoint+"/\"") || strings.Contains(text, endpoint+"/'") {
				t.Error("the endpoint kept its trailing slash")
			}
			if !strings.Contains(text, PortalNote) {
				t.Errorf("the snippet lacks the line %q", PortalNote)
			}
			for _, s := range st.Snippet {
				if len(st.Snippet) > 1 && !strings.Contains(text, "==> "+s+" <==") {
					t.Errorf("file %s is not named in the snippet", s)
				}
			}
			files, err := Project(st.Name, Config{Endpoint: endpoint})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if strings.Contains(string(f.Data), "__AUTHGEAR_") {
					t.Errorf("%s: a placeholder is left", f.Path)
				}
				if strings.HasSuffix(f.Path, ".tmpl") {
					t.Errorf("%s: .tmpl suffix kept", f.Path)
				}
			}
		})
	}
}

func TestNormalizeEndpoint(t *testing.T) {
	ok := map[string]string{
		"https://myapp.authgear.cloud":      "https://myapp.authgear.cloud",
		"https://MyApp.Authgear.Cloud/":     "https://myapp.authgear.cloud",
		" https://auth.example.com:8443 ":   "https://auth.example.com:8443",
		"http://127.0.0.1:3002":             "http://127.0.0.1:3002",
		"http://localhost:3002/":            "http://localhost:3002",
		"http://[::1]:3002":                 "http://[::1]:3002",
		"https://203.0.113.7":               "https://203.0.113.7",
		"https://xn--bcher-kva.example.com": "https://xn--bcher-kva.example.com",
	}
	for in, want := range ok {
		got, err := NormalizeEndpoint(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                                  "empty",
		"myapp.authgear.cloud":              "https://",
		"ftp://myapp.authgear.cloud":        "https://",
		"http://myapp.authgear.cloud":       "loopback",
		"https://myapp.authgear.cloud/path": "only scheme and host",
		"https://myapp.authgear.cloud?x=1":  "only scheme and host",
		"https://myapp.authgear.cloud#f":    "only scheme and host",
		"https://user:pw@myapp.authgear.cl": "only scheme and host",
		"https://my_app.authgear.cloud":     "DNS name",
		"https://my\"app.authgear.cloud":    "",
		"https://myapp.authgear.cloud:80a":  "",
		"https://myapp.authgear.cloud:":     "port",
		"https://-x.authgear.cloud":         "DNS name",
		"https://myapp.authgear.cloud';x='": "",
	}
	for in, reason := range bad {
		_, err := NormalizeEndpoint(in)
		var ee *EndpointError
		if !errors.As(err, &ee) {
			t.Errorf("NormalizeEndpoint(%q): err %v, want an EndpointError", in, err)
			continue
		}
		if !strings.Contains(err.Error(), reason) {
			t.Errorf("NormalizeEndpoint(%q): %q does not say %q", in, err, reason)
		}
	}
}

func TestUnknownStack(t *testing.T) {
	_, err := Render("rails", Config{Endpoint: goldenEndpoint})
	var ue *UnknownStackError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "express") {
		t.Fatalf("err %v, want an UnknownStackError listing the stacks", err)
	}
	if err := WriteProject(t.TempDir(), "rails", Config{Endpoint: goldenEndpoint}); !errors.As(err, &ue) {
		t.Fatalf("WriteProject: err %v", err)
	}
}

func TestWriteProject(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	if err := WriteProject(dir, "nginx", Config{Endpoint: goldenEndpoint}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode %v, want 0755", info.Mode().Perm())
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "Run: `sh run.sh`") {
		t.Errorf("README does not say how to run it:\n%s", readme)
	}
	// A second write into the same folder touches nothing.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteProject(dir, "nginx", Config{Endpoint: goldenEndpoint})
	var ue *UnsafeFolderError
	if !errors.As(err, &ue) || ue.Problem != FolderNotEmpty || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err %v, want a refusal of a folder that is not empty", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(b) != "mine" {
		t.Error("an existing file was overwritten")
	}
	// A bad endpoint writes nothing.
	empty := filepath.Join(t.TempDir(), "x")
	if err := WriteProject(empty, "go", Config{Endpoint: "http://example.com"}); err == nil {
		t.Fatal("bad endpoint: no error")
	}
	if _, err := os.Stat(empty); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a bad endpoint created the folder")
	}
}

func TestStacksList(t *testing.T) {
	seen := map[string]bool{}
	for _, st := range Stacks() {
		if seen[st.Name] || st.Title == "" || st.Run == "" || st.Tested == "" || len(st.Snippet) == 0 {
			t.Errorf("stack %+v: duplicate or incomplete", st)
		}
		seen[st.Name] = true
	}
	for _, want := range []string{"express", "nextjs", "go", "flask", "fastapi", "spring-boot", "aspnet", "php", "nginx"} {
		if !seen[want] {
			t.Errorf("stack %s missing", want)
		}
	}
	s := Stacks()
	s[0].Snippet[0] = "changed"
	if st, _ := Lookup(s[0].Name); st.Snippet[0] == "changed" {
		t.Error("Stacks returns shared slices")
	}
}

// TestNPMCacheMatchesSnippets checks that the npm packages .ci/run installs
// for the tests are the ones the generated package.json files ask for.
func TestNPMCacheMatchesSnippets(t *testing.T) {
	cache := readDeps(t, mustRead(t, filepath.Join("testdata", "npm-cache-package.json")))
	for _, stack := range []string{"express", "nextjs"} {
		files, err := Project(stack, Config{Endpoint: goldenEndpoint})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Path != "package.json" {
				continue
			}
			for name, version := range readDeps(t, f.Data) {
				if cache[name] != version {
					t.Errorf("%s needs %s@%s; testdata/npm-cache-package.json has %q", stack, name, version, cache[name])
				}
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readDeps(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	return pkg.Dependencies
}
