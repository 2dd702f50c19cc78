//go:build unix

package snippets

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// phpDriver calls the PHP snippet's JwksCache (which needs no Packagist
// package) from the command line: get or refresh, printing the key set.
const phpDriver = `<?php
declare(strict_types=1);
require $argv[1] . '/src/JwksCache.php';
$dir = $argv[3] === '' ? null : $argv[3];
$cache = new Authgear\JwksCache($argv[2], $dir);
if ($argv[4] === 'refresh50') {
    // 50 requests, each with a token naming an unknown key id: each starts
    // with nothing in memory (as a PHP request does) and a new cache.
    $memory = new ReflectionProperty(Authgear\JwksCache::class, 'memory');
    $fetched = 0;
    for ($i = 0; $i < 50; $i++) {
        $memory->setValue(null, []);
        if ((new Authgear\JwksCache($argv[2], $dir))->refresh() !== null) {
            $fetched++;
        }
    }
    echo $fetched;
    return;
}
$jwks = $argv[4] === 'refresh' ? $cache->refresh() : $cache->get();
echo json_encode($jwks);
`

// TestPHPKeyCache is issue 17 item 9's attacks on the PHP snippet's key
// cache: a cache file planted by another user, a link, a file with the
// wrong mode or content is never trusted (the keys are fetched from the
// JWKS instead), nothing is read from the old predictable file in the
// temporary folder, and 50 requests with unknown key ids fetch the key set
// at most twice.
func TestPHPKeyCache(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is missing (Debian php-cli): the PHP key cache is not tested")
	}
	if out, err := exec.Command(php, "-r", "echo function_exists('posix_geteuid') ? 'yes' : 'no';").Output(); err != nil || string(out) != "yes" {
		t.Skip("this php has no posix extension (Debian php-cli has it): the cache file is not used")
	}
	tokenKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tokenKey.KID = sandbox.KeyIDFor(&tokenKey.Private.PublicKey)
	attacker, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	attacker.KID = "attacker"
	adminKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.New(sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{adminKey.PublicKey()}, TokenKey: tokenKey})
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/jwks" {
			fetches.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	endpoint := hs.URL
	project := filepath.Join(t.TempDir(), "php")
	if err := WriteProject(project, "php", Config{Endpoint: endpoint}); err != nil {
		t.Fatal(err)
	}
	driver := filepath.Join(t.TempDir(), "driver.php")
	if err := os.WriteFile(driver, []byte(phpDriver), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, cacheDir, op string) string {
		t.Helper()
		out, err := exec.Command(php, driver, project, endpoint, cacheDir, op).CombinedOutput()
		if err != nil {
			t.Fatalf("php %s: %v\n%s", op, err, out)
		}
		return string(out)
	}
	var want struct{ Keys []map[string]any }
	if err := json.Unmarshal(tokenKey.JWKS(), &want); err != nil {
		t.Fatal(err)
	}
	isServers := func(out string) bool {
		var got struct{ Keys []map[string]any }
		return json.Unmarshal([]byte(out), &got) == nil && len(got.Keys) == 1 && got.Keys[0]["kid"] == tokenKey.KID
	}
	name := "authgear-jwks-" + sha1hex(endpoint) + ".json"
	planted, err := json.Marshal(map[string]any{"endpoint": endpoint, "fetched_at": time.Now().Unix(), "jwks": json.RawMessage(attacker.JWKS())})
	if err != nil {
		t.Fatal(err)
	}
	// plant writes the attacker's key set as the cache file, then lets
	// change adjust it; the cache must ignore it and fetch the JWKS.
	plant := func(t *testing.T, dir string, data []byte, change func(p string)) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(p)
		}
		before := fetches.Load()
		out := run(t, dir, "get")
		if !isServers(out) || strings.Contains(out, "attacker") {
			t.Fatalf("the planted cache file was trusted: %s", out)
		}
		if fetches.Load() == before {
			t.Error("the keys were not fetched from the JWKS")
		}
	}

	t.Run("control: a cache file of its own is used", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "cache")
		if out := run(t, dir, "get"); !isServers(out) {
			t.Fatalf("get: %s", out)
		}
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("cache file mode %v, want 0600", fi.Mode().Perm())
		}
		if di, err := os.Lstat(dir); err != nil || di.Mode().Perm() != 0o700 {
			t.Errorf("cache folder: %v %v, want mode 0700", di.Mode().Perm(), err)
		}
		before := fetches.Load()
		if out := run(t, dir, "get"); !isServers(out) {
			t.Fatalf("get again: %s", out)
		}
		if n := fetches.Load() - before; n != 0 {
			t.Errorf("a cached key set was fetched again (%d fetches)", n)
		}
	})
	t.Run("planted by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a file to another uid")
		}
		plant(t, t.TempDir(), planted, func(p string) {
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("a link", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "target.json")
		plant(t, dir, planted, func(p string) {
			if err := os.Rename(p, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		})
		if b, _ := os.ReadFile(target); !bytes.Equal(b, planted) {
			t.Error("the cache was written through the link")
		}
	})
	t.Run("readable by others", func(t *testing.T) {
		plant(t, t.TempDir(), planted, func(p string) {
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("a hard link", func(t *testing.T) {
		plant(t, t.TempDir(), planted, func(p string) {
			if err := os.Link(p, p+".other"); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("wrong content", func(t *testing.T) {
		for _, data := range []string{
			"not json",
			`{"endpoint":"https://other.authgear.cloud","fetched_at":1,"jwks":{"keys":[{"kty":"RSA","kid":"attacker"}]}}`,
			`{"endpoint":"` + endpoint + `","fetched_at":"now","jwks":{"keys":[{"kty":"RSA","kid":"attacker"}]}}`,
			`{"endpoint":"` + endpoint + `","fetched_at":99999999999,"jwks":{"keys":[{"kty":"RSA","kid":"attacker"}]}}`,
			`{"endpoint":"` + endpoint + `","fetched_at":1,"jwks":{"keys":"attacker"}}`,
		} {
			plant(t, t.TempDir(), []byte(data), nil)
		}
	})
	t.Run("nothing is read from the temporary folder", func(t *testing.T) {
		tmp := t.TempDir()
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, planted, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(php, driver, project, endpoint, "", "get")
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		out, err := cmd.CombinedOutput()
		if err != nil || !isServers(string(out)) {
			t.Fatalf("without a cache folder: %v %s", err, out)
		}
	})
	t.Run("50 unknown key ids", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "cache")
		run(t, dir, "get")
		before := fetches.Load()
		run(t, dir, "refresh50")
		if n := fetches.Load() - before; n > 2 {
			t.Errorf("50 refreshes for unknown key ids fetched the JWKS %d times, want at most 2", n)
		}
	})
}

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}
