package importer

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Identifier is the field that identifies a user in an import request.
type Identifier string

// The identifiers the User Import API accepts.
const (
	IdentifierEmail    Identifier = "email"
	IdentifierPhone    Identifier = "phone_number"
	IdentifierUsername Identifier = "preferred_username"
)

// Valid reports whether id is one of the three identifiers.
func (id Identifier) Valid() bool {
	return id == IdentifierEmail || id == IdentifierPhone || id == IdentifierUsername
}

// Record is one user in the User Import API's format. Absent fields are
// nil and left out of the JSON: the tool never sends "" (Authgear rejects
// empty strings) nor null (which deletes on upsert).
type Record struct {
	PreferredUsername *string `json:"preferred_username,omitempty"`
	Email             *string `json:"email,omitempty"`
	PhoneNumber       *string `json:"phone_number,omitempty"`

	Disabled          *bool   `json:"disabled,omitempty"`
	AccountValidFrom  *string `json:"account_valid_from,omitempty"`
	AccountValidUntil *string `json:"account_valid_until,omitempty"`

	EmailVerified       *bool `json:"email_verified,omitempty"`
	PhoneNumberVerified *bool `json:"phone_number_verified,omitempty"`

	Name       *string  `json:"name,omitempty"`
	GivenName  *string  `json:"given_name,omitempty"`
	FamilyName *string  `json:"family_name,omitempty"`
	MiddleName *string  `json:"middle_name,omitempty"`
	Nickname   *string  `json:"nickname,omitempty"`
	Profile    *string  `json:"profile,omitempty"`
	Picture    *string  `json:"picture,omitempty"`
	Website    *string  `json:"website,omitempty"`
	Gender     *string  `json:"gender,omitempty"`
	Birthdate  *string  `json:"birthdate,omitempty"`
	Zoneinfo   *string  `json:"zoneinfo,omitempty"`
	Locale     *string  `json:"locale,omitempty"`
	Address    *Address `json:"address,omitempty"`

	CustomAttributes map[string]any `json:"custom_attributes,omitempty"`

	Roles  []string `json:"roles,omitempty"`
	Groups []string `json:"groups,omitempty"`

	Password *Password `json:"password,omitempty"`
	MFA      *MFA      `json:"mfa,omitempty"`

	// upsert says the record goes in a request with upsert: true, where
	// disabled: false and email_verified: false can change an existing
	// user. Plan.Apply sets it from the mapping; AppendJSON reads it.
	upsert bool
}

// SetUpsert says whether the record is sent with upsert: true, which
// decides the fields AppendJSON leaves out (Plan.Apply sets it from the
// mapping).
func (r *Record) SetUpsert(upsert bool) { r.upsert = upsert }

// withoutNoEffect returns the record as it is sent: without the fields
// Authgear ignores with a warning (authgear-import-api.md §3.3, §3.4).
// email_verified and phone_number_verified without their email or phone
// never have an effect; disabled: false and the verified flags at false
// have none on insert, so they are kept only for upsert, where they
// re-enable the user or remove the verification. It returns r itself when
// nothing is left out.
func (r *Record) withoutNoEffect() *Record {
	dropEV := r.EmailVerified != nil && (r.Email == nil || !r.upsert && !*r.EmailVerified)
	dropPV := r.PhoneNumberVerified != nil && (r.PhoneNumber == nil || !r.upsert && !*r.PhoneNumberVerified)
	dropD := r.Disabled != nil && !r.upsert && !*r.Disabled
	if !dropEV && !dropPV && !dropD {
		return r
	}
	c := *r
	if dropEV {
		c.EmailVerified = nil
	}
	if dropPV {
		c.PhoneNumberVerified = nil
	}
	if dropD {
		c.Disabled = nil
	}
	return &c
}

// Address is the OIDC address claim.
type Address struct {
	Formatted     *string `json:"formatted,omitempty"`
	StreetAddress *string `json:"street_address,omitempty"`
	Locality      *string `json:"locality,omitempty"`
	Region        *string `json:"region,omitempty"`
	PostalCode    *string `json:"postal_code,omitempty"`
	Country       *string `json:"country,omitempty"`
}

// Password is an importable password: only bcrypt hashes exist.
type Password struct {
	Type string `json:"type"`
	// PasswordHash is the bcrypt hash. For a password that was in clear
	// text (passwords.plaintext: hash) it is empty until Hash is called or
	// the record is encoded (AppendJSON): read it through Hash.
	PasswordHash string  `json:"password_hash"`
	ExpireAfter  *string `json:"expire_after,omitempty"`
	// lazy, when set, is the clear-text password still to hash (plainhash.go).
	lazy *lazyHash
}

// MFA holds the secondary authenticators of a record.
type MFA struct {
	Email       *string   `json:"email,omitempty"`
	PhoneNumber *string   `json:"phone_number,omitempty"`
	Password    *Password `json:"password,omitempty"`
	TOTP        *TOTP     `json:"totp,omitempty"`
}

// TOTP is an authenticator app secret (base32).
type TOTP struct {
	Secret string `json:"secret"`
}

// IdentifierValue returns the value of the record's identifier field.
func (r *Record) IdentifierValue(id Identifier) string {
	var p *string
	switch id {
	case IdentifierEmail:
		p = r.Email
	case IdentifierPhone:
		p = r.PhoneNumber
	case IdentifierUsername:
		p = r.PreferredUsername
	}
	if p == nil {
		return ""
	}
	return *p
}

// AppendJSON appends the record encoded compactly and without HTML escaping, as it
// goes on the wire. Fields that cannot have an effect are left out
// (disabled: false on insert, email_verified with no email, ...: see
// withoutNoEffect); the Record itself keeps them.
func (r *Record) AppendJSON(b []byte) ([]byte, error) {
	if r.Password != nil && r.Password.lazy != nil {
		// A clear-text password is hashed when first sent or written.
		if _, err := r.Password.Hash(); err != nil {
			return b, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	type plain Record
	if err := enc.Encode((*plain)(r.withoutNoEffect())); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

type fieldKind int

const (
	kindString fieldKind = iota
	kindBool
	kindList
	kindAny
)

func (k fieldKind) String() string {
	switch k {
	case kindBool:
		return "boolean"
	case kindList:
		return "list of strings"
	case kindAny:
		return "any JSON value"
	}
	return "string"
}

// Target describes one field of the import record that a mapping can fill.
type Target struct {
	// Key is the field's path in the record: "email", "address.locality",
	// "password.password_hash", "custom_attributes.member_id".
	Key string
	// Label is how messages name the field ("password hash").
	Label string
	// Doc is a one-line description for the wizard.
	Doc    string
	kind   fieldKind
	format string
	// The target sets its value on the record being built with the setter
	// of its kind: the text points into the record's own backing array.
	setStr  func(b *recordBuilder, s *string)
	setBool func(b *recordBuilder, v bool)
	setList func(b *recordBuilder, l []string)
	setAny  func(b *recordBuilder, v any)
}

// Kind names the value type the field takes.
func (t *Target) Kind() string { return t.kind.String() }

// text makes the setter of a text field of the record.
func text(field func(r *Record) **string) func(*recordBuilder, *string) {
	return func(b *recordBuilder, s *string) { *field(&b.rec) = s }
}

// boolTrue and boolFalse back every boolean field of every record; they
// are never written through.
var boolTrue, boolFalse = true, false

// boolean makes the setter of a boolean field of the record.
func boolean(field func(r *Record) **bool) func(*recordBuilder, bool) {
	return func(b *recordBuilder, v bool) {
		if v {
			*field(&b.rec) = &boolTrue
		} else {
			*field(&b.rec) = &boolFalse
		}
	}
}

func addr(r *Record) *Address {
	if r.Address == nil {
		r.Address = &Address{}
	}
	return r.Address
}

func mfa(r *Record) *MFA {
	if r.MFA == nil {
		r.MFA = &MFA{}
	}
	return r.MFA
}

// Targets lists every field a mapping can fill, in the record's order.
// custom_attributes.<name> fields are added per mapping.
var Targets = []*Target{
	{Key: "email", Label: "email", Doc: "email address (a login ID)", format: "email", setStr: text(func(r *Record) **string { return &r.Email })},
	{Key: "phone_number", Label: "phone number", Doc: "phone number in E.164 (a login ID)", format: "phone", setStr: text(func(r *Record) **string { return &r.PhoneNumber })},
	{Key: "preferred_username", Label: "username", Doc: "username (a login ID)", format: "username", setStr: text(func(r *Record) **string { return &r.PreferredUsername })},
	{Key: "email_verified", Label: "email_verified", Doc: "the email is verified", kind: kindBool, setBool: boolean(func(r *Record) **bool { return &r.EmailVerified })},
	{Key: "phone_number_verified", Label: "phone_number_verified", Doc: "the phone number is verified", kind: kindBool, setBool: boolean(func(r *Record) **bool { return &r.PhoneNumberVerified })},
	{Key: "disabled", Label: "disabled", Doc: "the account is disabled", kind: kindBool, setBool: boolean(func(r *Record) **bool { return &r.Disabled })},
	{Key: "account_valid_from", Label: "account_valid_from", Doc: "start of the account's valid period (RFC 3339)", format: "datetime", setStr: text(func(r *Record) **string { return &r.AccountValidFrom })},
	{Key: "account_valid_until", Label: "account_valid_until", Doc: "end of the account's valid period (RFC 3339)", format: "datetime", setStr: text(func(r *Record) **string { return &r.AccountValidUntil })},
	{Key: "name", Label: "name", Doc: "full name", format: "text", setStr: text(func(r *Record) **string { return &r.Name })},
	{Key: "given_name", Label: "given name", Doc: "first name", format: "text", setStr: text(func(r *Record) **string { return &r.GivenName })},
	{Key: "family_name", Label: "family name", Doc: "last name", format: "text", setStr: text(func(r *Record) **string { return &r.FamilyName })},
	{Key: "middle_name", Label: "middle name", Doc: "middle name", format: "text", setStr: text(func(r *Record) **string { return &r.MiddleName })},
	{Key: "nickname", Label: "nickname", Doc: "nickname", format: "text", setStr: text(func(r *Record) **string { return &r.Nickname })},
	{Key: "profile", Label: "profile", Doc: "profile page URL", format: "uri", setStr: text(func(r *Record) **string { return &r.Profile })},
	{Key: "picture", Label: "picture", Doc: "picture URL (http or https)", format: "picture", setStr: text(func(r *Record) **string { return &r.Picture })},
	{Key: "website", Label: "website", Doc: "website URL", format: "uri", setStr: text(func(r *Record) **string { return &r.Website })},
	{Key: "gender", Label: "gender", Doc: "gender", format: "text", setStr: text(func(r *Record) **string { return &r.Gender })},
	{Key: "birthdate", Label: "birthdate", Doc: "birthdate: YYYY-MM-DD, --MM-DD or YYYY", format: "birthdate", setStr: text(func(r *Record) **string { return &r.Birthdate })},
	{Key: "zoneinfo", Label: "zoneinfo", Doc: "IANA time zone (Europe/Paris)", format: "zoneinfo", setStr: text(func(r *Record) **string { return &r.Zoneinfo })},
	{Key: "locale", Label: "locale", Doc: "BCP 47 language tag (zh-HK)", format: "locale", setStr: text(func(r *Record) **string { return &r.Locale })},
	{Key: "address.formatted", Label: "address (formatted)", Doc: "full address", format: "text", setStr: text(func(r *Record) **string { return &addr(r).Formatted })},
	{Key: "address.street_address", Label: "street address", Doc: "street address", format: "text", setStr: text(func(r *Record) **string { return &addr(r).StreetAddress })},
	{Key: "address.locality", Label: "locality", Doc: "city", format: "text", setStr: text(func(r *Record) **string { return &addr(r).Locality })},
	{Key: "address.region", Label: "region", Doc: "state or region", format: "text", setStr: text(func(r *Record) **string { return &addr(r).Region })},
	{Key: "address.postal_code", Label: "postal code", Doc: "postal code", format: "text", setStr: text(func(r *Record) **string { return &addr(r).PostalCode })},
	{Key: "address.country", Label: "country", Doc: "country", format: "text", setStr: text(func(r *Record) **string { return &addr(r).Country })},
	{Key: "roles", Label: "roles", Doc: "role keys (they must exist in the project)", kind: kindList, setList: func(b *recordBuilder, l []string) { b.rec.Roles = l }},
	{Key: "groups", Label: "groups", Doc: "group keys (they must exist in the project)", kind: kindList, setList: func(b *recordBuilder, l []string) { b.rec.Groups = l }},
	{Key: "password.password_hash", Label: "password hash", Doc: "bcrypt password hash ($2a$, $2b$, $2y$)", format: "password", setStr: func(b *recordBuilder, s *string) { b.passwordHash = *s }},
	{Key: "password.expire_after", Label: "password expire_after", Doc: "when the password must be changed (RFC 3339)", format: "datetime", setStr: func(b *recordBuilder, s *string) { b.expireAfter = *s }},
	{Key: "mfa.email", Label: "MFA email", Doc: "email for email OTP as a second factor", format: "email", setStr: text(func(r *Record) **string { return &mfa(r).Email })},
	{Key: "mfa.phone_number", Label: "MFA phone number", Doc: "phone for SMS OTP as a second factor", format: "phone", setStr: text(func(r *Record) **string { return &mfa(r).PhoneNumber })},
	{Key: "mfa.password.password_hash", Label: "MFA password hash", Doc: "bcrypt hash of an additional password", format: "password", setStr: func(b *recordBuilder, s *string) { b.mfaPasswordHash = *s }},
	{Key: "mfa.totp.secret", Label: "TOTP secret", Doc: "authenticator app secret (base32)", format: "totp", setStr: func(b *recordBuilder, s *string) { mfa(&b.rec).TOTP = &TOTP{Secret: *s} }},
}

// CustomAttributePrefix starts the key of a custom attribute target.
const CustomAttributePrefix = "custom_attributes."

var targetIndex = func() map[string]*Target {
	m := make(map[string]*Target, len(Targets))
	for _, t := range Targets {
		m[t.Key] = t
	}
	return m
}()

// LookupTarget finds the target for a field key; custom_attributes.<name>
// yields a fresh target.
func LookupTarget(key string) (*Target, bool) {
	if t, ok := targetIndex[key]; ok {
		return t, true
	}
	if name, ok := strings.CutPrefix(key, CustomAttributePrefix); ok && name != "" && !strings.ContainsAny(name, "./[]") {
		return &Target{Key: key, Label: "custom attribute " + name, Doc: "custom attribute", kind: kindAny,
			setAny: func(b *recordBuilder, v any) {
				if b.rec.CustomAttributes == nil {
					b.rec.CustomAttributes = make(map[string]any, b.nCustom)
				}
				b.rec.CustomAttributes[name] = v
			}}, true
	}
	return nil, false
}

func targetOrder(key string) int {
	for i, t := range Targets {
		if t.Key == key {
			return i
		}
	}
	if strings.HasPrefix(key, CustomAttributePrefix) {
		// Custom attributes sit just before roles, as in the record.
		for i, t := range Targets {
			if t.Key == "roles" {
				return i
			}
		}
	}
	return len(Targets)
}
