package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

const mapUsage = `Usage: authgear-migrate map --input FILE [--output MAPPING.yaml] [--preset NAME] [--identifier FIELD] [--passwords FILE] [--hash-plaintext-passwords] [--keep-source-id NAME]

Writes a suggested mapping for an export without a terminal UI: it recognises
the exports of well-known systems (see 'authgear-migrate presets'), otherwise
matches columns to fields by their names and values, and prints what it
mapped and what it left out. Review the file, then run replay with it.

`

func runMap(ctx context.Context, args []string, io *stdio) error {
	fs := newFlagSet("map", mapUsage, io)
	input := fs.String("input", "", "the export: CSV, JSON or NDJSON (required)")
	output := fs.String("output", "", "where to write the mapping (default: INPUT-NAME.mapping.yaml)")
	preset := fs.String("preset", "", "use this preset instead of detecting one")
	identifier := fs.String("identifier", "", "email, phone_number or preferred_username (default: chosen from the columns)")
	passwords := fs.String("passwords", "", "a separate password-hash export to join (Auth0)")
	format := fs.String("format", "", "force the input format: csv, json or ndjson")
	recordsKey := fs.String("records-key", "", "the key of the JSON object's array that holds the users (source.records_key), when the file holds several")
	hashPlain := fs.Bool("hash-plaintext-passwords", false, "map passwords stored in clear text and bcrypt-hash them locally before sending (passwords.plaintext: hash); without it such a column is left unmapped")
	keepID := fs.String("keep-source-id", "", "also keep the old user id (source.id) in Authgear as the custom attribute NAME (define it in the portal first)")
	force := fs.Bool("force", false, "replace an existing mapping file (never an input, a link or anything but a mapping)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *input == "" {
		return usagef("map: --input is required\n\n%s", mapUsage)
	}
	switch importer.Format(*format) {
	case importer.FormatAuto, importer.FormatCSV, importer.FormatJSON, importer.FormatNDJSON:
	default:
		return usagef("map: --format must be csv, json or ndjson, not %q", *format)
	}
	id := importer.Identifier(*identifier)
	if id != "" && !id.Valid() {
		return usagef("map: --identifier must be email, phone_number or preferred_username, not %q", *identifier)
	}
	if *preset != "" {
		if _, ok := importer.LookupPreset(*preset); !ok {
			return usagef("map: unknown preset %q (known: %s)", *preset, strings.Join(importer.PresetNames(), ", "))
		}
	}
	if err := checkReadable(*input, "--input"); err != nil {
		return err
	}
	if *passwords != "" {
		if err := checkReadable(*passwords, "--passwords"); err != nil {
			return err
		}
	}
	if *output == "" {
		*output = importer.DefaultMapping(*input)
	}
	// The mapping is never written over an input (by name, link or hard
	// link), through a symbolic link, or over anything but a regular file
	// that holds a mapping: checked before anything is read or written,
	// whatever --force says.
	inputs := []importer.NamedPath{{Path: *input, Role: "--input"}, {Path: *passwords, Role: "--passwords"}}
	if err := importer.CheckOutputs(inputs, []importer.NamedPath{{Path: *output, Role: "--output"}}); err != nil {
		return usagef("map: %s", importer.Printable(err.Error()))
	}
	// Whether an existing file may be replaced is the engine's rule (the
	// wizard asks under the same rule): a file that is no mapping is
	// refused before anything is read; one that holds another mapping
	// once the suggestion is made (it may be the same mapping).
	var exists *importer.MappingExistsError
	if err := importer.CheckMappingSave(*output, nil, nil, *force); err != nil && !errors.As(err, &exists) {
		return mapSaveError(*output, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	src, err := importer.OpenContext(ctx, *input, importer.SourceOptions{Format: importer.Format(*format), RecordsKey: *recordsKey})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		var ke *importer.RecordsKeyError
		if errors.As(err, &ke) {
			return usagef("map: load %s: %s (map again with --records-key KEY)", importer.Printable(*input), importer.Printable(err.Error()))
		}
		return fmt.Errorf("load %s: %w", *input, err)
	}
	defer src.Close()
	if err := importer.CheckUserExport(src); err != nil {
		return fmt.Errorf("map: %s", importer.Printable(err.Error()))
	}
	m, rep, err := importer.SuggestMapping(src, importer.SuggestOptions{Preset: *preset, Identifier: id, Passwords: *passwords, HashPlaintext: *hashPlain, KeepSourceID: *keepID})
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, importer.ErrNoSourceID) {
		return usagef("map: --keep-source-id %s: %s; name it in the mapping as source.id first", importer.Printable(*keepID), err)
	}
	var badName *importer.AttributeNameError
	if errors.As(err, &badName) {
		return usagef("map: --keep-source-id: %s", err)
	}
	if err != nil {
		return err
	}
	wrote, err := importer.SaveMapping(*output, m, nil, *force)
	if err != nil {
		if uerr := mapSaveError(*output, err); uerr != nil && !errors.Is(uerr, err) {
			return uerr
		}
		return fmt.Errorf("write %s: %w", *output, err)
	}
	printSuggestion(io, *input, *output, src, m, rep, wrote)
	return nil
}

// mapSaveError words the engine's refusal to replace a file in map's
// flags.
func mapSaveError(output string, err error) error {
	var exists *importer.MappingExistsError
	var notMapping *importer.NotMappingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exists):
		return usagef("map: %s exists; pass --force to replace it or --output to write elsewhere", importer.Printable(output))
	case errors.As(err, &notMapping):
		return usagef("map: --output %s: exists and is not a mapping file: --force replaces only a mapping file; choose another --output", importer.Printable(output))
	}
	return err
}

func printSuggestion(io *stdio, input, output string, src *importer.Source, m *importer.Mapping, rep *importer.SuggestReport, wrote bool) {
	w := io.Out
	// Every name and value from the file goes through printable.
	fmt.Fprintf(w, "%s: %s", importer.Printable(input), src.Format())
	if src.Format() == importer.FormatCSV {
		fmt.Fprintf(w, ", delimiter %q", string(src.Delimiter()))
	}
	fmt.Fprintf(w, ", %d columns\n", len(src.Columns()))
	if n := src.Preamble(); n > 0 {
		fmt.Fprintf(w, "skipped %d %s before the header (comments or blank lines); replay skips them too\n", n, plural(n, "line", "lines"))
	}
	if m.Preset != "" {
		title := m.Preset
		if p, ok := importer.LookupPreset(m.Preset); ok {
			title = p.Title
		}
		fmt.Fprintf(w, "preset: %s (%s)\n", importer.Printable(m.Preset), importer.Printable(title))
	}
	fmt.Fprintf(w, "identifier: %s\n", importer.Printable(string(m.Identifier)))
	if id := m.SourceIDPath(); id != "" {
		fmt.Fprintf(w, "old user id: %s (source.id: the report's source_id and the id map)\n", importer.Printable(id))
	} else {
		fmt.Fprintln(w, "old user id: none found (see the notes)")
	}
	fmt.Fprint(w, "\nmapped:\n")
	why := map[string]string{}
	for _, s := range rep.Suggestions {
		why[s.Field] = s.Why
	}
	for _, key := range m.FieldKeys() {
		f := m.Fields[key]
		from := f.From
		if from == "" {
			from = fmt.Sprintf("constant %v", f.Value)
		}
		var ts []string
		for _, t := range f.Transforms {
			ts = append(ts, t.String())
		}
		line := fmt.Sprintf("  %-24s ← %s", importer.Printable(key), importer.Printable(from))
		if len(ts) > 0 {
			line += "  [" + importer.Printable(strings.Join(ts, ", ")) + "]"
		}
		if why[key] != "" {
			line += "  (" + importer.Printable(why[key]) + ")"
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Unmapped) > 0 {
		unmapped := append([]string(nil), rep.Unmapped...)
		sort.Strings(unmapped)
		for i, u := range unmapped {
			unmapped[i] = importer.Printable(u)
		}
		fmt.Fprintf(w, "\nnot mapped: %s\n", strings.Join(unmapped, ", "))
		fmt.Fprintln(w, "  (map any of them as custom_attributes.<name> if the project defines such a custom attribute)")
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  - %s%s\n", importer.Printable(n), mapRemedy(rep.NoteRemedy[n]))
		}
	}
	did := "wrote"
	if !wrote {
		did = "unchanged (it already holds this mapping):"
	}
	fmt.Fprintf(w, "\n%s %s\nnext: authgear-migrate replay --mapping %s --input %s --dry-run\n", did, importer.Printable(output), importer.Printable(output), importer.Printable(input))
}

func runPresets(io *stdio) error {
	for _, p := range importer.Presets() {
		fmt.Fprintf(io.Out, "%-12s %s\n", p.Name, p.Title)
		for _, l := range p.Limits {
			fmt.Fprintf(io.Out, "%-12s   - %s\n", "", l)
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkReadable turns a missing or unreadable file into a usage error.
func checkReadable(path, flagName string) error {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return usagef("%s %s: no such file", flagName, path)
		}
		return usagef("%s %s: %v", flagName, path, err)
	}
	st, err := f.Stat()
	f.Close()
	if err == nil && st.IsDir() {
		return usagef("%s %s: is a directory", flagName, path)
	}
	return nil
}

// mapRemedy words what a note of the engine advises with map's and
// replay's flags.
func mapRemedy(r importer.Remedy) string {
	switch r {
	case importer.RemedyJoinPasswords:
		return " (map and replay: --passwords FILE)"
	case importer.RemedyHashPlaintext:
		return " (map again with --hash-plaintext-passwords)"
	case importer.RemedyChooseIdentifier:
		return " (map again with --identifier)"
	case importer.RemedyChoosePreset:
		return " (map again with --preset NAME)"
	case importer.RemedyCreateRoles:
		return " (replay --create-roles)"
	case importer.RemedyKeepSourceID:
		return " (map again with --keep-source-id legacy_id, or add the field to the mapping)"
	}
	return ""
}
