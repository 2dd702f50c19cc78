package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// cause is one entry of ValidationFailed's info.causes: validation.Error of
// pkg/util/validation/error.go.
type cause struct {
	Location string         `json:"location"`
	Kind     string         `json:"kind"`
	Details  map[string]any `json:"details,omitempty"`
}

// requestSchema is userimport.RequestSchema verbatim (md §1.3).
const requestSchema = `{
	"type": "object",
	"additionalProperties": false,
	"properties": {
		"upsert": {"type": "boolean"},
		"identifier": {"type": "string", "enum": ["preferred_username", "email", "phone_number"]},
		"records": {"type": "array", "minItems": 1, "items": {"type": "object"}}
	},
	"required": ["identifier", "records"]
}`

// recordSchema builds the per-identifier record schema of md §1.4
// (pkg/lib/userimport/model.go). The identifier field is nullable in every
// schema: the real server accepts {"email": null} under identifier email
// (real-server/c23, c25), a side effect of SchemaBuilder.AddTypeNull
// mutating the shared builders, and then crashes the task (see jobs.go).
func recordSchema(identifier string) map[string]any {
	str := func(extra map[string]any) map[string]any {
		m := map[string]any{"type": "string"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	nullable := func(m map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		c["type"] = []any{m["type"], "null"}
		return c
	}
	minLen := str(map[string]any{"minLength": 1})
	boolean := map[string]any{"type": "boolean"}
	rfc3339 := str(map[string]any{"format": "date-time"})
	email := str(map[string]any{"format": "email"})
	phone := str(map[string]any{"format": "phone"})

	password := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"type", "password_hash"},
		"properties": map[string]any{
			"type":          str(map[string]any{"enum": []any{"bcrypt"}}),
			"password_hash": minLen,
			"expire_after":  rfc3339,
		},
	}
	totp := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"secret"},
		"properties":           map[string]any{"secret": minLen},
	}
	mfa := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"email":        nullable(email),
			"phone_number": nullable(phone),
			"password":     password,
			"totp":         totp,
		},
	}
	address := map[string]any{
		"type": []any{"object", "null"},
		"properties": map[string]any{
			"formatted":      minLen,
			"street_address": minLen,
			"locality":       minLen,
			"region":         minLen,
			"postal_code":    minLen,
			"country":        minLen,
		},
	}
	props := map[string]any{
		"email":                 nullable(email),
		"phone_number":          nullable(phone),
		"preferred_username":    nullable(minLen),
		"disabled":              boolean,
		"account_valid_from":    rfc3339,
		"account_valid_until":   rfc3339,
		"email_verified":        boolean,
		"phone_number_verified": boolean,
		"name":                  nullable(minLen),
		"given_name":            nullable(minLen),
		"family_name":           nullable(minLen),
		"middle_name":           nullable(minLen),
		"nickname":              nullable(minLen),
		"gender":                nullable(minLen),
		"profile":               nullable(str(map[string]any{"format": "uri"})),
		"website":               nullable(str(map[string]any{"format": "uri"})),
		"picture":               nullable(str(map[string]any{"format": "x_picture"})),
		"birthdate":             nullable(str(map[string]any{"format": "birthdate"})),
		"zoneinfo":              nullable(str(map[string]any{"format": "timezone"})),
		"locale":                nullable(str(map[string]any{"format": "bcp47"})),
		"address":               address,
		"custom_attributes":     map[string]any{"type": "object"},
		"roles":                 map[string]any{"type": "array", "items": minLen},
		"groups":                map[string]any{"type": "array", "items": minLen},
		"password":              password,
		"mfa":                   mfa,
	}
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{identifier},
		"properties":           props,
	}
}

// validator is one compiled schema plus its source, which the error mapping
// walks to find "required" and "enum" lists.
type validator struct {
	schema *jsonschema.Schema
	doc    any
}

// schemas holds every schema a server uses; phone validation depends on
// the project, so each Server compiles its own.
type schemas struct {
	request *validator
	records map[string]*validator
}

func compileSchemas(phonePossibleOnly bool) (*schemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for name, fn := range map[string]func(any) error{
		"email":     checkEmail,
		"phone":     checkPhone(phonePossibleOnly),
		"uri":       checkURI,
		"x_picture": checkPicture,
		"birthdate": checkBirthdate,
		"timezone":  checkTimezone,
		"bcp47":     checkBCP47,
		"date-time": checkDateTime,
	} {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: fn})
	}
	add := func(name string, raw []byte) (*validator, error) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		loc := "sandbox:///" + name + ".json"
		if err := c.AddResource(loc, doc); err != nil {
			return nil, err
		}
		sch, err := c.Compile(loc)
		if err != nil {
			return nil, err
		}
		return &validator{schema: sch, doc: doc}, nil
	}
	s := &schemas{records: map[string]*validator{}}
	var err error
	if s.request, err = add("request", []byte(requestSchema)); err != nil {
		return nil, fmt.Errorf("sandbox: request schema: %w", err)
	}
	for _, id := range []string{"email", "phone_number", "preferred_username"} {
		raw, err := json.Marshal(recordSchema(id))
		if err != nil {
			return nil, err
		}
		if s.records[id], err = add("record-"+id, raw); err != nil {
			return nil, fmt.Errorf("sandbox: record schema %s: %w", id, err)
		}
	}
	return s, nil
}

// decodeForSchema decodes JSON the way the schema validator sees it:
// numbers as json.Number, duplicate keys last-wins (real-server/f07).
func decodeForSchema(raw []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

// validate returns Authgear's causes for inst, sorted by location
// (validation.SchemaValidator sorts them so), or nil when valid.
func (v *validator) validate(inst any) []cause {
	err := v.schema.Validate(inst)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []cause{{Location: "", Kind: "general", Details: map[string]any{"msg": err.Error()}}}
	}
	var out []cause
	v.collect(verr, inst, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out
}

// collect maps the leaves of santhosh-tekuri's error tree to Authgear's
// cause shapes (the Info structs of iawaknahc/jsonschema as marshalled by
// validation.Error): kind = the keyword, details = that keyword's info.
func (v *validator) collect(e *jsonschema.ValidationError, inst any, out *[]cause) {
	loc := pointer(e.InstanceLocation)
	value, _ := lookup(inst, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Group, *kind.Schema, *kind.Reference, *kind.AllOf, *kind.AnyOf, *kind.OneOf, *kind.Not:
		for _, c := range e.Causes {
			v.collect(c, inst, out)
		}
		return
	case *kind.Type:
		expected := append([]string(nil), k.Want...)
		sort.Strings(expected)
		*out = append(*out, cause{Location: loc, Kind: "type", Details: map[string]any{
			"expected": expected,
			"actual":   jsonTypes(value),
		}})
		// iawaknahc/jsonschema evaluates every keyword, santhosh stops at
		// "type": a wrongly typed value also fails a string "enum".
		if sub := v.subschema(e.SchemaURL); sub != nil {
			if enum, ok := sub["enum"].([]any); ok && !inEnum(value, enum) {
				*out = append(*out, cause{Location: loc, Kind: "enum", Details: map[string]any{
					"actual": value, "expected": enum,
				}})
			}
		}
	case *kind.Enum:
		*out = append(*out, cause{Location: loc, Kind: "enum", Details: map[string]any{
			"actual": value, "expected": k.Want,
		}})
	case *kind.Required:
		var expected []string
		if sub := v.subschema(e.SchemaURL); sub != nil {
			for _, r := range asSlice(sub["required"]) {
				if s, ok := r.(string); ok {
					expected = append(expected, s)
				}
			}
		}
		actual := []string{}
		if obj, ok := value.(map[string]any); ok {
			for name := range obj {
				actual = append(actual, name)
			}
		}
		missing := append([]string(nil), k.Missing...)
		sort.Strings(expected)
		sort.Strings(actual)
		sort.Strings(missing)
		*out = append(*out, cause{Location: loc, Kind: "required", Details: map[string]any{
			"expected": expected, "actual": actual, "missing": missing,
		}})
	case *kind.AdditionalProperties:
		// One cause per extra property, at the property, kind "" and no
		// details (real-server/c11, c22 #5).
		for _, name := range k.Properties {
			*out = append(*out, cause{Location: loc + "/" + escapeToken(name), Kind: ""})
		}
	case *kind.FalseSchema:
		*out = append(*out, cause{Location: loc, Kind: ""})
	case *kind.MinLength:
		s, _ := value.(string)
		*out = append(*out, cause{Location: loc, Kind: "minLength", Details: map[string]any{
			"expected": k.Want, "actual": utf8.RuneCountInString(s),
		}})
	case *kind.MaxLength:
		s, _ := value.(string)
		*out = append(*out, cause{Location: loc, Kind: "maxLength", Details: map[string]any{
			"expected": k.Want, "actual": utf8.RuneCountInString(s),
		}})
	case *kind.MinItems:
		*out = append(*out, cause{Location: loc, Kind: "minItems", Details: map[string]any{
			"expected": k.Want, "actual": k.Got,
		}})
	case *kind.Format:
		msg := ""
		if k.Err != nil {
			msg = k.Err.Error()
		}
		*out = append(*out, cause{Location: loc, Kind: "format", Details: map[string]any{
			"error": msg, "format": k.Want,
		}})
	default:
		kw := ""
		if p := e.ErrorKind.KeywordPath(); len(p) > 0 {
			kw = p[len(p)-1]
		}
		*out = append(*out, cause{Location: loc, Kind: kw})
	}
}

// subschema resolves a santhosh SchemaURL ("sandbox:///x.json#/properties/a")
// inside v.doc.
func (v *validator) subschema(schemaURL string) map[string]any {
	_, frag, _ := strings.Cut(schemaURL, "#")
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil
	}
	var cur any = v.doc
	if frag != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := cur.(type) {
			case map[string]any:
				cur = c[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) {
					return nil
				}
				cur = c[i]
			default:
				return nil
			}
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func inEnum(v any, enum []any) bool {
	for _, e := range enum {
		if e == v {
			return true
		}
	}
	return false
}

// jsonTypes is the "actual" of iawaknahc's type keyword: sorted, and an
// integral number is both "integer" and "number".
func jsonTypes(v any) []string {
	switch t := v.(type) {
	case nil:
		return []string{"null"}
	case string:
		return []string{"string"}
	case bool:
		return []string{"boolean"}
	case map[string]any:
		return []string{"object"}
	case []any:
		return []string{"array"}
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(t)); ok && r.IsInt() {
			return []string{"integer", "number"}
		}
		return []string{"number"}
	case float64:
		if t == float64(int64(t)) {
			return []string{"integer", "number"}
		}
		return []string{"number"}
	}
	return []string{}
}

func lookup(inst any, tokens []string) (any, bool) {
	cur := inst
	for _, tok := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

func escapeToken(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}
