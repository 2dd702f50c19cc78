//go:build unix

package snippets

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// selfSigned returns a self-signed certificate for 127.0.0.1 and its PEM.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestNginxVerifiesResolverCertificate puts a resolver with a self-signed
// certificate (a man in the middle) behind the nginx snippet (issue 17
// item 9): with the system's trusted certificates nginx refuses it and no
// token gets through; given that certificate as AUTHGEAR_CA_FILE (the
// name checked is the endpoint's host), the same token passes.
func TestNginxVerifiesResolverCertificate(t *testing.T) {
	prepareNginx(t)
	tokenKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tokenKey.KID = sandbox.KeyIDFor(&tokenKey.Private.PublicKey)
	adminKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.New(sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{adminKey.PublicKey()}, TokenKey: tokenKey})
	if err != nil {
		t.Fatal(err)
	}
	cert, certPEM := selfSigned(t)
	hs := httptest.NewUnstartedServer(srv)
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	hs.StartTLS()
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	endpoint := hs.URL // https://127.0.0.1:port
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	token, err := tokenKey.AccessToken(sandbox.AccessToken{Issuer: endpoint, Subject: "user-nginx"})
	if err != nil {
		t.Fatal(err)
	}

	start := func(t *testing.T, env ...string) (string, *lockedBuffer) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "project")
		if err := WriteProject(dir, "nginx", Config{Endpoint: endpoint}); err != nil {
			t.Fatal(err)
		}
		port := freePort(t)
		cmd := exec.Command("sh", "run.sh")
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "UPSTREAM_PORT="+strconv.Itoa(freePort(t)), "PORT="+strconv.Itoa(port), "HOST=127.0.0.1", "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
		cmd.Env = append(cmd.Env, env...)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		out := startProcess(t, cmd)
		waitReady(t, base, 60*time.Second, out)
		return base, out
	}

	t.Run("system certificates refuse a self-signed resolver", func(t *testing.T) {
		if _, err := os.Stat("/etc/ssl/certs/ca-certificates.crt"); err != nil {
			t.Skip("no /etc/ssl/certs/ca-certificates.crt (Debian ca-certificates)")
		}
		base, out := start(t)
		status, body := get(t, base+"/protected", "Bearer "+token, nil)
		if status == http.StatusOK || strings.Contains(string(body), "user-nginx") {
			t.Fatalf("a resolver with a self-signed certificate was trusted: %d %q\n%s", status, body, out.String())
		}
	})
	t.Run("AUTHGEAR_CA_FILE trusts that resolver", func(t *testing.T) {
		base, out := start(t, "AUTHGEAR_CA_FILE="+caFile)
		status, body := get(t, base+"/protected", "Bearer "+token, nil)
		var got struct{ Sub string }
		if status != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Sub != "user-nginx" {
			t.Fatalf("valid token through a trusted resolver: %d %q, want 200 with sub user-nginx\n%s", status, body, out.String())
		}
		if status, _ := get(t, base+"/protected", "Bearer not.a.jwt", nil); status != http.StatusUnauthorized {
			t.Errorf("bad token: %d, want 401", status)
		}
	})
}
