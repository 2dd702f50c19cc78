package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MappingVersion is the version of the mapping file format this build writes.
const MappingVersion = 1

// Password policies for hashes Authgear cannot import.
const (
	// PasswordsDrop imports the user without the password.
	PasswordsDrop = "drop"
	// PasswordsReject rejects the record.
	PasswordsReject = "reject"
)

// Mapping says how an export becomes import records. It is saved as a
// hand-editable YAML file and holds no secrets.
type Mapping struct {
	Version    int        `yaml:"version"`
	Preset     string     `yaml:"preset,omitempty"`
	Source     SourceSpec `yaml:"source,omitempty"`
	Identifier Identifier `yaml:"identifier"`
	Upsert     bool       `yaml:"upsert"`
	// UsernameCaseSensitive keeps the case of usernames (for projects whose
	// username login ID is case sensitive).
	UsernameCaseSensitive bool `yaml:"username_case_sensitive,omitempty"`
	// AllowReservedUsernames accepts the usernames Authgear reserves
	// ("admin", "user", ...), for projects that turned
	// block_reserved_usernames off; by default they are rejected, as the
	// server rejects them.
	AllowReservedUsernames bool         `yaml:"allow_reserved_usernames,omitempty"`
	Passwords              PasswordSpec `yaml:"passwords"`
	Phone                  PhoneSpec    `yaml:"phone,omitempty"`
	// Fields maps record fields ("email", "custom_attributes.tier") to
	// where their values come from.
	Fields map[string]*FieldSpec `yaml:"fields"`
	// RejectIf lists conditions under which a record is not migrated.
	RejectIf []Condition `yaml:"reject_if,omitempty"`
}

// SourceSpec records how the input was read, so that replay reads it the
// same way.
type SourceSpec struct {
	Format     Format   `yaml:"format,omitempty"`
	Delimiter  string   `yaml:"delimiter,omitempty"`
	NoHeader   bool     `yaml:"no_header,omitempty"`
	Columns    []string `yaml:"columns,omitempty,flow"`
	LazyQuotes bool     `yaml:"lazy_quotes,omitempty"`
	RecordsKey string   `yaml:"records_key,omitempty"`
	// Model keeps only the objects of one model of a Django fixture
	// (dumpdata's [{"model": "app.model", "pk": ..., "fields": {...}}]):
	// the user model ("auth.user", "users.user", compared without case).
	// Every other object gets its report line as not a user (OutcomeNotUser)
	// and is neither sent nor counted invalid.
	Model string `yaml:"model,omitempty"`
	// Passwords names a second export that holds password hashes, joined
	// to the main one (Auth0's password export).
	Passwords *JoinSpec `yaml:"passwords,omitempty"`
	// ID names the old system's user id of each record (a column or
	// path, with transforms: `id: user_id` or {from: ..., transforms:
	// [...]}): it goes to the report's source_id column and to the id map
	// of a live run (idmap.go). It is never sent.
	ID *FieldSpec `yaml:"id,omitempty"`
}

// JoinSpec joins a second file to the records by a key.
type JoinSpec struct {
	File string `yaml:"file"`
	// Key is the path in the main record and Match the path in the joined
	// record whose values must be equal.
	Key   string `yaml:"key"`
	Match string `yaml:"match"`
	// AltKey / AltMatch give a second way to join when the first finds nothing.
	AltKey   string `yaml:"alt_key,omitempty"`
	AltMatch string `yaml:"alt_match,omitempty"`
}

// PlaintextHash is the passwords.plaintext policy that bcrypt-hashes
// clear-text passwords locally before they are sent.
const PlaintextHash = "hash"

// PlaintextBcryptCost is the bcrypt cost of passwords hashed locally.
const PlaintextBcryptCost = 10

// PasswordSpec is the password policy.
type PasswordSpec struct {
	// Unsupported is what happens to a recognised hash Authgear cannot
	// import (argon2, scrypt, pbkdf2, ...): "drop" or "reject".
	Unsupported string `yaml:"unsupported"`
	// Plaintext is what happens to a password in clear text: "" rejects
	// the record (map leaves such a column unmapped), "hash" bcrypt-hashes
	// it locally (cost PlaintextBcryptCost) so that the user keeps it.
	Plaintext string `yaml:"plaintext,omitempty"`
	// ExpirePlaintextPasswords, false, keeps the clear-text passwords
	// hashed locally valid; left out, they are sent expired and their
	// users change them at the next sign-in (ExpirePlaintext).
	ExpirePlaintextPasswords *bool `yaml:"expire_plaintext,omitempty"`
}

// PhoneSpec controls phone number normalisation.
type PhoneSpec struct {
	// DefaultRegion (ISO 3166 alpha-2, such as US) is used for numbers
	// written without a country code.
	DefaultRegion string `yaml:"default_region,omitempty"`
	// RegionFrom is the column or path of each record's country (an ISO
	// code such as MX, a calling code such as +52, or an English name
	// such as Mexico): a number written without + is read in that
	// country first, then in DefaultRegion (phoneregion.go).
	RegionFrom string `yaml:"region_from,omitempty"`
	// Validation mirrors Authgear's ui.phone_input.validation:
	// isValidNumber (default) or isPossibleNumber.
	Validation string `yaml:"validation,omitempty"`
	// AssumeInternational reads numbers without '+' and without a default
	// region as international ("85298765433" → "+85298765433"), for
	// exports that store them so (Supabase). Off by default: a national
	// number read that way is a valid number of another country.
	AssumeInternational bool `yaml:"assume_international,omitempty"`
	// Invalid is what happens to a phone number that cannot be read (a
	// local number with no country and no default region, an impossible
	// number) in phone_number and mfa.phone_number: "drop" imports the
	// user without it, with a note, "reject" rejects the record. It is
	// the older spelling of fields.<name>.invalid for the phone fields,
	// which wins when both are set; left out, the fields' default applies
	// (Mapping.InvalidPolicy). A phone number that is the identifier is
	// always needed: its record is rejected.
	Invalid string `yaml:"invalid,omitempty"`
}

// Phone policies for numbers that cannot be read (PhoneSpec.Invalid).
const (
	// PhoneInvalidReject rejects the record.
	PhoneInvalidReject = "reject"
	// PhoneInvalidDrop imports the user without the phone number.
	PhoneInvalidDrop = "drop"
)

// FieldSpec fills one record field from a column or path, or a constant.
type FieldSpec struct {
	From       string      `yaml:"from,omitempty"`
	Value      any         `yaml:"value,omitempty"`
	Transforms []Transform `yaml:"transforms,omitempty"`
	// Invalid is what happens to a value of this field that Authgear
	// would refuse or that cannot be read: "drop" imports the user
	// without the field, "reject" rejects the record. Left out, the
	// field's default applies (Mapping.InvalidPolicy, dropped.go). The
	// identifier and the password hashes take no such choice.
	Invalid string `yaml:"invalid,omitempty"`
	// Optional says the records may lack From: a path of the identifier
	// or the password hash that no sampled record has is then a warning,
	// not a refusal (missingpath.go).
	Optional bool `yaml:"optional,omitempty"`
}

// Condition rejects a record when the value at From is present (or, with
// Present false, absent).
type Condition struct {
	From    string `yaml:"from"`
	Present bool   `yaml:"present"`
	Reason  string `yaml:"reason"`
}

// NewMapping returns an empty mapping with the defaults filled in.
func NewMapping(id Identifier) *Mapping {
	return &Mapping{
		Version:    MappingVersion,
		Identifier: id,
		Passwords:  PasswordSpec{Unsupported: PasswordsDrop},
		Fields:     map[string]*FieldSpec{},
	}
}

// UnmarshalYAML reads a transform written as "name" or as {name: arg}.
func (t *Transform) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		t.Name = n.Value
		return nil
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			return fmt.Errorf("line %d: a transform is a name or a one-key map {name: argument}", n.Line)
		}
		t.Name = n.Content[0].Value
		if n.Content[1].Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: the argument of %s must be a single value", n.Line, t.Name)
		}
		t.Arg = n.Content[1].Value
		return nil
	}
	return fmt.Errorf("line %d: a transform is a name or a one-key map {name: argument}", n.Line)
}

// MarshalYAML writes a transform as its name, or {name: arg}.
func (t Transform) MarshalYAML() (any, error) {
	if t.Arg == "" {
		return t.Name, nil
	}
	return map[string]string{t.Name: t.Arg}, nil
}

// UnmarshalYAML accepts the short form `email: Email` for {from: Email}.
func (f *FieldSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f.From = n.Value
		return nil
	}
	if n.Kind == yaml.MappingNode {
		// yaml.v3 does not carry KnownFields into custom unmarshalers:
		// check the keys here, so that a typo is not silently dropped.
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i].Value; k {
			case "from", "value", "transforms", "invalid", "optional":
			default:
				return fmt.Errorf("line %d: field %q not found in a field mapping (known: from, value, transforms, invalid, optional)", n.Content[i].Line, k)
			}
		}
	}
	type plain FieldSpec
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*f = FieldSpec(p)
	return nil
}

// ReadMapping parses a mapping file and checks it.
func ReadMapping(r io.Reader, name string) (*Mapping, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	m := &Mapping{}
	if err := dec.Decode(m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the mapping file is empty", name)
		}
		return nil, mappingReadError(name, data, err)
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// ReadMappingFile reads a mapping from a file.
func ReadMappingFile(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadMapping(f, path)
}

// Check validates the mapping on its own (columns are checked by Compile)
// and fills in defaults.
func (m *Mapping) Check() error {
	var errs []string
	if m.Version == 0 {
		m.Version = MappingVersion
	}
	if m.Version > MappingVersion {
		errs = append(errs, fmt.Sprintf("version %d is newer than this build understands (%d); upgrade authgear-migrate", m.Version, MappingVersion))
	}
	if m.Identifier == "" {
		m.Identifier = IdentifierEmail
	}
	if !m.Identifier.Valid() {
		errs = append(errs, fmt.Sprintf("identifier %q must be email, phone_number or preferred_username", m.Identifier))
	}
	switch m.Passwords.Unsupported {
	case "":
		m.Passwords.Unsupported = PasswordsDrop
	case PasswordsDrop, PasswordsReject:
	default:
		errs = append(errs, fmt.Sprintf("passwords.unsupported %q must be drop or reject", m.Passwords.Unsupported))
	}
	switch m.Passwords.Plaintext {
	case "", PlaintextHash:
	default:
		errs = append(errs, fmt.Sprintf("passwords.plaintext %q must be hash (bcrypt-hash clear-text passwords locally) or left out", m.Passwords.Plaintext))
	}
	switch m.Phone.Validation {
	case "":
		m.Phone.Validation = PhoneIsValidNumber
	case PhoneIsValidNumber, PhoneIsPossibleNumber:
	default:
		errs = append(errs, fmt.Sprintf("phone.validation %q must be isValidNumber or isPossibleNumber", m.Phone.Validation))
	}
	switch m.Phone.Invalid {
	case "", PhoneInvalidReject, PhoneInvalidDrop:
	default:
		errs = append(errs, fmt.Sprintf("phone.invalid %q must be reject or drop", m.Phone.Invalid))
	}
	switch m.Source.Format {
	case FormatAuto, FormatCSV, FormatJSON, FormatNDJSON:
	default:
		errs = append(errs, fmt.Sprintf("source.format %q must be csv, json or ndjson", m.Source.Format))
	}
	if d := m.Source.Delimiter; d != "" && (len([]rune(d)) != 1 || d == "\"" || d == "\n" || d == "\r") {
		if d != `\t` && d != "tab" {
			errs = append(errs, fmt.Sprintf("source.delimiter %q must be one character", d))
		}
	}
	if m.Source.Model != "" && m.Source.Format == FormatCSV {
		errs = append(errs, fmt.Sprintf("source.model %q keeps the objects of one model of a Django fixture (JSON): a CSV file has no model", m.Source.Model))
	}
	errs = append(errs, m.checkSourceID()...)
	if m.Fields == nil {
		m.Fields = map[string]*FieldSpec{}
	}
	for _, key := range m.FieldKeys() {
		f := m.Fields[key]
		if _, ok := LookupTarget(key); !ok {
			errs = append(errs, fmt.Sprintf("fields: %q is not a field of the import record", key))
			continue
		}
		if f == nil || (f.From == "" && f.Value == nil) {
			errs = append(errs, fmt.Sprintf("fields.%s: give `from` (a column or path) or `value` (a constant)", key))
			continue
		}
		if f.From != "" && f.Value != nil {
			errs = append(errs, fmt.Sprintf("fields.%s: give either `from` or `value`, not both", key))
		}
		if msg := m.checkInvalidPolicy(key, f.Invalid); msg != "" {
			errs = append(errs, msg)
		}
		for _, t := range f.Transforms {
			spec, ok := transforms[t.Name]
			if !ok {
				errs = append(errs, fmt.Sprintf("fields.%s: unknown transform %q (known: %s)", key, t.Name, strings.Join(TransformNames(), ", ")))
				continue
			}
			if spec.needArg && t.Arg == "" {
				errs = append(errs, fmt.Sprintf("fields.%s: transform %s needs an argument (%s)", key, t.Name, spec.argDoc))
			}
			if spec.argDoc == "" && t.Arg != "" {
				errs = append(errs, fmt.Sprintf("fields.%s: transform %s takes no argument", key, t.Name))
			}
		}
	}
	if _, ok := m.Fields[string(m.Identifier)]; !ok {
		errs = append(errs, fmt.Sprintf("fields: the identifier %s is not mapped", m.Identifier))
	}
	for i, c := range m.RejectIf {
		if c.From == "" {
			errs = append(errs, fmt.Sprintf("reject_if[%d]: from is required", i))
		}
	}
	if len(errs) > 0 {
		return &MappingError{Problems: errs}
	}
	return nil
}

// MappingError lists everything wrong with a mapping.
type MappingError struct{ Problems []string }

func (e *MappingError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid mapping: " + e.Problems[0]
	}
	return "invalid mapping:\n  " + strings.Join(e.Problems, "\n  ")
}

// FieldKeys returns the mapped field keys in the record's order.
func (m *Mapping) FieldKeys() []string {
	keys := make([]string, 0, len(m.Fields))
	for k := range m.Fields {
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		oi, oj := targetOrder(keys[i]), targetOrder(keys[j])
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// Set maps a field from a column or path with transforms.
func (m *Mapping) Set(key, from string, ts ...Transform) {
	if m.Fields == nil {
		m.Fields = map[string]*FieldSpec{}
	}
	m.Fields[key] = &FieldSpec{From: from, Transforms: ts}
}

// T is shorthand for a transform without an argument.
func T(name string) Transform { return Transform{Name: name} }

// TA is shorthand for a transform with an argument.
func TA(name, arg string) Transform { return Transform{Name: name, Arg: arg} }

// Write encodes the mapping as YAML with fields in the record's order.
func (m *Mapping) Write(w io.Writer) error {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v any, comment string) error {
		var n yaml.Node
		if err := n.Encode(v); err != nil {
			return err
		}
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key, HeadComment: comment}
		doc.Content = append(doc.Content, k, &n)
		return nil
	}
	must := func(err error) {
		if err != nil {
			panic(err) // encoding plain values cannot fail
		}
	}
	must(add("version", m.Version, "authgear-migrate mapping: how each export record becomes a User Import API record.\nEdit freely; `authgear-migrate replay --mapping FILE --input FILE` uses it as it is."))
	if m.Preset != "" {
		must(add("preset", m.Preset, ""))
	}
	if !m.Source.isZero() {
		must(add("source", m.Source, ""))
	}
	must(add("identifier", m.Identifier, "email, phone_number or preferred_username; its login ID type must be enabled in the Authgear portal."))
	must(add("upsert", m.Upsert, "true updates users that already exist (passwords are never updated); false skips them."))
	if m.UsernameCaseSensitive {
		must(add("username_case_sensitive", true, ""))
	}
	if m.AllowReservedUsernames {
		must(add("allow_reserved_usernames", true, "only for a project whose username login ID has block_reserved_usernames turned off"))
	}
	must(add("passwords", m.Passwords, "What to do with password hashes Authgear cannot import (only bcrypt can be): drop (import the user without a password) or reject (do not import the user).\nplaintext: hash bcrypt-hashes passwords stored in clear text before they are sent (without it, such records are rejected)."))
	if m.Phone != (PhoneSpec{}) {
		must(add("phone", m.Phone, "invalid: what happens to a phone number that cannot be read: drop imports the user without it, reject does not import the user.\nLeft out, fields.<name>.invalid decides: drop for phone_number, reject for mfa.phone_number (a second factor)."))
	}
	fields := &yaml.Node{Kind: yaml.MappingNode}
	for _, key := range m.FieldKeys() {
		f := m.Fields[key]
		var v yaml.Node
		if err := v.Encode(f); err != nil {
			return err
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == "transforms" {
				v.Content[i+1].Style = yaml.FlowStyle
			}
		}
		fields.Content = append(fields.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &v)
	}
	doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "fields", HeadComment: "field of the import record: {from: column or path, transforms: [...]} or {value: constant}"}, fields)
	if len(m.RejectIf) > 0 {
		must(add("reject_if", m.RejectIf, ""))
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return err
	}
	return enc.Close()
}

// WriteFile saves the mapping (mode 0644: it holds no secrets).
func (m *Mapping) WriteFile(path string) error {
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		return err
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Abort()
		return err
	}
	if err := f.Chmod(0o644); err != nil { // a mapping holds no secret
		f.Abort()
		return err
	}
	return f.Commit()
}

// withPasswordFile is a copy of m (the caller may change it) that joins
// the password export file, when one is given (replay --passwords),
// instead of the mapping's own.
func (m *Mapping) withPasswordFile(file string) Mapping {
	c := *m
	if file != "" {
		j := JoinSpec{}
		if c.Source.Passwords != nil {
			j = *c.Source.Passwords
		}
		j.File = file
		c.Source.Passwords = &j
	}
	return c
}

// SourceOptions returns how to open the input according to the mapping.
func (m *Mapping) SourceOptions() SourceOptions {
	o := SourceOptions{
		Format:     m.Source.Format,
		NoHeader:   m.Source.NoHeader,
		Columns:    m.Source.Columns,
		LazyQuotes: m.Source.LazyQuotes,
		RecordsKey: m.Source.RecordsKey,
	}
	switch d := m.Source.Delimiter; d {
	case "":
	case `\t`, "tab":
		o.Delimiter = '\t'
	default:
		o.Delimiter = []rune(d)[0]
	}
	return o
}

func (s SourceSpec) isZero() bool {
	return s.Format == "" && s.Delimiter == "" && !s.NoHeader && len(s.Columns) == 0 && !s.LazyQuotes && s.RecordsKey == "" && s.Model == "" && s.Passwords == nil && s.ID == nil
}
