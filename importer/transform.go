package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Transform is one step applied to a source value before it fills a field.
// In the mapping file it is written as its name ("trim") or, when it takes
// an argument, as a one-key map ("split: ;").
type Transform struct {
	Name string
	Arg  string
}

func (t Transform) String() string {
	if t.Arg == "" {
		return t.Name
	}
	return t.Name + ": " + strconv.Quote(t.Arg)
}

// transformSpec describes a transform for validation, docs and the wizard.
type transformSpec struct {
	doc     string
	argDoc  string // "" when it takes no argument
	needArg bool
	// argPath says the argument is a column or path of the record, compiled
	// with the mapping (contains, hasher).
	argPath bool
	fn      func(v any, arg string, c *applyCtx) (any, error)
	// str, when set, is fn on a string that stays a string, and fromStr
	// is fn on a string that becomes another value: Plan.Apply calls them
	// with a CSV cell as it is, without first putting it in an interface
	// (an allocation per value). Each gives exactly what fn gives.
	str     func(s, arg string) string
	fromStr func(s, arg string, c *applyCtx) (any, error)
}

// applyCtx carries what a transform may need besides its value.
type applyCtx struct {
	row  *Row
	plan *Plan
	now  time.Time
}

// TransformNames lists the transforms in the order the docs show them.
func TransformNames() []string {
	names := make([]string, 0, len(transforms))
	for n := range transforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TransformDoc returns a one-line description of a transform.
func TransformDoc(name string) string {
	if s, ok := transforms[name]; ok {
		if s.argDoc != "" {
			return s.doc + " (argument: " + s.argDoc + ")"
		}
		return s.doc
	}
	return ""
}

// TransformInfo describes a transform for a front end: what it does and
// the argument it takes, as the mapping file's check understands them.
type TransformInfo struct {
	Name string
	Doc  string
	// Arg describes the argument ("" when the transform takes none).
	Arg string
	// ArgRequired: the transform is invalid without its argument;
	// otherwise an empty argument means its default.
	ArgRequired bool
	// ArgPath: the argument is a column or path of the record.
	ArgPath bool
}

// Transforms describes every transform, by name.
func Transforms() []TransformInfo {
	out := make([]TransformInfo, 0, len(transforms))
	for _, n := range TransformNames() {
		info, _ := DescribeTransform(n)
		out = append(out, info)
	}
	return out
}

// DescribeTransform describes one transform.
func DescribeTransform(name string) (TransformInfo, bool) {
	s, ok := transforms[name]
	if !ok {
		return TransformInfo{}, false
	}
	return TransformInfo{Name: name, Doc: s.doc, Arg: s.argDoc, ArgRequired: s.needArg, ArgPath: s.argPath}, true
}

var transforms map[string]transformSpec

func init() {
	transforms = map[string]transformSpec{
		"trim":         {doc: "remove leading and trailing white space", fn: eachString(sTrim), str: sTrim},
		"lowercase":    {doc: "lowercase the text", fn: eachString(sLower), str: sLower},
		"uppercase":    {doc: "uppercase the text", fn: eachString(sUpper), str: sUpper},
		"strip_prefix": {doc: "remove a leading prefix when present", argDoc: "the prefix; default '", fn: eachString(sStripPrefix), str: sStripPrefix},
		"bool":         {doc: "parse true/false/1/0/yes/no/y/n/t/f (any case); empty is absent", fn: tBool, fromStr: sBool},
		"present":      {doc: "true when the value is present (a timestamp such as email_confirmed_at), false when empty", fn: tPresent},
		"not":          {doc: "invert a boolean (enabled → disabled)", fn: tNot},
		"future":       {doc: "true when the timestamp is in the future, false when past, absent when empty (banned_until → disabled)", fn: tFuture},
		"phone":        {doc: "phone number to E.164", argDoc: "default region for numbers without +, such as US or HK", fn: tPhone, fromStr: sPhone},
		"split":        {doc: "split a list (roles, groups); a JSON array is taken as is", argDoc: "separator; default ,", fn: tSplit},
		"first":        {doc: "the first element of a list", fn: tFirst},
		"date":         {doc: "a date to Authgear's birthdate form YYYY-MM-DD", argDoc: "Go layout of the input, such as 02/01/2006; default: detect ISO forms", fn: tDate},
		"timestamp":    {doc: "epoch seconds or milliseconds, or a date-time, to RFC 3339 UTC", argDoc: "unix, unix_ms or a Go layout; default: detect", fn: tTimestamp},
		"json":         {doc: "parse the cell as JSON", fn: tJSON},
		"default":      {doc: "use this value when the source is empty", argDoc: "the value", needArg: true, fn: tDefault},
		"contains":     {doc: "true when the list value contains the value at another path of the record (Clerk's verified_email_addresses)", argDoc: "the other column or path", needArg: true, argPath: true, fn: tContains},
		"hasher":       {doc: "the password hash's algorithm is named at another path (Clerk's password_hasher, Keycloak's credentialData.algorithm): bcrypt passes, any other name makes the hash that family, counted and never imported", argDoc: "the column or path naming the algorithm", needArg: true, argPath: true, fn: tHasher},
		"hashed_with":  {doc: "every password hash of this export is of the named algorithm (Firebase: firebase_scrypt): bcrypt passes, any other name makes the hash that family, counted and dropped or rejected by the password policy", argDoc: "the algorithm, such as firebase_scrypt or pbkdf2_sha256", needArg: true, fn: tHashedWith},
		"salted":       {doc: "the password hash's salt is at another path (a salt column beside an md5/sha digest): a digest with a salt is a salted digest, counted and never imported", argDoc: "the column or path of the salt", needArg: true, argPath: true, fn: tSalted},
		"bcrypt_salt":  {doc: "a bcrypt hash split across fields (FusionAuth's password and salt): the 22-character salt at another path goes before the 31-character hash; with bcrypt_cost it makes a whole $2a$ hash", argDoc: "the column or path of the salt", needArg: true, argPath: true, fn: tBcryptSalt},
		"bcrypt_cost":  {doc: "a bcrypt hash split across fields (FusionAuth's factor): the cost at another path goes before the salt and hash, as $2a$<cost>$", argDoc: "the column or path of the cost", needArg: true, argPath: true, fn: tBcryptCost},
		"drop":         {doc: "remove values that match: a list loses the matching elements, a matching single value becomes absent (Keycloak's default-roles-*)", argDoc: "patterns separated by commas; a trailing * matches a prefix", needArg: true, fn: tDrop},
		"locale":       {doc: "a locale such as zh_HK to a canonical BCP 47 tag (zh-HK)", fn: tLocale},
		"one_of":       {doc: "true when the value is one of the words, false when it is another, absent when empty (Okta's Status SUSPENDED or DEPROVISIONED → disabled)", argDoc: "the words separated by commas, any case", needArg: true, fn: tOneOf},
		"true_keys":    {doc: "the keys of an object whose value is true, as a list (a Django fixture's fields: is_staff, is_superuser → roles)", argDoc: "the keys separated by commas, each as key or key=name (is_staff=staff)", needArg: true, fn: tTrueKeys},
		"otpauth":      {doc: "an otpauth:// key URI (Ory Kratos's credentials.totp.config.totp_url) to its base32 TOTP secret; a factor Authgear's TOTP cannot check (HOTP, not SHA1, not 6 digits, not 30 s) is refused with its reason", fn: tOTPAuth},
		"keycloak_otp": {doc: "a Keycloak OTP credential's secretData.value to a base32 TOTP secret, read with the credentialData at another path (secretEncoding, subType, algorithm, digits, period); a factor Authgear's TOTP cannot check (HOTP, not HmacSHA1, not 6 digits, not 30 s) is refused with its reason", argDoc: "the column or path of the credential's credentialData", needArg: true, argPath: true, fn: tKeycloakOTP},
		"when":         {doc: "keep the value only when the value at another path is present and not false, else leave it out (Cognito's phone_number as the MFA phone when MFAOptions has an SMS entry)", argDoc: "the column or path of the condition", needArg: true, argPath: true, fn: tWhen},
		"pick":         {doc: "from a list of objects, the value at a key of the first element that has one (Firebase's mfaInfo with pick: phoneInfo)", argDoc: "the key, or a dotted path inside the element (emailInfo.emailAddress)", needArg: true, fn: tPick},
		"key":          {doc: "a role or group name to a key Authgear can hold ([a-zA-Z_][a-zA-Z0-9:_]*): other characters become _, a leading digit gets _ (beta-testers → beta_testers); two names that would give the same key stop the run (never merged) until the argument gives them keys of their own", argDoc: "optional: name=key pairs separated by commas, such as 管理者=admin,編集者=editor", fn: eachString(sKey), str: sKey},
	}
}

// tTrueKeys lists the keys of an object named in arg whose value is true
// (under their new names, for key=name); none is absent.
func tTrueKeys(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("is %s, not an object whose keys true_keys reads", withArticle(jsonType(v)))
	}
	var out []any
	for _, part := range strings.Split(arg, ",") {
		key, name, renamed := strings.Cut(part, "=")
		key, name = strings.TrimSpace(key), strings.TrimSpace(name)
		if !renamed {
			name = key
		}
		if key == "" || name == "" {
			continue
		}
		b, err := toBool(obj[key])
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", key, err)
		}
		if b == true {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// isEmpty reports whether v counts as absent: null, white space, an empty list.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(t) == ""
	case []any:
		return len(t) == 0
	case []string:
		return len(t) == 0
	}
	return false
}

// eachString makes a transform that applies f to a string, or to every
// string of a list, and leaves other values alone.
func eachString(f func(s, arg string) string) func(any, string, *applyCtx) (any, error) {
	return func(v any, arg string, _ *applyCtx) (any, error) {
		switch t := v.(type) {
		case string:
			return f(t, arg), nil
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				if s, ok := e.(string); ok {
					out[i] = f(s, arg)
				} else {
					out[i] = e
				}
			}
			return out, nil
		}
		return v, nil
	}
}

func sTrim(s, _ string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' })
}

func sLower(s, _ string) string { return strings.ToLower(s) }

// sKey is the key transform without its table and without the names
// remembered; a compiled plan uses Plan.keySpec (keynames.go).
func sKey(s, arg string) string {
	if key, ok := keyTable(arg)[s]; ok {
		return key
	}
	return SuggestKey(s)
}

func sUpper(s, _ string) string { return strings.ToUpper(s) }

func sStripPrefix(s, arg string) string {
	if arg == "" {
		arg = "'"
	}
	return strings.TrimPrefix(s, arg)
}

// ErrNotBoolean is returned for a value that is not a recognised boolean.
var ErrNotBoolean = errors.New("is not a boolean (true/false, yes/no, 1/0)")

// ParseBool reads true/false/1/0/yes/no/y/n/t/f/on/off in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "t", "on":
		return true, nil
	case "false", "0", "no", "n", "f", "off":
		return false, nil
	}
	return false, ErrNotBoolean
}

func toBool(v any) (any, error) {
	if isEmpty(v) { // null, blank, []: absent
		return nil, nil
	}
	switch t := v.(type) {
	case bool:
		return t, nil
	case json.Number:
		return ParseBool(t.String())
	case string:
		return boolOfString(t)
	}
	article := "a"
	if jsonType(v) == "object" {
		article = "an"
	}
	return nil, fmt.Errorf("%s %s %w", article, jsonType(v), ErrNotBoolean)
}

// boolOfString is toBool of a string: nil when blank.
func boolOfString(t string) (any, error) {
	if strings.TrimSpace(t) == "" {
		return nil, nil
	}
	b, err := ParseBool(t)
	if err != nil {
		return nil, fmt.Errorf("%q %w", t, err)
	}
	return b, nil
}

func tBool(v any, _ string, _ *applyCtx) (any, error) { return toBool(v) }

func sBool(s, _ string, _ *applyCtx) (any, error) { return boolOfString(s) }

func tPresent(v any, _ string, _ *applyCtx) (any, error) {
	if s, ok := v.(string); ok && strings.EqualFold(strings.TrimSpace(s), "null") {
		return false, nil
	}
	return !isEmpty(v), nil
}

func tNot(v any, _ string, _ *applyCtx) (any, error) {
	b, err := toBool(v)
	if err != nil || b == nil {
		return b, err
	}
	return !b.(bool), nil
}

func tFuture(v any, arg string, c *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	ts, err := parseTimestamp(v, arg)
	if err != nil {
		return nil, err
	}
	return ts.After(c.now), nil
}

func tPhone(v any, arg string, c *applyCtx) (any, error) {
	s, ok := v.(string)
	if !ok {
		if n, isNum := v.(json.Number); isNum {
			s = n.String()
		} else {
			return v, nil
		}
	}
	return sPhone(s, arg, c)
}

func sPhone(s, arg string, c *applyCtx) (any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	e164, err := c.plan.normalizePhone(s, c.row, arg)
	if err != nil {
		return nil, &invalidPhoneError{err}
	}
	return e164Phone(e164), nil
}

// invalidPhoneError is the phone transform's error for a number that
// cannot be read: the phone.invalid policy decides what becomes of it.
type invalidPhoneError struct{ err error }

func (e *invalidPhoneError) Error() string { return e.err.Error() }
func (e *invalidPhoneError) Unwrap() error { return e.err }

// e164Phone is a phone number the phone transform has normalised and
// checked already, so that the field's own check does not repeat the work.
type e164Phone string

func tSplit(v any, arg string, _ *applyCtx) (any, error) {
	switch t := v.(type) {
	case []any:
		return t, nil
	case string:
		if pv, ok := parseJSONCell(t); ok {
			if arr, ok := pv.([]any); ok {
				return arr, nil
			}
		}
		sep := arg
		if sep == "" {
			sep = ","
		}
		var out []any
		for _, p := range strings.Split(t, sep) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	return v, nil
}

func tFirst(v any, _ string, _ *applyCtx) (any, error) {
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			return nil, nil
		}
		return arr[0], nil
	}
	return v, nil
}

func tJSON(v any, _ string, _ *applyCtx) (any, error) {
	s, ok := v.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return v, nil
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("is not JSON: %v", err)
	}
	// Not d.More(): it reports no more after a stray '}' or ']'.
	if strings.TrimSpace(s[d.InputOffset():]) != "" {
		return nil, errors.New("is not JSON: more than one value")
	}
	return out, nil
}

func tDefault(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return arg, nil
	}
	return v, nil
}

func tContains(v any, arg string, c *applyCtx) (any, error) {
	other, ok := c.plan.extra[arg]
	if !ok {
		return nil, fmt.Errorf("contains: path %q was not compiled", arg)
	}
	want, found := other.lookup(c.row)
	if !found || isEmpty(want) {
		return false, nil
	}
	w := strings.ToLower(strings.TrimSpace(scalarString(want)))
	if s, ok := v.(string); ok {
		if _, isJSON := parseJSONCell(s); !isJSON {
			v = listSeparators.Replace(s) // "a|b" and "a;b" as well as "a,b"
		}
	}
	list, _ := tSplit(v, "", c)
	if arr, ok := list.([]any); ok {
		for _, e := range arr {
			if strings.ToLower(strings.TrimSpace(scalarString(e))) == w {
				return true, nil
			}
		}
	}
	return false, nil
}

var listSeparators = strings.NewReplacer("|", ",", ";", ",")

func tHasher(v any, arg string, c *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := toText(v)
	if err != nil {
		return nil, err
	}
	other, ok := c.plan.extra[arg]
	if !ok {
		return nil, fmt.Errorf("hasher: path %q was not compiled", arg)
	}
	name := ""
	if hv, found := other.lookup(c.row); found {
		name = strings.TrimSpace(strings.TrimPrefix(scalarString(hv), "'"))
	}
	return declareHash(s, name), nil
}

func tHashedWith(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := toText(v)
	if err != nil {
		return nil, err
	}
	return declareHash(strings.TrimSpace(s), arg), nil
}

func tDrop(v any, arg string, _ *applyCtx) (any, error) {
	var pats []string
	for _, p := range strings.Split(arg, ",") {
		if p = strings.TrimSpace(p); p != "" {
			pats = append(pats, p)
		}
	}
	match := func(e any) bool {
		s, ok := e.(string)
		if !ok {
			return false
		}
		s = strings.TrimSpace(s)
		for _, p := range pats {
			if pre, isPrefix := strings.CutSuffix(p, "*"); isPrefix && strings.HasPrefix(s, pre) || s == p {
				return true
			}
		}
		return false
	}
	switch t := v.(type) {
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			if !match(e) {
				out = append(out, e)
			}
		}
		return out, nil
	case string:
		if pv, ok := parseJSONCell(t); ok {
			if arr, isArr := pv.([]any); isArr {
				return tDrop(arr, arg, nil)
			}
		}
		if match(t) {
			return nil, nil
		}
	}
	return v, nil
}

func tLocale(v any, _ string, _ *applyCtx) (any, error) {
	s, ok := v.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return v, nil
	}
	return canonicalLocale(strings.TrimSpace(s)), nil
}

// Date and time parsing.

var dateLayouts = []string{"2006-01-02", "2006/01/02", "20060102", "2006-1-2"}

var dateTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	time.RFC1123Z,
	time.RFC1123,
	"Mon Jan 02 2006 15:04:05 GMT-0700",
}

func tDate(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s := strings.TrimSpace(scalarString(v))
	if arg != "" {
		t, err := time.Parse(arg, s)
		if err != nil {
			return nil, fmt.Errorf("%q does not match the date layout %q", s, arg)
		}
		return t.Format("2006-01-02"), nil
	}
	if checkBirthdate(s) == nil {
		return s, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	if t, err := parseTimestamp(s, ""); err == nil {
		// The date as written: 1990-05-17T00:00:00+08:00 is 17 May,
		// although it is still 16 May in UTC.
		return t.Format("2006-01-02"), nil
	}
	return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD; give the date transform a layout for other forms)", s)
}

func tTimestamp(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	t, err := parseTimestamp(v, arg)
	if err != nil {
		return nil, err
	}
	return t.UTC().Format(time.RFC3339), nil
}

// parseTimestamp reads epoch seconds, milliseconds or microseconds (by
// magnitude, or as arg says), or a date-time in a common layout.
func parseTimestamp(v any, arg string) (time.Time, error) {
	s := strings.TrimSpace(scalarString(v))
	if m, ok := v.(map[string]any); ok { // MongoDB extended JSON {"$date": ...}
		if d, ok := m["$date"]; ok {
			return parseTimestamp(d, arg)
		}
	}
	switch arg {
	case "unix", "unix_ms", "unix_us":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a number of %s", s, arg)
		}
		scale := map[string]float64{"unix": 1, "unix_ms": 1e3, "unix_us": 1e6}[arg]
		return epochIn(f/scale, s)
	case "":
	default:
		t, err := time.Parse(arg, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q does not match the layout %q", s, arg)
		}
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		a := math.Abs(f)
		switch {
		case a >= 1e17: // nanoseconds
			return epochIn(f/1e9, s)
		case a >= 1e14: // microseconds
			return epochIn(f/1e6, s)
		case a >= 1e11: // milliseconds
			return epochIn(f/1e3, s)
		}
		return epochIn(f, s)
	}
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date-time (RFC 3339, epoch seconds or milliseconds)", s)
}

// The epoch seconds of the first and past the last instant RFC 3339 can
// write (years 0000 to 9999).
const (
	minEpoch = -62167219200
	maxEpoch = 253402300800
)

// epochIn converts epoch seconds when the result can be written in RFC 3339;
// s is the input for the message.
func epochIn(sec float64, s string) (time.Time, error) {
	if math.IsNaN(sec) || sec < minEpoch || sec >= maxEpoch {
		return time.Time{}, fmt.Errorf("%q is out of range for a timestamp (years 0000 to 9999; is the unit right?)", s)
	}
	return epoch(sec), nil
}

func epoch(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
