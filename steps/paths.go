package steps

import (
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// Paths as people type them, paste them or drop them from a file manager
// onto the terminal: "~/exports/users.csv", '/path/with space.csv',
// /path/with\ space.csv, file:///path/with%20space.csv.

// parsePath turns what was typed into the load field into a path: spaces
// around it dropped, a file:// URL decoded, quotes ('…' literally, "…"
// with \" and \\) and backslash escapes (outside quotes, on systems where
// \ is not the separator) removed, and a leading ~ or ~/ made the home
// folder. home is the home folder ("" leaves ~ as it is).
func parsePath(typed, home string) string {
	s := strings.TrimSpace(typed)
	if s == "" {
		return ""
	}
	if u, ok := fileURL(s); ok {
		return u
	}
	s = unquote(s)
	if u, ok := fileURL(s); ok {
		return u // a quoted URL
	}
	if home != "" && (s == "~" || strings.HasPrefix(s, "~/") || runtime.GOOS == "windows" && strings.HasPrefix(s, `~\`)) {
		s = filepath.Join(home, s[1:])
	}
	return s
}

// fileURL decodes file:///p, file://localhost/p and file:/p.
func fileURL(s string) (string, bool) {
	if len(s) < 5 || !strings.EqualFold(s[:5], "file:") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		// Not a URL as written (a space a file manager did not encode):
		// the path after file://, percent-decoded where it can be.
		rest, ok := strings.CutPrefix(s[5:], "//")
		if !ok || !strings.HasPrefix(rest, "/") {
			return "", false
		}
		if p, err := url.PathUnescape(rest); err == nil {
			rest = p
		}
		u = &url.URL{Path: rest}
	}
	if u.Path == "" || u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", false
	}
	p := u.Path
	if runtime.GOOS == "windows" && len(p) > 2 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // file:///C:/x → C:/x
	}
	return filepath.FromSlash(p), true
}

// unquote removes shell quoting as a terminal's drag-and-drop writes it:
// single quotes (literal), double quotes (\" \\ \$ \` escaped) and
// backslash escapes outside quotes. A quote left open runs to the end
// (the person is still typing).
func unquote(s string) string {
	escapes := filepath.Separator != '\\'
	var b strings.Builder
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				b.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[i+1]):
				i++
				b.WriteRune(rs[i])
			default:
				b.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '\\' && escapes && i+1 < len(rs):
			i++
			b.WriteRune(rs[i])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// splitTyped cuts what was typed after its last separator: the folder
// part as typed (kept as it is in the completions, so that they start
// with what was typed) and the start of a name.
func splitTyped(typed string) (folder, name string) {
	i := strings.LastIndex(typed, "/")
	if filepath.Separator == '\\' {
		i = max(i, strings.LastIndex(typed, `\`))
	}
	return typed[:i+1], typed[i+1:]
}

// maxCompletions bounds the names offered from one folder.
const maxCompletions = 500

// completePath lists what can follow typed: every file and folder (with
// its separator) in the folder that the typed text names (the current one
// when it names none), whatever its extension, except this program's own
// outputs (importer.IsOwnOutput) and, unless the name typed starts with a
// dot, hidden files. Each completion is the folder as typed followed by a
// name, sorted; a folder that cannot be read gives none.
func completePath(typed, home string) []string {
	folder, name := splitTyped(strings.TrimLeft(typed, " "))
	dir := "."
	if folder != "" {
		dir = parsePath(folder, home)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	hidden := strings.HasPrefix(unquote(name), ".")
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") && !hidden {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(dir, n)); err == nil {
				isDir = st.IsDir()
			}
		}
		switch {
		case isDir:
			n += "/"
		case importer.IsOwnOutput(n):
			continue
		}
		out = append(out, folder+n)
		if len(out) == maxCompletions {
			break
		}
	}
	sort.Strings(out)
	return out
}

// pathsMsg carries the completions of a folder.
type pathsMsg struct {
	folder string // as typed
	names  []string
}

// pathCompleter keeps a path field's completions up to date: when the
// folder part of what is typed changes, the folder is read in a command
// (never in Update), and its names become the field's suggestions if the
// field still names that folder.
type pathCompleter struct {
	folder string // the folder of the suggestions asked for last
	asked  bool
	home   string
}

func newPathCompleter() *pathCompleter {
	home, _ := os.UserHomeDir()
	return &pathCompleter{home: home}
}

// update is called after the field changed: it returns the command that
// reads the folder now typed, or nil when its names are already there.
func (c *pathCompleter) update(ti *textinput.Model) tea.Cmd {
	folder, _ := splitTyped(strings.TrimLeft(ti.Value(), " "))
	if c.asked && folder == c.folder {
		return nil
	}
	c.folder, c.asked = folder, true
	typed, home := ti.Value(), c.home
	return func() tea.Msg { return pathsMsg{folder: folder, names: completePath(typed, home)} }
}

// apply takes a folder's names if the field still names that folder.
func (c *pathCompleter) apply(ti *textinput.Model, msg pathsMsg) {
	if folder, _ := splitTyped(strings.TrimLeft(ti.Value(), " ")); folder == msg.folder {
		ti.SetSuggestions(msg.names)
	}
}
