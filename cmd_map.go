package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

const mapUsage = `Usage: authgear-migrate map --input FILE [--output MAPPING.yaml] [--preset NAME] [--identifier FIELD] [--passwords FILE]

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
	force := fs.Bool("force", false, "overwrite an existing mapping file")
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
		*output = stem(*input) + ".mapping.yaml"
	}
	if _, err := os.Stat(*output); err == nil && !*force {
		return usagef("map: %s exists; pass --force to overwrite it or --output to write elsewhere", *output)
	}
	src, err := importer.Open(*input, importer.SourceOptions{Format: importer.Format(*format)})
	if err != nil {
		return fmt.Errorf("load %s: %w", *input, err)
	}
	defer src.Close()
	m, rep, err := importer.SuggestMapping(src, importer.SuggestOptions{Preset: *preset, Identifier: id, Passwords: *passwords})
	if err != nil {
		return err
	}
	if err := m.WriteFile(*output); err != nil {
		return fmt.Errorf("write %s: %w", *output, err)
	}
	printSuggestion(io, *input, *output, src, m, rep)
	return nil
}

func printSuggestion(io *stdio, input, output string, src *importer.Source, m *importer.Mapping, rep *importer.SuggestReport) {
	w := io.Out
	fmt.Fprintf(w, "%s: %s", input, src.Format())
	if src.Format() == importer.FormatCSV {
		fmt.Fprintf(w, ", delimiter %q", string(src.Delimiter()))
	}
	fmt.Fprintf(w, ", %d columns\n", len(src.Columns()))
	if m.Preset != "" {
		title := m.Preset
		if p, ok := importer.LookupPreset(m.Preset); ok {
			title = p.Title
		}
		fmt.Fprintf(w, "preset: %s (%s)\n", m.Preset, title)
	}
	fmt.Fprintf(w, "identifier: %s\n\nmapped:\n", m.Identifier)
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
		line := fmt.Sprintf("  %-24s ← %s", key, from)
		if len(ts) > 0 {
			line += "  [" + strings.Join(ts, ", ") + "]"
		}
		if why[key] != "" {
			line += "  (" + why[key] + ")"
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Unmapped) > 0 {
		unmapped := append([]string(nil), rep.Unmapped...)
		sort.Strings(unmapped)
		fmt.Fprintf(w, "\nnot mapped: %s\n", strings.Join(unmapped, ", "))
		fmt.Fprintln(w, "  (map any of them as custom_attributes.<name> if the project defines such a custom attribute)")
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintf(w, "\nwrote %s\nnext: authgear-migrate replay --mapping %s --input %s --dry-run\n", output, output, input)
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

// stem returns the file name without directory and extension.
func stem(path string) string {
	base := path
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}
