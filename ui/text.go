package ui

import (
	"strconv"

	"github.com/charmbracelet/x/ansi"
)

// Truncate cuts s to width cells, with an ellipsis. Escape sequences are
// kept whole and the ones after the cut are kept too, so a coloured
// string cut short still ends with its reset (charmbracelet/x/ansi, as
// lipgloss and bubbles truncate).
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// Wrap breaks s into lines of at most width cells: at spaces and dashes
// where it can, inside a word longer than the line where it must (a long
// path or URL is broken rather than cut by the frame). Escape sequences
// are kept whole.
func Wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	return ansi.Wrap(s, width, "")
}

// Number writes n with thousands separators: 1,000,000.
func Number(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Count writes n and the noun that goes with it: "1 record",
// "1,000 records".
func Count(n int, one, many string) string {
	return Number(n) + " " + Plural(n, one, many)
}

// Plural is one when n is 1 and many otherwise.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
