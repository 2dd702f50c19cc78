package importer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// The rule (issue 18): a user is never rejected for a field that is not
// how they sign in. A value of any other field that Authgear would refuse,
// or that cannot be read, is dropped from that record, and the user is
// imported without it, counted per field and per reason. The mapping can
// say reject instead, per field (fields.<name>.invalid). Only the
// identifier, and a password hash the password policy rejects, cost a user
// their place by default, and the fields whose loss would widen what an
// account may do (guardedFields) are rejected unless the mapping says drop.

// Field policies for values Authgear would refuse (FieldSpec.Invalid).
const (
	// InvalidDrop imports the user without the field.
	InvalidDrop = "drop"
	// InvalidReject rejects the record.
	InvalidReject = "reject"
)

// guardedFields restrict what an account may do: a disabled account, an
// account valid only for a while, a second factor. Dropping an unreadable
// value would import the user with more access than the old system gave,
// so their default stays reject; the mapping may say drop.
var guardedFields = map[string]bool{
	"disabled":            true,
	"account_valid_from":  true,
	"account_valid_until": true,
	"mfa.email":           true,
	"mfa.phone_number":    true,
	"mfa.totp.secret":     true,
}

// passwordField says whether key is a password hash, which follows the
// password policy (passwords.unsupported, passwords.plaintext) instead.
func passwordField(key string) bool {
	return key == "password.password_hash" || key == "mfa.password.password_hash"
}

// Droppable reports whether a value of the field key can be dropped from
// a record under m: every field but the identifier and the password
// hashes.
func (m *Mapping) Droppable(key string) bool {
	return key != string(m.Identifier) && !passwordField(key)
}

// DefaultInvalidPolicy is what happens to a refused value of the field key
// when the mapping says nothing: drop, except for the guarded fields.
func DefaultInvalidPolicy(key string) string {
	if guardedFields[key] {
		return InvalidReject
	}
	return InvalidDrop
}

// InvalidPolicy is what happens to a value of the field key that Authgear
// would refuse or that cannot be read: InvalidDrop or InvalidReject. The
// identifier and the password hashes are always InvalidReject here (the
// password policy decides on hashes). fields.<key>.invalid wins, then
// phone.invalid for the phone fields, then DefaultInvalidPolicy.
func (m *Mapping) InvalidPolicy(key string) string {
	if !m.Droppable(key) {
		return InvalidReject
	}
	if f := m.Fields[key]; f != nil && f.Invalid != "" {
		return f.Invalid
	}
	if (key == "phone_number" || key == "mfa.phone_number") && m.Phone.Invalid != "" {
		return m.Phone.Invalid
	}
	return DefaultInvalidPolicy(key)
}

// SetInvalidPolicy sets the policy of a droppable field the mapping maps
// (for a front end's per-field choice). The default is written as nothing,
// unless phone.invalid says otherwise for a phone field.
func (m *Mapping) SetInvalidPolicy(key, policy string) error {
	f := m.Fields[key]
	switch {
	case f == nil:
		return fmt.Errorf("fields.%s is not mapped", key)
	case !m.Droppable(key):
		return fmt.Errorf("fields.%s takes no invalid policy", key)
	case policy != InvalidDrop && policy != InvalidReject:
		return fmt.Errorf("invalid policy %q must be drop or reject", policy)
	}
	f.Invalid = ""
	if m.InvalidPolicy(key) != policy {
		f.Invalid = policy
	}
	return nil
}

// FieldPolicy is the policy of one mapped field whose refused values can
// be dropped.
type FieldPolicy struct {
	Key   string
	Label string
	// Policy is InvalidDrop or InvalidReject, as the mapping decides.
	Policy string
	// Default is the policy when the mapping says nothing.
	Default string
}

// FieldPolicies lists the mapped fields whose refused values can be
// dropped, in the record's order, with their policies (for the wizard's
// map step).
func (m *Mapping) FieldPolicies() []FieldPolicy {
	var out []FieldPolicy
	for _, key := range m.FieldKeys() {
		if !m.Droppable(key) {
			continue
		}
		out = append(out, FieldPolicy{Key: key, Label: fieldLabel(key), Policy: m.InvalidPolicy(key), Default: DefaultInvalidPolicy(key)})
	}
	sort.SliceStable(out, func(i, j int) bool { return targetOrder(out[i].Key) < targetOrder(out[j].Key) })
	return out
}

// checkInvalidPolicy checks fields.<key>.invalid; it returns the problem.
func (m *Mapping) checkInvalidPolicy(key, v string) string {
	switch {
	case v == "":
		return ""
	case v != InvalidDrop && v != InvalidReject:
		return fmt.Sprintf("fields.%s.invalid %q must be drop or reject", key, v)
	case passwordField(key):
		return fmt.Sprintf("fields.%s.invalid: a password hash follows passwords.unsupported (drop or reject), not invalid", key)
	case key == string(m.Identifier) && v == InvalidDrop:
		return fmt.Sprintf("fields.%s.invalid: drop: %s is the identifier, which every record needs; remove invalid", key, key)
	}
	return ""
}

// Reasons a value is dropped (DroppedField.Reason): what is wrong with
// it, in a word, as counted in PrepareStats.DroppedFields and written on
// the record's report line.
const (
	DropReserved        = "reserved"              // a username Authgear reserves
	DropEmailAddress    = "email_address"         // a username that is an email address
	DropHasSpace        = "has_space"             // a username with a space
	DropCharacters      = "disallowed_characters" // a username with other characters
	DropNotEmail        = "not_an_email"          // an email that is not an address
	DropNoCountryCode   = "no_country_code"       // a national number and no default region
	DropUnknownCountry  = "unknown_country"       // a national number, and a record's country this tool does not know (phone.region_from)
	DropInvalidPhone    = "invalid_phone"         // not a phone number Authgear accepts
	DropNotURL          = "not_a_url"             // profile, website
	DropNotHTTPURL      = "not_an_http_url"       // picture
	DropNotDate         = "not_a_date"            // birthdate
	DropNotDateTime     = "not_a_date_time"       // RFC 3339 fields
	DropNotTimeZone     = "not_a_time_zone"       // zoneinfo
	DropNotLanguageTag  = "not_a_language_tag"    // locale
	DropNotBase32       = "not_base32"            // TOTP secret
	DropNotText         = "not_text"              // a boolean, an object, several values
	DropNotBoolean      = "not_a_boolean"         // the boolean fields
	DropNotList         = "not_a_list"            // roles, groups
	DropControlChar     = "control_character"     // text with a control character
	DropNotUTF8         = "not_utf8"              // text that is not UTF-8
	DropSameLoginID     = "same_login_id"         // a login ID an earlier record has
	DropUnreadableValue = "unreadable"            // a transform could not read it
)

// DroppedField is one value left out of a valid record.
type DroppedField struct {
	// Field is the record field ("preferred_username").
	Field string
	// Reason is one of the Drop* words.
	Reason string
}

// DroppedNote is the record's note (and report reason) for a drop.
func DroppedNote(field, reason string) string {
	return fmt.Sprintf("imported without %s: %s", field, reason)
}

// fieldCheckError is a refused value with the word that says why.
type fieldCheckError struct {
	reason string
	msg    string
}

func (e *fieldCheckError) Error() string { return e.msg }

// withReason attaches a reason word to err (nil stays nil).
func withReason(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &fieldCheckError{reason: reason, msg: err.Error()}
}

// dropReason is the reason word for err refusing a value of t.
func dropReason(t *Target, err error) string {
	var fe *fieldCheckError
	if errors.As(err, &fe) {
		return fe.reason
	}
	var pe *invalidPhoneError
	if errors.As(err, &pe) {
		return phoneReason(err)
	}
	switch t.kind {
	case kindBool:
		return DropNotBoolean
	case kindList:
		return DropNotList
	case kindAny:
		return DropNotText
	}
	switch t.format {
	case "email":
		return DropNotEmail
	case "phone":
		return phoneReason(err)
	case "username":
		return DropCharacters
	case "uri":
		return DropNotURL
	case "picture":
		return DropNotHTTPURL
	case "birthdate":
		return DropNotDate
	case "datetime":
		return DropNotDateTime
	case "zoneinfo":
		return DropNotTimeZone
	case "locale":
		return DropNotLanguageTag
	case "totp":
		return DropNotBase32
	}
	return DropUnreadableValue
}

func phoneReason(err error) string {
	if err != nil && strings.Contains(err.Error(), "(phone.region_from) is not one this tool knows") {
		return DropUnknownCountry
	}
	if err != nil && strings.Contains(err.Error(), "has no country code") {
		return DropNoCountryCode
	}
	return DropInvalidPhone
}

// textReason is the reason word for a checkText error.
func textReason(s string) string {
	if !utf8.ValidString(s) {
		return DropNotUTF8
	}
	return DropControlChar
}

// usernameReason says why a normalised username Authgear refuses is
// refused.
func usernameReason(s string) string {
	switch {
	case strings.ContainsAny(s, " \t"):
		return DropHasSpace
	case strings.Contains(s, "@") && checkEmail(NormalizeEmail(s)) == nil:
		return DropEmailAddress
	}
	return DropCharacters
}

// drop leaves the value of t out of the record being built: counted,
// with its note.
func (b *recordBuilder) drop(t *Target, reason string) {
	b.prep.drop(t, reason)
}

func (p *Prepared) drop(t *Target, reason string) {
	if t.format == "phone" {
		p.PhonesDropped++
	}
	p.Dropped = append(p.Dropped, DroppedField{Field: t.Key, Reason: reason})
	p.Notes = append(p.Notes, DroppedNote(t.Key, reason))
}

// addDropped counts the drops of a valid record.
func (s *PrepareStats) addDropped(p *Prepared) {
	for _, d := range p.Dropped {
		if s.DroppedFields == nil {
			s.DroppedFields = map[string]map[string]int{}
		}
		m := s.DroppedFields[d.Field]
		if m == nil {
			m = map[string]int{}
			s.DroppedFields[d.Field] = m
		}
		m[d.Reason]++
	}
}

// DroppedTotal is how many values were dropped in all.
func (s *PrepareStats) DroppedTotal() int {
	n := 0
	for _, m := range s.DroppedFields {
		for _, c := range m {
			n += c
		}
	}
	return n
}

// DroppedCount is one field's drops, for the front ends' lines.
type DroppedCount struct {
	Field string
	Total int
	// Reasons are "reserved 3" parts, most frequent first.
	Reasons []ReasonCount
}

// ReasonCount is how many values of a field were dropped for one reason.
type ReasonCount struct {
	Reason string
	N      int
}

// DroppedCounts lists counts (PrepareStats.DroppedFields) per field in
// the record's order, each field's reasons most frequent first.
func DroppedCounts(counts map[string]map[string]int) []DroppedCount {
	var out []DroppedCount
	for field, m := range counts {
		d := DroppedCount{Field: field}
		for r, n := range m {
			d.Reasons = append(d.Reasons, ReasonCount{r, n})
			d.Total += n
		}
		sort.Slice(d.Reasons, func(i, j int) bool {
			if d.Reasons[i].N != d.Reasons[j].N {
				return d.Reasons[i].N > d.Reasons[j].N
			}
			return d.Reasons[i].Reason < d.Reasons[j].Reason
		})
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if oi, oj := targetOrder(out[i].Field), targetOrder(out[j].Field); oi != oj {
			return oi < oj
		}
		return out[i].Field < out[j].Field
	})
	return out
}

// String is "preferred_username (reserved 3, has_space 1)".
func (d DroppedCount) String() string {
	parts := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		parts[i] = fmt.Sprintf("%s %d", r.Reason, r.N)
	}
	return fmt.Sprintf("%s (%s)", d.Field, strings.Join(parts, ", "))
}

// DroppedFieldsNote is the run's note on the values left out of valid
// records, or "".
func DroppedFieldsNote(counts map[string]map[string]int) string {
	list := DroppedCounts(counts)
	if len(list) == 0 {
		return ""
	}
	total, parts := 0, make([]string, len(list))
	for i, d := range list {
		total += d.Total
		parts[i] = d.String()
	}
	return fmt.Sprintf("%d %s that Authgear would refuse or that could not be read %s left out of valid records, whose users are imported without %s: %s. The report's reason column names each one; fields.<name>.invalid: reject in the mapping rejects such records instead.",
		total, plural(total, "value", "values"), plural(total, "was", "were"), plural(total, "it", "them"), strings.Join(parts, ", "))
}

// DroppedSampleNotes are map's notes on the sampled records with values
// left out: one per field, with the reasons.
func DroppedSampleNotes(counts map[string]map[string]int, sampled int) []string {
	var out []string
	for _, d := range DroppedCounts(counts) {
		n := d.Total // a record drops a field once
		reasons := make([]string, len(d.Reasons))
		for i, r := range d.Reasons {
			reasons[i] = r.Reason
		}
		hint := ""
		if counts[d.Field][DropNoCountryCode] > 0 {
			hint = "; set phone.default_region when the numbers are local"
		}
		out = append(out, fmt.Sprintf("%d of the %d sampled records %s %s Authgear would refuse (%s): those users are imported without it (set fields.%s.invalid: reject in the mapping to reject them instead%s)",
			n, sampled, plural(n, "has", "have"), withArticle(d.Field), strings.Join(reasons, ", "), d.Field, hint))
	}
	return out
}

// jsonTextReason is the reason word for a checkJSONText error.
func jsonTextReason(v any) string {
	switch t := v.(type) {
	case string:
		return textReason(t)
	case []any:
		for _, e := range t {
			if checkJSONText(e) != nil {
				return jsonTextReason(e)
			}
		}
	case map[string]any:
		for k, e := range t {
			if checkText(k) != nil {
				return textReason(k)
			}
			if checkJSONText(e) != nil {
				return jsonTextReason(e)
			}
		}
	}
	return DropControlChar
}

// dropSameLoginID leaves out of a valid record a login ID other than the
// identifier that the earlier record first has.
func (p *Prepared) dropSameLoginID(t *Target, first int) {
	switch t.Key {
	case "email":
		p.Record.Email = nil
	case "phone_number":
		p.Record.PhoneNumber = nil
	case "preferred_username":
		p.Record.PreferredUsername = nil
	}
	p.drop(t, DropSameLoginID)
	p.Notes[len(p.Notes)-1] += fmt.Sprintf(" (record %d's after normalisation)", first)
}
