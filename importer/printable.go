package importer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that comes from a server or from a file (an error body, a column
// name, a reason) is never written to a terminal as it is: an escape
// sequence in it could retitle the window, clear the screen and print a
// fake "import complete", and a bidirectional override could show a line
// in another order than it is read. Printable and PrintableLines escape
// such characters, Go-style, so that they are seen instead of obeyed.
//
// Escaped are:
//   - invalid UTF-8 bytes, as \xff;
//   - C0 controls and DEL, as \a \b \f \n \r \t \v or \x1b;
//   - C1 controls (U+0080 to U+009F), as \u009b;
//   - format characters (Unicode category Cf): the bidi embeddings,
//     overrides and isolates (U+202A to U+202E, U+2066 to U+2069), the
//     marks U+200E, U+200F and U+061C, zero-width spaces, the byte order
//     mark, the invisible tag characters (U+E0000 block) and so on, as
//     \u202e or \U000e0041. The zero-width joiner and non-joiner (U+200C,
//     U+200D) are kept: scripts and emoji need them and they move nothing;
//   - the line and paragraph separators U+2028 and U+2029.
//
// A backslash is not doubled: the result is for reading, not for parsing
// back.

// Printable returns s for a one-line message: every character listed
// above is escaped, newlines and tabs included. When nothing needs
// escaping, s itself is returned without allocating.
func Printable(s string) string { return printable(s, false) }

// PrintableLines is Printable for text shown as several lines: a newline
// (and a CRLF line end, as a newline) and a tab are kept; a lone carriage
// return, which would let a line overwrite what came before it, is
// escaped.
func PrintableLines(s string) string { return printable(s, true) }

func printable(s string, lines bool) string {
	i := 0
	for i < len(s) {
		n, ok := printableAt(s, i, lines)
		if !ok {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		if n, ok := printableAt(s, i, lines); ok {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		if lines && s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			// A CRLF line end is shown as the line end it is.
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			writeHexByte(&b, 'x', s[i])
		} else {
			writeEscape(&b, r)
		}
		i += size
	}
	return b.String()
}

// printableAt reports whether the character at s[i] (n bytes long) may be
// written as it is.
func printableAt(s string, i int, lines bool) (n int, ok bool) {
	c := s[i]
	if c < utf8.RuneSelf {
		if c >= 0x20 && c != 0x7f {
			return 1, true
		}
		return 1, lines && (c == '\n' || c == '\t')
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return 1, false
	}
	return size, !needsEscape(r)
}

// needsEscape is the rule above for a valid non-ASCII rune.
func needsEscape(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x200c, r == 0x200d:
		return false
	case r == 0x2028, r == 0x2029:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

const hexDigits = "0123456789abcdef"

func writeHexByte(b *strings.Builder, kind byte, c byte) {
	b.WriteByte('\\')
	b.WriteByte(kind)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

func writeEscape(b *strings.Builder, r rune) {
	switch r {
	case '\a':
		b.WriteString(`\a`)
	case '\b':
		b.WriteString(`\b`)
	case '\f':
		b.WriteString(`\f`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	case '\v':
		b.WriteString(`\v`)
	default:
		switch {
		case r < 0x80:
			writeHexByte(b, 'x', byte(r))
		case r <= 0xffff:
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[r>>shift&0xf])
			}
		default:
			b.WriteString(`\U`)
			for shift := 28; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[r>>shift&0xf])
			}
		}
	}
}
