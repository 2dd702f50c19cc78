package importer

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in, want, lines string
	}{
		{"plain ASCII", "import complete: 3 users", "import complete: 3 users", ""},
		{"empty", "", "", ""},
		{"accents and CJK stay", "Zoë 田中 → ok", "Zoë 田中 → ok", ""},
		{"emoji with joiner stays", "👩\u200d💻 ok", "👩\u200d💻 ok", ""},
		{"window title (OSC ... BEL)", "\x1b]0;pwned\x07403 Forbidden", `\x1b]0;pwned\a403 Forbidden`, ""},
		{"clear screen (CSI 2J)", "\x1b[2J\x1b[HALL GOOD, import complete", `\x1b[2J\x1b[HALL GOOD, import complete`, ""},
		{"OSC with ST", "\x1b]8;;http://evil\x1b\\link", `\x1b]8;;http://evil\x1b\link`, ""},
		{"NUL and DEL", "a\x00b\x7fc", `a\x00b\x7fc`, ""},
		{"newline, tab, CR", "one\ntwo\tthree\rfour", `one\ntwo\tthree\rfour`, "one\ntwo\tthree\\rfour"},
		{"CRLF", "a\r\nb\r\n", `a\r\nb\r\n`, "a\nb\n"},
		{"vertical tab, form feed, backspace", "\v\f\b", `\v\f\b`, `\v\f\b`},
		{"C1 CSI (U+009B)", "x\u009b2Jy", `x\u009b2Jy`, ""},
		{"C1 NEL (U+0085)", "a\u0085b", `a\u0085b`, ""},
		{"right-to-left override", "user\u202egnp.exe", `user\u202egnp.exe`, ""},
		{"every bidi embedding and override", "\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`, ""},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`, ""},
		{"bidi marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`, ""},
		{"zero width space and BOM", "a\u200bb\ufeff", `a\u200bb\ufeff`, ""},
		{"tag characters", "ok\U000E0041\U000E007F", `ok\U000e0041\U000e007f`, ""},
		{"line separators", "a\u2028b\u2029c", `a\u2028b\u2029c`, ""},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`, ""},
		{"encoded surrogate is invalid", "\xed\xa0\x80", `\xed\xa0\x80`, ""},
		{"a literal U+FFFD stays", "\ufffd", "\ufffd", ""},
		{"backslash is not doubled", `C:\x1b`, `C:\x1b`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Printable(tc.in); got != tc.want {
				t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
			}
			wantLines := tc.lines
			if wantLines == "" {
				wantLines = tc.want
			}
			if got := PrintableLines(tc.in); got != wantLines {
				t.Errorf("PrintableLines(%q) = %q, want %q", tc.in, got, wantLines)
			}
		})
	}
}

func TestPrintableNoAllocation(t *testing.T) {
	s := strings.Repeat("plain text, Zoë 田中 👩\u200d💻 ", 20)
	ml := s + "\n\tx"
	allocs := testing.AllocsPerRun(100, func() {
		if Printable(s) != s || PrintableLines(ml) != ml {
			t.Fatal("changed")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations for text that needs no escape", allocs)
	}
}

// checkPrintable is what the output of Printable promises.
func checkPrintable(t *testing.T, in, out string, lines bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%q → %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		if lines && (r == '\n' || r == '\t') {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) ||
			(r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 || (unicode.Is(unicode.Cf, r) && r != 0x200c && r != 0x200d) {
			t.Fatalf("%q → %q: keeps %U", in, out, r)
		}
	}
}

func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;title\x07", "\x1b[2J", "a\r\nb", "\u202e\u2066", "\xff\xfe", "\u0085", "\U000E0041", `\x1b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Printable(s)
		checkPrintable(t, s, p, false)
		pl := PrintableLines(s)
		checkPrintable(t, s, pl, true)
		// Nothing is dropped: the one-line form has every character of
		// the input, escaped or not, so it is at least as long.
		if len(p) < len(s) {
			t.Fatalf("%q → %q is shorter", s, p)
		}
		// Printable text is its own printable form.
		if Printable(p) != p || PrintableLines(pl) != pl {
			t.Fatalf("%q: escaping is not idempotent", s)
		}
		if strings.ContainsAny(p, "\n\r") {
			t.Fatalf("%q → %q spans lines", s, p)
		}
	})
}
