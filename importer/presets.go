package importer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Preset knows the export format of one system people migrate from.
type Preset struct {
	// Name is what --preset takes ("auth0").
	Name string
	// Title is the system's name for people ("Auth0").
	Title string
	// Detect scores how surely src is this system's export: 0 means not at
	// all; the highest score above MinDetectScore wins.
	Detect func(src *Source) int
	// Build returns the mapping for src. o.Identifier may be "".
	Build func(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error)
	// Limits says in plain words what cannot be carried over and why.
	Limits []string
}

// MinDetectScore is the least Detect score that selects a preset.
const MinDetectScore = 50

// SuggestOptions steers SuggestMapping.
type SuggestOptions struct {
	// Preset forces a preset by name; "" detects one.
	Preset string
	// Identifier forces the identifier; "" lets the preset or suggestions choose.
	Identifier Identifier
	// Passwords names a separate password export to join (Auth0).
	Passwords string
	// HashPlaintext sets passwords.plaintext: hash, so that passwords
	// stored in clear text are bcrypt-hashed locally and mapped, instead
	// of being left unmapped.
	HashPlaintext bool
	// KeepSourceID, when set, maps the old user id (source.id) to the
	// custom attribute of that name too (Mapping.KeepSourceID).
	KeepSourceID string
}

var presets = map[string]*Preset{}

// RegisterPreset adds a preset to the registry.
func RegisterPreset(p *Preset) {
	if _, dup := presets[p.Name]; dup {
		panic("importer: preset registered twice: " + p.Name)
	}
	presets[p.Name] = p
}

// Presets lists the registered presets by name.
func Presets() []*Preset {
	out := make([]*Preset, 0, len(presets))
	for _, p := range presets {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupPreset finds a preset by name.
func LookupPreset(name string) (*Preset, bool) {
	p, ok := presets[strings.ToLower(name)]
	return p, ok
}

// PresetNames lists the preset names, for usage messages.
func PresetNames() []string {
	var names []string
	for _, p := range Presets() {
		names = append(names, p.Name)
	}
	return names
}

// DetectPreset returns the preset that best matches src, or the generic
// preset with a note when none does.
func DetectPreset(src *Source) (*Preset, int) {
	var best *Preset
	bestScore := 0
	for _, p := range Presets() {
		if p.Detect == nil || src.Context().Err() != nil {
			continue
		}
		if s := p.Detect(src); s > bestScore {
			best, bestScore = p, s
		}
	}
	if best == nil || bestScore < MinDetectScore {
		g, _ := LookupPreset("generic")
		return g, bestScore
	}
	return best, bestScore
}

// SuggestMapping writes a mapping for src: with the named preset, with the
// detected one, or from column names and values (the generic preset). It
// returns the error of src's context once that is cancelled.
func SuggestMapping(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	m, rep, err := suggestMapping(src, o)
	if cerr := src.Context().Err(); cerr != nil {
		return nil, nil, cerr
	}
	return m, rep, err
}

func suggestMapping(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	var p *Preset
	if o.Preset != "" {
		var ok bool
		if p, ok = LookupPreset(o.Preset); !ok {
			return nil, nil, fmt.Errorf("unknown preset %q (known: %s)", o.Preset, strings.Join(PresetNames(), ", "))
		}
	} else {
		var score int
		p, score = DetectPreset(src)
		if err := src.Context().Err(); err != nil {
			return nil, nil, err
		}
		if p.Name == "generic" {
			m, rep, err := p.Build(src, o)
			if err == nil && score > 0 {
				rep.Notes = append(rep.Notes, fmt.Sprintf("no preset matched this file with confidence (best score %d of %d needed): mapped from column names and values", score, MinDetectScore))
			} else if err == nil {
				rep.Notes = append(rep.Notes, "no preset matched this file: mapped from column names and values")
			}
			if err == nil {
				notePasswordsUnused(m, rep, o)
				noteSource(src, m, rep)
				err = noteSourceID(m, rep, o)
			}
			if err != nil {
				return nil, nil, err
			}
			return m, rep, nil
		}
	}
	m, rep, err := p.Build(src, o)
	if err != nil {
		return nil, nil, err
	}
	m.Preset = p.Name
	notePasswordsUnused(m, rep, o)
	noteSource(src, m, rep)
	if err := noteSourceID(m, rep, o); err != nil {
		return nil, nil, err
	}
	return m, rep, nil
}

// noteSource carries what the loader decided and found into the mapping
// and the notes: the records array it chose among several (written to
// the mapping, so that every later run reads the same one), and its
// warnings on the sampled records (a key that occurs twice, a quote that
// hides records).
func noteSource(src *Source, m *Mapping, rep *SuggestReport) {
	if src.Format() == FormatJSON && m.Source.RecordsKey == "" && src.RecordsKey() != "" && (src.RecordsKeyChosen() || src.recordsKeyGiven) {
		m.Source.RecordsKey = src.RecordsKey()
	}
	for _, w := range src.Warnings() {
		if !slices.Contains(rep.Notes, w) {
			rep.Notes = append(rep.Notes, w)
		}
	}
}

// notePasswordsUnused says when a password file was given that the
// mapping does not join (only Auth0 exports keep hashes in a second file).
func notePasswordsUnused(m *Mapping, rep *SuggestReport, o SuggestOptions) {
	if o.Passwords != "" && m.Source.Passwords == nil {
		rep.noteWith(RemedyChoosePreset, fmt.Sprintf("the password file %s is not used: only Auth0's user export takes its passwords from a second file (choose the auth0 preset if this is one)", o.Passwords))
	}
}

func init() {
	RegisterPreset(&Preset{
		Name:  "generic",
		Title: "Any CSV or JSON export",
		Build: func(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
			m, rep := Suggest(src, o.Identifier)
			m.Preset = "generic"
			if o.HashPlaintext {
				m.Passwords.Plaintext = PlaintextHash
			}
			if src.Context().Err() == nil {
				unmapped := len(m.Fields)
				checkPlaintextPasswords(src, m, rep)
				suggestPhoneRegion(src, m, rep)
				if len(m.Fields) < unmapped {
					rep.Unmapped = unmappedColumns(src, m)
				}
				if _, ok := m.Fields[string(m.Identifier)]; ok {
					// The hash families have their notes from Suggest.
					_ = noteSample(src, m, rep, false)
				} else if n := raggedNote(src); n != "" {
					rep.Notes = append(rep.Notes, n)
				}
			}
			return m, rep, nil
		},
	})
}

// OpenInput opens an export the way a mapping says to read it, with the
// joins it names (such as a password export) attached.
func OpenInput(path string, m *Mapping) (*Source, error) {
	return OpenInputContext(context.Background(), path, m)
}

// OpenInputContext is OpenInput bound to ctx (see NewSourceContext): the
// reading of the input and of a joined password file stop once ctx is
// cancelled.
func OpenInputContext(ctx context.Context, path string, m *Mapping) (*Source, error) {
	src, err := OpenContext(ctx, path, m.SourceOptions())
	if err != nil {
		return nil, err
	}
	if m.Source.Passwords != nil {
		if err := attachPasswordJoin(src, path, m.Source.Passwords); err != nil {
			src.Close()
			return nil, err
		}
	}
	return src, nil
}

// attachPasswordJoin is filled in with the Auth0 preset.
var attachPasswordJoin = func(src *Source, inputPath string, j *JoinSpec) error {
	return fmt.Errorf("joining a password file (%s) is not supported yet", j.File)
}
