package importer

import "github.com/authgear-migrate/authgear-migrate/importer/internal/cmdline"

// ShellQuote quotes s for a POSIX shell when it needs it (for the resume
// command a summary shows).
func ShellQuote(s string) string { return cmdline.ShellQuote(s) }

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(s string) []string { return cmdline.SplitList(s) }
