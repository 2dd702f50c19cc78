// Package cmdline holds the two small helpers that the engine, the
// sandbox and the CLI share to read and write command lines.
package cmdline

import "strings"

// SplitList splits a comma-separated list, trimming items and dropping
// empty ones.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// safe are the bytes a POSIX shell takes literally in a word.
const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,"

// ShellQuote quotes s for a POSIX shell when it needs it: a word of safe
// bytes as it is, anything else (the empty string too) in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, safe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
