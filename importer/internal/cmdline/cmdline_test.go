package cmdline

import (
	"os/exec"
	"reflect"
	"testing"
)

func TestSplitList(t *testing.T) {
	if got := SplitList(" a, ,b ,"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("SplitList = %q", got)
	}
	if got := SplitList(""); got != nil {
		t.Errorf("SplitList(\"\") = %q", got)
	}
}

// TestShellQuote runs the quoted words through sh and checks they come
// back as they were.
func TestShellQuote(t *testing.T) {
	words := []string{"plain/path.csv", "", "in put.csv", "it's", "$HOME", "a;b", "`x`", "-dash", "ü", "a\nb"}
	for _, w := range words {
		q := ShellQuote(w)
		out, err := exec.Command("sh", "-c", "printf %s "+q).Output()
		if err != nil {
			t.Skipf("no sh: %v", err)
		}
		if string(out) != w {
			t.Errorf("ShellQuote(%q) = %s, sh reads %q", w, q, out)
		}
	}
	if ShellQuote("a/b.csv") != "a/b.csv" {
		t.Error("a safe word was quoted")
	}
}
