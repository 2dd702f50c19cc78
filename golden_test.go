package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/replay/")

// TestReplayGolden pins what replay prints and writes on the example and on
// every shared fixture, dry and into the sandbox: stdout, the stderr lines
// other than progress, --json, the report (rows sorted: jobs run two at a
// time) and the exit code. Times, temporary paths, sandbox ports and user
// ids are normalised.
func TestReplayGolden(t *testing.T) {
	type tc struct {
		name, mapping, input string
		extra                []string
	}
	cases := []tc{{name: "example", mapping: exampleMapping, input: exampleInput,
		extra: []string{"--sandbox-login-ids", "email,phone", "--sandbox-roles", "admin,editor,viewer"}}}
	fixtures := filepath.Join("testdata", "fixtures")
	for _, f := range []string{"auth0-users.ndjson", "clerk-export.csv", "cognito-users.csv", "firebase-auth-export.json",
		"inhouse-users.csv", "keycloak-realm-export.json", "supabase-auth-users.csv", "guide-users.csv"} {
		in := filepath.Join(fixtures, f)
		if _, err := os.Stat(in); err != nil {
			t.Fatalf("fixture missing from testdata: %v", err)
		}
		cases = append(cases, tc{name: strings.TrimSuffix(f, filepath.Ext(f)), input: in,
			extra: []string{"--sandbox-login-ids", "email,phone,username", "--sandbox-roles", "*", "--sandbox-groups", "*"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			mapping := c.mapping
			var got strings.Builder
			if mapping == "" {
				mapping = filepath.Join(dir, "m.yaml")
				args := []string{"map", "--input", c.input, "--output", mapping}
				if strings.HasPrefix(c.name, "auth0") {
					args = append(args, "--passwords", filepath.Join(fixtures, "auth0-password-hashes.ndjson"))
				}
				r := runCmd(t, nil, args...)
				if r.code != 0 {
					t.Fatalf("map: %s", r)
				}
			}
			for _, mode := range []struct {
				name string
				args []string
			}{
				{"dry", []string{"--dry-run"}},
				{"dry-json", []string{"--dry-run", "--json"}},
				{"sandbox", append([]string{"--sandbox"}, c.extra...)},
				{"sandbox-json", append([]string{"--sandbox", "--json"}, c.extra...)},
			} {
				rep := filepath.Join(dir, mode.name+".report.csv")
				args := append([]string{"replay", "--mapping", mapping, "--input", c.input, "--report", rep}, mode.args...)
				r := runCmd(t, nil, args...)
				got.WriteString("== " + mode.name + "\n")
				got.WriteString(normaliseRun(r, dir))
				b, err := os.ReadFile(rep)
				if err != nil {
					t.Fatalf("%s: report: %v", mode.name, err)
				}
				lines := strings.Split(strings.TrimRight(normalise(string(b), dir), "\n"), "\n")
				sort.Strings(lines[1:])
				got.WriteString("-- report\n" + strings.Join(lines, "\n") + "\n")
			}
			golden := filepath.Join("testdata", "replay", c.name+".golden")
			if *updateGolden {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("replay output differs from %s:\n%s", golden, lineDiff(string(want), got.String()))
			}
		})
	}
}

var (
	reSeconds  = regexp.MustCompile(`"seconds":[0-9.e+-]+`)
	reURL      = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
	reUUID     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	reJobCount = regexp.MustCompile(`"jobs":[0-9]+`)
	// The estimate after the canary is measured (issue 16 item 7).
	reEstimate    = regexp.MustCompile(`(?m)^estimate: .* for ([0-9,]+ records?) at [0-9.,]+ records/s$`)
	reEstimateHow = regexp.MustCompile(`(?m)^  how: the first request's ([0-9,]+ records?) took .*$`)
)

func normalise(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "TMP")
	s = reSeconds.ReplaceAllString(s, `"seconds":0`)
	s = reURL.ReplaceAllString(s, "http://127.0.0.1:PORT")
	s = reEstimate.ReplaceAllString(s, "estimate: DURATION for $1 at RATE records/s")
	s = reEstimateHow.ReplaceAllString(s, "  how: the first request's $1 took TIME ...")
	return reUUID.ReplaceAllString(s, "UUID")
}

func normaliseRun(r runResult, dir string) string {
	var errLines []string
	for _, l := range strings.Split(r.errOut, "\n") {
		if l == "" || strings.HasPrefix(l, "imported ") || strings.HasPrefix(l, "validated ") {
			continue
		}
		errLines = append(errLines, l)
	}
	return "exit " + itoa(r.code) + "\n-- stdout\n" + normalise(r.out, dir) + "-- stderr\n" + normalise(strings.Join(errLines, "\n"), dir) + "\n"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < max(len(w), len(g)) && n < 12; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("line " + itoa(i+1) + ":\n  want: " + a + "\n  got:  " + c + "\n")
			n++
		}
	}
	return b.String()
}
