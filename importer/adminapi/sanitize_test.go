package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// recordedStrings returns the values of key found in the real-server
// recordings (skipping the test if there are none).
func recordedStrings(t *testing.T, key string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(realServerDir(), "*.json"))
	if len(files) == 0 {
		t.Fatal("no real-server recordings in testdata")
	}
	re := regexp.MustCompile(`"` + key + `":\s*"([^"]*)"`)
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			if v := string(m[1]); !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

func TestValidJobID(t *testing.T) {
	n := 0
	for _, id := range recordedStrings(t, "id") {
		if strings.HasPrefix(id, jobIDPrefix) {
			n++
			if !ValidJobID(id) {
				t.Errorf("recorded job id %q refused", id)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d job ids in the recordings", n)
	}
	for _, id := range []string{
		testJobID, "userimport_" + strings.Repeat("0", 16), "userimport_" + strings.Repeat("Z", 64),
	} {
		if !ValidJobID(id) {
			t.Errorf("ValidJobID(%q) = false", id)
		}
	}
	for _, id := range []string{
		"", "userimport_", "userimport_SHORT", "userimport_" + strings.Repeat("A", 65),
		"userimport_33Q3G1REPPBCASEAW22RMMJWVMS/../..", "userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5\x07",
		"userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5W\n", "userimport_33Q3G1REPPBCASEAW22RMM JWVMSJG5WM",
		"userimporttask__33Q3G1REPPBCASEAW22RMMJWVMSJG5WM", "job_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM",
		"USERIMPORT_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM", "userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5WÉ",
	} {
		if ValidJobID(id) {
			t.Errorf("ValidJobID(%q) = true", id)
		}
	}
}

func TestValidUserID(t *testing.T) {
	ids := recordedStrings(t, "user_id")
	if len(ids) < 10 {
		t.Errorf("only %d user ids in the recordings", len(ids))
	}
	for _, id := range append(ids, "8D8DCF63-7ABC-4456-9B40-0163C1601D62") {
		if !ValidUserID(id) {
			t.Errorf("user id %q refused", id)
		}
	}
	for _, id := range []string{
		"", "u1", "8d8dcf63-7abc-4456-9b40-0163c1601d6", "8d8dcf63-7abc-4456-9b40-0163c1601d62a",
		"8d8dcf637abc44569b400163c1601d62", "8d8dcf63_7abc-4456-9b40-0163c1601d62", "8d8dcf63-7abc-4456-9b40-0163c1601d6g",
		`=HYPERLINK("http://x/","y")`, "8d8dcf63-7abc-4456-9b40-0163c1601d6\x00",
	} {
		if ValidUserID(id) {
			t.Errorf("ValidUserID(%q) = true", id)
		}
	}
}

// TestPostRefusesBadJobID: a 2xx answer to a POST whose job id cannot be
// used is an ambiguous failure, not a job, and is not retried.
func TestPostRefusesBadJobID(t *testing.T) {
	ids := []string{
		`userimport_../../users`,
		`userimport_33Q3G1REPPBCASEAW22RMMJWVM\u0007SJG5WM`,
		`userimport_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM\r\nX-Injected: 1`,
		"userimport_" + strings.Repeat("A", 100000),
		"job_33Q3G1REPPBCASEAW22RMMJWVMSJG5WM",
		"",
	}
	for _, id := range ids {
		t.Run(truncate(id, 40), func(t *testing.T) {
			body := `{"result":{"id":"` + id + `","created_at":"2026-11-27T12:06:09.856810411Z","status":"pending"}}`
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { write(w, 200, "application/json", body) })
			k := newKit(t, srv.URL())
			job, err := k.c.CreateImport(context.Background(), []byte(requestBody))
			if job != nil || err == nil {
				t.Fatalf("job %+v accepted", job)
			}
			if !IsAmbiguous(err) || IsRetryable(err) || srv.Hits() != 1 {
				t.Errorf("ambiguous %v retryable %v hits %d: %v", IsAmbiguous(err), IsRetryable(err), srv.Hits(), err)
			}
			msg := err.Error()
			if len(msg) > 2000 || strings.ContainsAny(msg, "\x07\r\n") {
				t.Errorf("message %q", truncate(msg, 300))
			}
			var ae *AnswerError
			if id != "" && (!errors.As(err, &ae) || ae.Status != 200) {
				t.Errorf("err %T %v", err, err)
			}
			t.Log(truncate(msg, 200))
		})
	}
}

func completedWith(details ...string) string {
	return `{"result":{"id":"` + testJobID + `","created_at":"2026-11-27T12:06:09Z","completed_at":"2026-11-27T12:06:10Z","status":"completed",` +
		`"summary":{"total":1,"inserted":1,"updated":0,"skipped":0,"failed":0},"details":[` + strings.Join(details, ",") + `]}}`
}

func TestUserIDFromServer(t *testing.T) {
	const good = "8d8dcf63-7abc-4456-9b40-0163c1601d62"
	bad := []string{
		`=HYPERLINK(\"http://evil.example/\",\"click\")`,
		`8d8dcf63-7abc-4456-9b40-0163c1601d6\u0001`,
		strings.Repeat("8d8dcf63-", 50000),
	}
	details := []string{`{"index":0,"outcome":"inserted","user_id":"` + good + `","warnings":[{"message":"email_verified = false has no effect in insert."}]}`}
	for i, b := range bad {
		details = append(details, fmt.Sprintf(`{"index":%d,"outcome":"inserted","user_id":"%s","warnings":[{"message":"w"}]}`, i+1, b))
	}
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		write(w, 200, "application/json", completedWith(details...))
	})
	job, err := newKit(t, srv.URL()).c.GetImport(context.Background(), testJobID)
	if err != nil {
		t.Fatal(err)
	}
	if len(job.Details) != 1+len(bad) {
		t.Fatalf("%d details", len(job.Details))
	}
	if d := job.Details[0]; d.UserID != good || len(d.Warnings) != 1 {
		t.Errorf("a good user id was not kept as it was: %+v", d)
	}
	for _, d := range job.Details[1:] {
		if d.UserID != "" {
			t.Errorf("detail %d: user_id %q kept", d.Index, truncate(d.UserID, 40))
		}
		if len(d.Warnings) != 2 || d.Warnings[0].Message != "w" || d.Warnings[1].Message != WarningUserIDDropped {
			t.Errorf("detail %d: warnings %+v", d.Index, d.Warnings)
		}
	}
}

// TestServerStringsBounded: a server that sends huge strings and lists
// cannot make one record's outcome much larger than 100 KB.
func TestServerStringsBounded(t *testing.T) {
	big := strings.Repeat("é", 50000) // 100 KB, two bytes a rune
	var causes, warnings, errs, keys []string
	for i := range 100 {
		causes = append(causes, fmt.Sprintf(`{"location":"/x/%d%s","kind":"%s","details":{"error":"%s","n":%d}}`, i, big[:300], big[:300], big[:1000], i))
		// Keys that sort before "causes" and would push it out.
		keys = append(keys, fmt.Sprintf(`"a%04d":"%s"`, i, big[:300]))
	}
	for range 1000 {
		warnings = append(warnings, `{"message":"`+big[:2000]+`"}`)
	}
	apiErr := `{"name":"` + big[:5000] + `","reason":"` + big[:5000] + `","message":"` + big + `","code":400,"tracking_id":"` + big[:5000] + `",` +
		`"info":{` + strings.Join(keys, ",") + `,"causes":[` + strings.Join(causes, ",") + `],"deep":[[[[[[[[[[["x"]]]]]]]]]]]}}`
	for range 7 {
		errs = append(errs, apiErr, "null")
	}
	detail := `{"index":0,"outcome":"` + big[:5000] + `","errors":[` + strings.Join(errs, ",") + `],"warnings":[` + strings.Join(warnings, ",") + `]}`
	body := completedWith(detail)
	if len(body) < 4<<20 {
		t.Fatalf("fixture only %d bytes", len(body))
	}
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodPost {
			write(w, 400, "application/json", `{"error":`+apiErr+`}`)
			return
		}
		write(w, 200, "application/json", body)
	})
	k := newKit(t, srv.URL())
	job, err := k.c.GetImport(context.Background(), testJobID)
	if err != nil {
		t.Fatal(err)
	}
	d := job.Details[0]
	b, _ := json.Marshal(d)
	if len(b) > 150_000 {
		t.Errorf("one detail is still %d bytes", len(b))
	}
	// The server's first warnings, then a note on each list cut short.
	if len(d.Errors) != MaxDetailErrors || len(d.Warnings) != MaxDetailWarnings+2 {
		t.Fatalf("%d errors, %d warnings", len(d.Errors), len(d.Warnings))
	}
	notes := fmt.Sprint(d.Warnings[MaxDetailWarnings:])
	if !strings.Contains(notes, "gave 7 errors") || !strings.Contains(notes, "gave 1000 warnings") {
		t.Errorf("notes on what was dropped: %s", notes)
	}
	for _, w := range d.Warnings {
		checkClipped(t, "warning", w.Message, MaxServerTextBytes)
	}
	checkClipped(t, "outcome", d.Outcome, maxShortText)
	for _, e := range d.Errors {
		if e == nil {
			t.Fatal("a null error was kept")
		}
		checkBoundedAPIError(t, e)
	}

	_, err = k.c.CreateImport(context.Background(), []byte(requestBody))
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err %v", err)
	}
	checkBoundedAPIError(t, ae)
	if len(err.Error()) > 20_000 {
		t.Errorf("the error message is %d bytes", len(err.Error()))
	}
}

func checkClipped(t *testing.T, what, s string, limit int) {
	t.Helper()
	if len(s) > limit+len("…") || !utf8.ValidString(s) {
		t.Errorf("%s: %d bytes, valid UTF-8 %v", what, len(s), utf8.ValidString(s))
	}
	if len(s) > limit && !strings.HasSuffix(s, "…") {
		t.Errorf("%s: cut without a mark", what)
	}
}

func checkBoundedAPIError(t *testing.T, e *APIError) {
	t.Helper()
	checkClipped(t, "name", e.Name, maxShortText)
	checkClipped(t, "reason", e.Reason, maxShortText)
	checkClipped(t, "tracking id", e.TrackingID, maxShortText)
	checkClipped(t, "message", e.Message, MaxServerTextBytes)
	if len(e.Info) > maxInfoItems {
		t.Errorf("info has %d keys", len(e.Info))
	}
	causes := e.Causes()
	if len(causes) != maxInfoItems {
		t.Fatalf("%d causes kept (the known key must survive a flood of others)", len(causes))
	}
	for _, c := range causes {
		checkClipped(t, "location", c.Location, maxInfoText)
		if msg, _ := c.Details["error"].(string); msg == "" {
			t.Error("a cause lost its error")
		} else {
			checkClipped(t, "cause error", msg, maxInfoText)
		}
	}
	b, _ := json.Marshal(e)
	if len(b) > 30_000 {
		t.Errorf("one error is %d bytes", len(b))
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"aé", 2, "a…"}, // never half a rune
		{"éé", 3, "é…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
