package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// hostileServer answers the import API the way a malicious or broken
// server might: echoing the request's Authorization header in its
// answers, never finishing a job, or refusing with escape sequences.
type hostileServer struct {
	mode string // "echo", "pending", "escape403"
	mu   sync.Mutex
	auth []string
	jobs map[string]int // job id -> records
}

const escapes = "\x1b]0;pwned\x07\x1b[2J\x1b[HALL GOOD, import complete"

func (h *hostileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.auth = append(h.auth, r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	if h.mode == "escape403" {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, escapes)
		return
	}
	if r.Method == http.MethodPost {
		var body struct{ Records []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&body)
		if h.jobs == nil {
			h.jobs = map[string]int{}
		}
		id := fmt.Sprintf("userimport_%032d", len(h.jobs)+1)
		h.jobs[id] = len(body.Records)
		fmt.Fprintf(w, `{"result":{"id":%q,"created_at":"2026-11-28T00:00:00Z","status":"pending"}}`, id)
		return
	}
	id := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	n, ok := h.jobs[id]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"name":"NotFound","reason":"TaskNotFound","message":"task not found","code":404}}`)
		return
	}
	if h.mode == "pending" {
		fmt.Fprintf(w, `{"result":{"id":%q,"created_at":"2026-11-28T00:00:00Z","status":"pending"}}`, id)
		return
	}
	token := r.Header.Get("Authorization")
	var details []string
	for i := 0; i < n; i++ {
		cause, _ := json.Marshal(map[string]any{"details": map[string]any{"authorization": token, "echo": escapes}, "kind": "format", "location": "/email"})
		details = append(details, fmt.Sprintf(`{"index":%d,"outcome":"failed","errors":[{"name":"Invalid","reason":"ValidationFailed","message":"invalid value (%s)","code":400,"info":{"causes":[%s]}}]}`, i, strings.TrimPrefix(token, "Bearer "), cause))
	}
	fmt.Fprintf(w, `{"result":{"id":%q,"created_at":"2026-11-28T00:00:00Z","completed_at":"2026-11-28T00:00:01Z","status":"completed","summary":{"total":%d,"inserted":0,"updated":0,"skipped":0,"failed":%d},"details":[%s]}}`,
		id, n, n, strings.Join(details, ","))
}

func hostileEnv(t *testing.T, h *hostileServer) map[string]string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := kp.PEM()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"AUTHGEAR_ENDPOINT": srv.URL, "AUTHGEAR_PROJECT_ID": "myapp",
		"AUTHGEAR_ADMIN_KEY_ID": kp.KID, "AUTHGEAR_ADMIN_KEY": string(pemBytes)}
}

// TestEchoedTokenNeverStored: a server that echoes the bearer token in
// every failure's message and causes: the token (and its signature) is in
// no output file and on no stream, and its escape sequences reach no
// terminal.
func TestEchoedTokenNeverStored(t *testing.T) {
	h := &hostileServer{mode: "echo"}
	env := hostileEnv(t, h)
	dir := t.TempDir()
	rep := filepath.Join(dir, "users.report.csv")
	for _, extra := range [][]string{nil, {"--json", "--restart"}} {
		r := runCmd(t, env, append([]string{"replay", "--mapping", exampleMapping, "--input", exampleInput, "--report", rep}, extra...)...)
		if r.code != exitPartial && r.code != exitError {
			t.Fatalf("exit: %s", r)
		}
		h.mu.Lock()
		tokens := append([]string(nil), h.auth...)
		h.mu.Unlock()
		if len(tokens) == 0 {
			t.Fatal("the server saw no request")
		}
		var files []string
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			files = append(files, e.Name()+":\n"+string(b))
		}
		all := r.out + r.errOut + strings.Join(files, "\n")
		for _, tok := range tokens {
			jwt := strings.TrimPrefix(tok, "Bearer ")
			sig := jwt[strings.LastIndexByte(jwt, '.')+1:]
			if strings.Contains(all, jwt) || strings.Contains(all, sig) {
				t.Fatalf("the token the server echoed was stored or printed:\n%s", all)
			}
		}
		if strings.ContainsRune(r.out+r.errOut, 0x1b) {
			t.Errorf("an escape sequence reached the terminal: %q", r.out+r.errOut)
		}
	}
}

// TestEscapesIn403AreEscaped: a 403 body with terminal escapes is printed
// with them escaped.
func TestEscapesIn403AreEscaped(t *testing.T) {
	env := hostileEnv(t, &hostileServer{mode: "escape403"})
	r := runCmd(t, env, "replay", "--mapping", exampleMapping, "--input", exampleInput, "--report", filepath.Join(t.TempDir(), "r.csv"))
	if r.code != exitError {
		t.Fatalf("want exit 1: %s", r)
	}
	if strings.ContainsRune(r.out+r.errOut, 0x1b) || strings.ContainsRune(r.out+r.errOut, 0x07) {
		t.Errorf("escape sequences reached the terminal: %q", r.out+r.errOut)
	}
	if !strings.Contains(r.out+r.errOut, `\x1b]0;pwned`) {
		t.Errorf("the refusal is not shown escaped: %s", r)
	}
}

// TestPendingJobGivesUp: a job that never leaves pending stops the run
// after --job-timeout with the resume advice, every record accounted.
func TestPendingJobGivesUp(t *testing.T) {
	env := hostileEnv(t, &hostileServer{mode: "pending"})
	rep := filepath.Join(t.TempDir(), "r.csv")
	r := runCmd(t, env, "replay", "--mapping", exampleMapping, "--input", exampleInput, "--report", rep, "--job-timeout", "2s")
	if r.code != exitError {
		t.Fatalf("want exit 1: %s", r)
	}
	if !strings.Contains(r.out, "stayed pending for") || !strings.Contains(r.out, "resume: authgear-migrate replay") {
		t.Errorf("no stop advice: %s", r)
	}
	rows, err := readReportRows(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 21 {
		t.Errorf("%d report lines, want 21", len(rows))
	}
}
