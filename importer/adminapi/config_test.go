package adminapi

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means an error
	}{
		{"https://myapp.authgear.cloud", "https://myapp.authgear.cloud"},
		{"https://myapp.authgear.cloud/", "https://myapp.authgear.cloud"},
		{"  https://MyApp.Authgear.Cloud  ", "https://myapp.authgear.cloud"},
		{"HTTPS://auth.example.com:8443", "https://auth.example.com:8443"},
		{"https://[2001:db8::1]", "https://[2001:db8::1]"},
		{"http://localhost:3002", "http://localhost:3002"},
		{"http://127.0.0.1:3002", "http://127.0.0.1:3002"},
		{"http://127.1.2.3", "http://127.1.2.3"},
		{"http://[::1]:3002", "http://[::1]:3002"},
		{"http://LOCALHOST", "http://localhost"},

		{"", ""},
		{"myapp.authgear.cloud", ""},
		{"localhost:3002", ""},
		{"//myapp.authgear.cloud", ""},
		{"http://myapp.authgear.cloud", ""},
		{"http://10.0.0.1", ""},
		{"http://192.168.1.10:3002", ""},
		{"http://[::2]", ""},
		{"http://localhost.example.com", ""},
		{"http://127.0.0.1.nip.io", ""},
		{"ftp://myapp.authgear.cloud", ""},
		{"https://", ""},
		{"https://myapp.authgear.cloud/_api/admin", ""},
		{"https://myapp.authgear.cloud/_api/admin/users/import", ""},
		{"https://myapp.authgear.cloud?x=1", ""},
		{"https://myapp.authgear.cloud/?", ""},
		{"https://myapp.authgear.cloud#frag", ""},
		{"https://user:pass@myapp.authgear.cloud", ""},
		{"http://user:pass@example.com:abc", ""},
		{"user:pass@example.com", ""},
		{"https://myapp.authgear.cloud:", ""},
		{"https://myapp.authgear.cloud:abc", ""},
		{"https://my app.authgear.cloud", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseEndpoint(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted, got %s", u)
				}
				if strings.Contains(err.Error(), ":pass@") {
					t.Errorf("error repeats the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if u.String() != tt.want {
				t.Errorf("got %s, want %s", u, tt.want)
			}
		})
	}
}

func TestProjectIDFromEndpoint(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://myapp.authgear.cloud", "myapp", true},
		{"https://myapp.authgear.cloud/", "myapp", true},
		{"https://MyApp.Authgear.Cloud", "myapp", true},
		{"myapp.authgear.cloud", "myapp", true},
		{"https://my-app-123.authgear.cloud:443", "my-app-123", true},
		{"https://mycompany.authgearapps.com", "mycompany", true},
		{"https://myapp.authgear-apps.com", "myapp", true},
		{"https://accounts.portal.authgearapps.com", "", false},
		{"https://a.b.authgear.cloud", "", false},
		{"https://authgear.cloud", "", false},
		{"https://.authgear.cloud", "", false},
		{"https://auth.example.com", "", false},
		{"https://myapp.authgear.cloud.evil.com", "", false},
		{"https://evilauthgear.cloud", "", false},
		{"http://localhost:3100", "", false},
		{"", "", false},
		{"https://-bad.authgear.cloud", "", false},
	}
	for _, tt := range tests {
		got, ok := ProjectIDFromEndpoint(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ProjectIDFromEndpoint(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		EnvEndpoint:  " https://myapp.authgear.cloud ",
		EnvProjectID: "",
		EnvKeyID:     testKID + "\n",
		EnvKeyFile:   "/keys/admin.pem",
		EnvKey:       "",
	}
	cfg := ConfigFromEnv(func(k string) string { return env[k] })
	want := Config{Endpoint: "https://myapp.authgear.cloud", KeyID: testKID, KeyFile: "/keys/admin.pem"}
	if cfg != want {
		t.Errorf("got %v, want %v", cfg, want)
	}
}

func writeKeyFile(t *testing.T, data []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is subject to umask
		t.Fatal(err)
	}
	return p
}

func TestLoadCredentials(t *testing.T) {
	k := testKey()
	pemFile := writeKeyFile(t, pkcs8PEM(t, k), 0o600)

	t.Run("pem file, project id from endpoint", func(t *testing.T) {
		creds, warns, err := LoadCredentials(Config{Endpoint: "https://myapp.authgear.cloud", KeyID: testKID, KeyFile: pemFile})
		if err != nil {
			t.Fatal(err)
		}
		if len(warns) != 0 {
			t.Errorf("warnings: %v", warns)
		}
		if creds.ProjectID != "myapp" || creds.KeyID != testKID || !creds.Key.Equal(k) {
			t.Errorf("got %v", creds)
		}
	})

	t.Run("explicit project id wins over the endpoint", func(t *testing.T) {
		creds, _, err := LoadCredentials(Config{Endpoint: "https://myapp.authgear.cloud", ProjectID: "other", KeyID: testKID, KeyFile: pemFile})
		if err != nil || creds.ProjectID != "other" {
			t.Fatalf("got %v, %v", creds, err)
		}
	})

	t.Run("secrets yaml in the env var gives the kid", func(t *testing.T) {
		creds, _, err := LoadCredentials(Config{ProjectID: "myapp", KeyData: string(secretsYAML(k, testKID))})
		if err != nil {
			t.Fatal(err)
		}
		if creds.KeyID != testKID {
			t.Errorf("kid = %q", creds.KeyID)
		}
	})

	t.Run("given key id differs from the file's kid: warning, given wins", func(t *testing.T) {
		f := writeKeyFile(t, jwkJSONBytes(t, k, testKID), 0o600)
		creds, warns, err := LoadCredentials(Config{ProjectID: "myapp", KeyID: "given", KeyFile: f})
		if err != nil {
			t.Fatal(err)
		}
		if creds.KeyID != "given" || len(warns) != 1 || !strings.Contains(warns[0], testKID) {
			t.Errorf("kid %q, warnings %v", creds.KeyID, warns)
		}
	})

	t.Run("world-readable key file: warning", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no unix modes")
		}
		f := writeKeyFile(t, pkcs8PEM(t, k), 0o644)
		_, warns, err := LoadCredentials(Config{ProjectID: "myapp", KeyID: testKID, KeyFile: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(warns) != 1 || !strings.Contains(warns[0], "chmod 600") || !strings.Contains(warns[0], "0644") {
			t.Errorf("warnings: %v", warns)
		}
	})

	t.Run("nothing set: every missing setting named at once", func(t *testing.T) {
		_, _, err := LoadCredentials(Config{Endpoint: "https://auth.example.com"})
		if err == nil {
			t.Fatal("no error")
		}
		for _, env := range []string{EnvProjectID, EnvKeyID, EnvKeyFile, EnvKey} {
			if !strings.Contains(err.Error(), env) {
				t.Errorf("error does not name %s: %v", env, err)
			}
		}
	})

	t.Run("pem without key id", func(t *testing.T) {
		_, _, err := LoadCredentials(Config{ProjectID: "myapp", KeyFile: pemFile})
		if err == nil || !strings.Contains(err.Error(), EnvKeyID) {
			t.Fatalf("got %v", err)
		}
		if strings.Contains(err.Error(), EnvProjectID) {
			t.Errorf("complains about the project id too: %v", err)
		}
	})

	t.Run("both key file and key data", func(t *testing.T) {
		_, _, err := LoadCredentials(Config{ProjectID: "myapp", KeyID: testKID, KeyFile: pemFile, KeyData: string(pkcs8PEM(t, k))})
		if err == nil || !strings.Contains(err.Error(), "use one") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("missing file", func(t *testing.T) {
		_, _, err := LoadCredentials(Config{ProjectID: "myapp", KeyID: testKID, KeyFile: filepath.Join(t.TempDir(), "nope.pem")})
		if err == nil || !strings.Contains(err.Error(), "nope.pem") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("garbage in the env var", func(t *testing.T) {
		_, _, err := LoadCredentials(Config{ProjectID: "myapp", KeyID: testKID, KeyData: "not a key"})
		if err == nil || !strings.Contains(err.Error(), EnvKey) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("public key file", func(t *testing.T) {
		f := writeKeyFile(t, publicPEM(t, k), 0o600)
		_, _, err := LoadCredentials(Config{ProjectID: "myapp", KeyID: testKID, KeyFile: f})
		if err == nil || !strings.Contains(err.Error(), "public key") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestNoKeyInOutput prints credentials and configs every way a caller might
// and checks that the key never appears.
func TestNoKeyInOutput(t *testing.T) {
	k := testKey()
	keyPEM := pkcs8PEM(t, k)
	creds := testCreds()
	cfg := Config{Endpoint: "https://myapp.authgear.cloud", KeyID: testKID, KeyData: string(keyPEM)}
	ts, _ := newTestTokens(t)
	tok, _ := ts.Token()

	var outputs []string
	for _, v := range []any{creds, &creds, cfg, &cfg, ts, struct{ C Credentials }{creds}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	outputs = append(outputs, creds.String(), creds.GoString(), cfg.String(), ts.String())
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	logger.Info("creds", "creds", creds, "cfg", cfg)
	logger.Info("ptr", "creds", &creds, "cfg", &cfg)
	outputs = append(outputs, logBuf.String())

	forbidden := secretStrings(t, keyPEM, tok)
	for _, out := range outputs {
		for _, s := range forbidden {
			if strings.Contains(out, s) {
				t.Fatalf("output contains secret material %q...: %s", truncate(s, 12), truncate(out, 300))
			}
		}
	}
	if !strings.Contains(creds.String(), "REDACTED") || !strings.Contains(logBuf.String(), "REDACTED") {
		t.Errorf("redaction marker missing: %s / %s", creds, logBuf.String())
	}
}

// secretStrings returns pieces that must never appear in output: lines of
// the PEM body, the key's private numbers in decimal and base64url, and the
// token and its signature.
func secretStrings(t *testing.T, keyPEM []byte, token string) []string {
	t.Helper()
	k := testKey()
	var out []string
	for _, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) >= 40 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	m := jwkMap(k, "")
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		out = append(out, m[name].(string)[:32])
	}
	out = append(out, k.D.String()[:32], k.Primes[0].String()[:32])
	if token != "" {
		out = append(out, token, token[strings.LastIndex(token, ".")+1:])
	}
	return out
}
