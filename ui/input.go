package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
)

// PlainCursor marks a text field's cursor when the output takes no reverse
// video (Styles.Plain).
const PlainCursor = "▏"

// InputView draws a text field. With colour it is the field's own view;
// in Plain mode (where the field's reverse-video cursor is invisible) the
// cursor is drawn as PlainCursor between the characters, and a completion
// the field offers follows it. A value longer than the field's Width shows
// the Width characters around the cursor.
func (s *Styles) InputView(ti *textinput.Model) string {
	if !s.Plain || !ti.Focused() {
		return ti.View()
	}
	v := []rune(ti.Value())
	shown := v
	switch ti.EchoMode {
	case textinput.EchoPassword:
		shown = []rune(strings.Repeat(string(ti.EchoCharacter), len(v)))
	case textinput.EchoNone:
		shown = nil
	}
	pos := min(max(ti.Position(), 0), len(shown))
	windowed := false
	if ti.Width > 0 && len(shown) > ti.Width {
		// Wider than the field: the part around the cursor, as the
		// field's own view scrolls.
		start := max(pos-ti.Width+1, 0)
		end := min(start+ti.Width, len(shown))
		shown, pos, windowed = shown[start:end], pos-start, true
	}
	var b strings.Builder
	b.WriteString(ti.Prompt)
	b.WriteString(string(shown[:pos]))
	b.WriteString(PlainCursor)
	b.WriteString(string(shown[pos:]))
	switch {
	case windowed:
	case len(v) == 0 && ti.Placeholder != "":
		b.WriteString(" (" + ti.Placeholder + ")")
	case ti.ShowSuggestions && pos == len(v) && ti.EchoMode == textinput.EchoNormal:
		if sug := ti.CurrentSuggestion(); len(sug) > len(ti.Value()) && strings.HasPrefix(sug, ti.Value()) {
			b.WriteString(sug[len(ti.Value()):])
		}
	}
	return b.String()
}
