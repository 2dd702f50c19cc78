package importer

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zoneinfo is checked against the IANA database even where the system has none
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Problem is one reason a record cannot be sent.
type Problem struct {
	// Code says what kind of problem it is, for code that acts on it (a
	// preset counting the records without an identifier, the wizard).
	Code ProblemCode
	// Field is the record field ("email", "password.password_hash"), or ""
	// for a problem with the row as a whole.
	Field string
	// Message says what is wrong, naming the field in words: it is the
	// report's reason, for people.
	Message string
}

func (p Problem) String() string { return p.Message }

// ProblemCode is the kind of a Problem.
type ProblemCode int

// The kinds of problems.
const (
	// ProblemInvalidValue: a field's value is not one Authgear accepts, or
	// a transform could not turn it into one.
	ProblemInvalidValue ProblemCode = iota
	// ProblemUnreadable: the row itself could not be read (a ragged CSV
	// row, a broken NDJSON line); Field is "".
	ProblemUnreadable
	// ProblemIdentifierEmpty: the record has no value for the identifier.
	ProblemIdentifierEmpty
	// ProblemDuplicate: after normalisation, the identifier is an earlier
	// record's.
	ProblemDuplicate
	// ProblemSameLoginID: after normalisation, another login ID (email,
	// phone number, username) is the same as an earlier record's.
	ProblemSameLoginID
	// ProblemPassword: a password hash the policy rejects, or one that is
	// not a hash.
	ProblemPassword
	// ProblemValidPeriod: account_valid_from is not before
	// account_valid_until.
	ProblemValidPeriod
	// ProblemRejected: one of the mapping's reject_if conditions holds;
	// Field is "".
	ProblemRejected
	// ProblemNotUser: the object is not of the user model the mapping
	// keeps (source.model): it is reported as not a user, not as invalid;
	// Field is "".
	ProblemNotUser
)

var problemCodeNames = [...]string{"invalid_value", "unreadable", "identifier_empty", "duplicate", "same_login_id", "password", "valid_period", "rejected", "not_user"}

func (c ProblemCode) String() string {
	if c >= 0 && int(c) < len(problemCodeNames) {
		return problemCodeNames[c]
	}
	return fmt.Sprintf("ProblemCode(%d)", int(c))
}

// Phone validation methods, as Authgear's ui.phone_input.validation.
const (
	PhoneIsValidNumber    = "isValidNumber"
	PhoneIsPossibleNumber = "isPossibleNumber"
)

// phoneNormalizer turns phone numbers into E.164 and checks them the way the
// project's Authgear does.
type phoneNormalizer struct {
	possibleOnly bool
	// assumeInternational reads "85298765433" as "+85298765433".
	assumeInternational bool
}

// ccInfo says per calling code whether the fast path applies.
type ccInfo struct {
	known    bool     // the calling code exists
	simple   bool     // no national-prefix parsing rule that could alter the number
	prefixes []string // the national prefixes of its regions
	// npp is the main region's national prefix for parsing, anchored, when
	// it is a plain pattern (no transform rule) other than the national
	// prefix ("0|180020" for GB): a number it does not match at the start
	// is left alone by phonenumbers.Parse, so the fast path applies.
	npp *regexp.Regexp
}

var (
	ccOnce  sync.Once
	ccTable map[int]ccInfo
)

func callingCodeInfo(cc int) ccInfo {
	ccOnce.Do(func() {
		ccTable = map[int]ccInfo{}
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			return
		}
		// phonenumbers.Parse reads a "+<cc>..." number with the metadata of
		// the calling code's main region only, so that region's national
		// prefix rules are the ones that matter.
		for _, md := range coll.GetMetadata() {
			code := int(md.GetCountryCode())
			main := phonenumbers.GetRegionCodeForCountryCode(code)
			if md.GetId() != main && !(main == "001" && md.GetId() == "001") {
				if _, seen := ccTable[code]; !seen {
					ccTable[code] = ccInfo{known: true}
				}
				continue
			}
			info := ccInfo{known: true, simple: true}
			np, npp := md.GetNationalPrefix(), md.GetNationalPrefixForParsing()
			if (npp != "" && npp != np) || md.GetNationalPrefixTransformRule() != "" {
				info.simple = false
				if md.GetNationalPrefixTransformRule() == "" {
					info.npp, _ = regexp.Compile("^(?:" + npp + ")")
				}
			}
			if np != "" {
				info.prefixes = append(info.prefixes, np)
			}
			ccTable[code] = info
		}
	})
	return ccTable[cc]
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cleanPhone drops the separators people type: spaces, dashes, dots,
// parentheses and slashes. It returns "" when anything else is in the way.
func cleanPhone(s string) string {
	var b []byte // nil while nothing was dropped: s is returned as it is
	kept := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '+' && kept == 0:
			if b != nil {
				b = append(b, c)
			}
			kept++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t':
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[:i]...)
			}
		default:
			return ""
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// normalize returns the E.164 form of s, or an error that explains why it
// is not a phone number Authgear accepts.
func (p *phoneNormalizer) normalize(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	clean := cleanPhone(s)
	// Fast path: "+<cc><national>" needs no parsing beyond splitting off the
	// calling code, unless the region has national-prefix rules that
	// phonenumbers.Parse would apply.
	if len(clean) >= 8 && len(clean) <= 16 && clean[0] == '+' && clean[1] != '0' {
		for l := 1; l <= 3; l++ {
			cc, _ := strconv.Atoi(clean[1 : 1+l])
			info := callingCodeInfo(cc)
			if !info.known {
				continue
			}
			nat := clean[1+l:]
			if (!info.simple && (info.npp == nil || info.npp.MatchString(nat))) || nat == "" || nat[0] == '0' || hasAnyPrefix(nat, info.prefixes) {
				break // slow path
			}
			nn, err := strconv.ParseUint(nat, 10, 64)
			if err != nil {
				break
			}
			if !p.possibleOnly {
				if !fastIsValidNumber(cc, nat) {
					return "", errors.New("is not a valid phone number")
				}
				return clean, nil
			}
			num := &phonenumbers.PhoneNumber{CountryCode: proto32(int32(cc)), NationalNumber: &nn}
			if err := p.check(num); err != nil {
				return "", err
			}
			return clean, nil
		}
	}
	input := s
	if clean != "" {
		input = clean
	}
	if !strings.HasPrefix(input, "+") && region == "" {
		// Only an export known to store international numbers without
		// their '+' (Supabase) may be read that way: a national number
		// read as international is a valid number of another country.
		if p.assumeInternational && clean != "" && len(clean) >= 8 && clean[0] != '0' {
			input = "+" + clean
		} else {
			return "", errors.New("has no country code (+...): set phone.default_region in the mapping (or phone.assume_international when the export stores international numbers without their +)")
		}
	}
	num, err := phonenumbers.Parse(input, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("is not a phone number (%v)", err)
	}
	if err := p.check(num); err != nil {
		return "", err
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// Authgear parses what it receives: the E.164 form must survive that.
	// A national prefix written after the country code ("+49 00 ...") can
	// lose a digit on each parse, and only a possible number gets here so.
	if again, err := phonenumbers.Parse(e164, ""); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return "", errors.New("is not a phone number in a stable E.164 form (remove the national prefix after the country code)")
	}
	return e164, nil
}

func proto32(v int32) *int32 { return &v }

func (p *phoneNormalizer) check(num *phonenumbers.PhoneNumber) error {
	if p.possibleOnly {
		if !phonenumbers.IsPossibleNumber(num) {
			return errors.New("is not a possible phone number")
		}
		return nil
	}
	if !phonenumbers.IsValidNumber(num) {
		return errors.New("is not a valid phone number")
	}
	return nil
}

// foldCasers hands out case folders: a cases.Caser keeps state and must
// not be shared between goroutines.
var foldCasers = sync.Pool{New: func() any { return cases.Fold() }}

func fold(s string) string {
	c := foldCasers.Get().(cases.Caser)
	defer foldCasers.Put(c)
	c.Reset()
	return c.String(s)
}

// NormalizeEmail trims and lowercases an email address the way Authgear
// stores it (see authgearEmail for non-ASCII). An address Authgear's
// normaliser refuses is returned trimmed, for checkEmail to reject.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if isASCII(s) {
		return strings.ToLower(s)
	}
	if n, err := authgearEmail(s); err == nil {
		return n
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// authgearEmail normalises an email address as Authgear's login ID
// normaliser does for case-insensitive emails (EmailNormalizer in
// pkg/lib/authn/identity/loginid): the local part NFKC, then both parts
// PRECIS FreeformClass with case folding. The domain gets no NFKC, and
// PRECIS refuses some runes (C1 controls, unassigned code points, a
// middle dot outside "l·l"), which fails the record on the server.
func authgearEmail(s string) (string, error) {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return "", errors.New("no @")
	}
	// A Profile holds a cases.Caser, which must not be shared between
	// goroutines: a new one per address (non-ASCII addresses only).
	p := precis.NewFreeform(precis.FoldCase())
	domain, err := p.String(s[at+1:])
	if err != nil {
		return "", err
	}
	local, err := p.String(norm.NFKC.String(s[:at]))
	if err != nil {
		return "", err
	}
	return local + "@" + domain, nil
}

// NormalizeUsername trims a username and, unless caseSensitive, lowercases it.
func NormalizeUsername(s string, caseSensitive bool) string {
	s = strings.TrimSpace(s)
	if caseSensitive {
		return norm.NFKC.String(s)
	}
	return fold(norm.NFKC.String(s))
}

// checkEmail accepts what Authgear's email format accepts: net/mail parses
// it, it has no display name or angle brackets, and it fits 320 characters.
func checkEmail(s string) error {
	if len(s) > 320 {
		return errors.New("is longer than 320 characters")
	}
	if !isDotAtomAddress(s) {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Name != "" || a.Address != s {
			return errors.New("is not an email address")
		}
	}
	// What is sent must be what Authgear stores, so that a re-run finds it.
	if !isASCII(s) {
		if n, err := authgearEmail(s); err != nil || n != s {
			return errors.New("has characters that Authgear's email normalisation refuses or changes")
		}
	}
	return nil
}

// isDotAtomAddress reports whether s is an ASCII dot-atom, '@', and a
// dot-atom (RFC 5322 atext and single dots inside): net/mail.ParseAddress
// reads such a string as the address s with no name, so checkEmail can
// skip it (and its allocations). Anything else goes to net/mail.
func isDotAtomAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && isDotAtom(s[:at]) && isDotAtom(s[at+1:])
}

func isDotAtom(a string) bool {
	if a == "" || a[0] == '.' || a[len(a)-1] == '.' {
		return false
	}
	for i := 0; i < len(a); i++ {
		switch c := a[i]; {
		case c == '.':
			if a[i-1] == '.' {
				return false
			}
		case c <= ' ' || c > '~':
			return false
		case strings.IndexByte(`()<>[]:;@\,"`, c) >= 0:
			return false
		}
	}
	return true
}

func checkUsername(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return errors.New("is not a valid username (letters, digits, '-', '_' and '.' only)")
		}
	}
	return nil
}

// checkText rejects what the database or the API would refuse in a string:
// invalid UTF-8 and control characters.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("contains the control character %U", r)
		}
	}
	return nil
}

func checkURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a URL")
	}
	if u.Scheme == "" || u.Host == "" {
		return errors.New("is not an absolute URL")
	}
	return checkAbsPath(u.EscapedPath())
}

func checkAbsPath(p string) error {
	if p == "" {
		p = "/"
	}
	cleaned := path.Clean(p)
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(cleaned, "/") {
		cleaned += "/"
	}
	if !path.IsAbs(p) || cleaned != p {
		return fmt.Errorf("has a path that is not normalised (%s)", p)
	}
	return nil
}

func checkPicture(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a URL")
	}
	switch u.Scheme {
	case "http", "https":
		return checkURI(s)
	case "authgearimages":
		if u.Host != "" {
			return errors.New("is an authgearimages URI with a host")
		}
		return checkAbsPath(u.EscapedPath())
	}
	return errors.New("is not an http or https URL")
}

func checkBirthdate(s string) error {
	for _, l := range []string{"2006-01-02", "0000-01-02", "--01-02", "2006"} {
		if _, err := time.Parse(l, s); err == nil {
			return nil
		}
	}
	return errors.New("is not a birthdate (YYYY-MM-DD, --MM-DD or YYYY)")
}

// zoneCache remembers time.LoadLocation's verdict per name: loading a zone
// costs tens of microseconds, and an export repeats a handful of names.
var zoneCache sync.Map // string -> bool

func checkZoneinfo(s string) error {
	if !strings.Contains(s, "/") {
		return errors.New("is not an IANA time zone name such as Europe/Paris")
	}
	ok, seen := zoneCache.Load(s)
	if !seen {
		_, err := time.LoadLocation(s)
		ok = err == nil
		if len(s) <= 64 {
			zoneCache.Store(s, ok)
		}
	}
	if !ok.(bool) {
		return errors.New("is not an IANA time zone name")
	}
	return nil
}

func canonicalLocale(s string) string {
	tag, err := language.Parse(s)
	if err != nil {
		return s
	}
	return tag.String()
}

func checkLocale(s string) error {
	tag, err := language.Parse(s)
	if err != nil {
		return errors.New("is not a BCP 47 language tag")
	}
	if c := tag.String(); c != s {
		return fmt.Errorf("is not in canonical BCP 47 form (%s; add the locale transform)", c)
	}
	return nil
}

func checkDateTime(s string) error {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return errors.New("is not an RFC 3339 date-time (add the timestamp transform)")
	}
	return nil
}

// CheckBcrypt accepts the bcrypt hashes Authgear imports: $2a$, $2b$ or $2y$
// with a cost golang.org/x/crypto/bcrypt accepts.
func CheckBcrypt(h string) error {
	if len(h) < 4 || h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' {
		return errors.New("is not a valid bcrypt hash")
	}
	// What bcrypt.Cost accepts after that prefix, without its allocations:
	// a cost strconv.Atoi reads in bytes 4-5, from 4 to 31.
	if cost, err := strconv.Atoi(h[4:min(6, len(h))]); err != nil || cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return errors.New("is not a valid bcrypt hash")
	}
	if len(h) != 60 {
		return errors.New("is not a valid bcrypt hash")
	}
	// Salt and digest in bcrypt's base64 alphabet: anything else would be
	// stored and then never verify (or, a NUL, fail the record).
	for i := 7; i < len(h); i++ {
		c := h[i]
		if !(c == '.' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return errors.New("is not a valid bcrypt hash")
		}
	}
	return nil
}

// checkTOTP accepts what Authgear decodes: base32.StdEncoding without
// padding, so upper case only, no '=', and a length that decodes (the
// real server rejects "not base32 !!" at byte 0, its lower-case 'n').
func checkTOTP(s string) error {
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s); err != nil {
		return errors.New("is not a base32 TOTP secret (A-Z and 2-7, upper case, without '=' padding)")
	}
	return nil
}
