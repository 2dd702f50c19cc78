package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// A password for a sign-in check comes from the terminal, not echoed, or
// from the first line of a file; never from a flag value (it would be in
// the shell's history and in the process list). It is never printed,
// logged or written.

// maxPasswordBytes bounds what is read of a password file or a terminal.
const maxPasswordBytes = 4096

// terminalPassword reads a line from the terminal fd without echo; a
// variable so that tests can stand in for a terminal.
var terminalPassword = func(fd uintptr) ([]byte, error) { return term.ReadPassword(fd) }

// passwordIsTerminal reports whether fd is a terminal; a variable for tests.
var passwordIsTerminal = term.IsTerminal

// terminalState and terminalRestore save and put back the terminal's
// modes; variables for tests.
var (
	terminalState   = func(fd uintptr) (*term.State, error) { return term.GetState(fd) }
	terminalRestore = func(fd uintptr, st *term.State) error { return term.Restore(fd, st) }
)

// readPassword is readPasswordContext that no signal interrupts.
func readPassword(io *stdio, file, loginID string) (string, error) {
	return readPasswordContext(context.Background(), io, file, loginID)
}

// readPasswordContext returns the password from file when one is named,
// else asks for it on the terminal (the prompt goes to stderr). A file
// that others can read is used with a warning. When ctx ends while the
// person is typing (Ctrl-C), the terminal's echo is put back and the
// context's error returned.
func readPasswordContext(ctx context.Context, io *stdio, file, loginID string) (string, error) {
	if file != "" {
		return readPasswordFile(io, file)
	}
	var err error
	f, ok := io.In.(*os.File)
	if !ok || !passwordIsTerminal(f.Fd()) {
		return "", usagef("no terminal to type the password on: give it in a file with --password-file FILE (its first line; mode 0600)")
	}
	fmt.Fprintf(io.Err, "Password for %s (not shown): ", importer.Printable(loginID))
	fd := f.Fd()
	saved, _ := terminalState(fd)
	type typed struct {
		b   []byte
		err error
	}
	done := make(chan typed, 1)
	read := terminalPassword
	go func() {
		b, err := read(fd)
		done <- typed{b, err}
	}()
	var b []byte
	select {
	case t := <-done:
		b, err = t.b, t.err
	case <-ctx.Done():
		if saved != nil {
			_ = terminalRestore(fd, saved)
		}
		fmt.Fprintln(io.Err)
		return "", ctx.Err()
	}
	fmt.Fprintln(io.Err)
	if err != nil {
		return "", fmt.Errorf("reading the password from the terminal: %w", err)
	}
	if len(b) > maxPasswordBytes {
		return "", usagef("the password typed is longer than %d bytes", maxPasswordBytes)
	}
	if len(b) == 0 {
		return "", usagef("no password typed")
	}
	return string(b), nil
}

// readPasswordFile reads the first line of file, without its line end
// ("\n" or "\r\n") and nothing else: spaces are part of a password (s16).
func readPasswordFile(io *stdio, file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", usagef("--password-file %s: no such file", importer.Printable(file))
		}
		return "", usagef("--password-file %s: %s", importer.Printable(file), importer.Printable(passwordPathErr(err)))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", usagef("--password-file %s: %s", importer.Printable(file), importer.Printable(passwordPathErr(err)))
	}
	if st.IsDir() {
		return "", usagef("--password-file %s is a directory", importer.Printable(file))
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(io.Err, "warning: the password file %s can be read by others (mode %04o): chmod 600 %s\n",
			importer.Printable(file), st.Mode().Perm(), importer.Printable(file))
	}
	b, err := passwordReadLimited(f, maxPasswordBytes+2)
	if err != nil {
		return "", usagef("--password-file %s: %s", importer.Printable(file), importer.Printable(passwordPathErr(err)))
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
		b = bytes.TrimSuffix(b, []byte("\r"))
	} else if len(b) > maxPasswordBytes {
		return "", usagef("--password-file %s: the first line is longer than %d bytes", importer.Printable(file), maxPasswordBytes)
	}
	if len(b) > maxPasswordBytes {
		return "", usagef("--password-file %s: the first line is longer than %d bytes", importer.Printable(file), maxPasswordBytes)
	}
	if len(b) == 0 {
		return "", usagef("--password-file %s: the first line is empty", importer.Printable(file))
	}
	return string(b), nil
}

// passwordReadLimited reads at most n bytes of r.
func passwordReadLimited(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, n))
}

// passwordPathErr is a file error's text without the path (said already).
func passwordPathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
