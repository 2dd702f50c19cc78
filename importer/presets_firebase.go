package importer

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Firebase Authentication, as `firebase auth:export` writes it: JSON
// {"users": [...]} or a CSV without a header row.

// firebaseCSVColumns names the columns of `firebase auth:export` CSV files,
// which have no header row. The order is firebase-tools' transUserToArray
// (src/accountExporter.ts): 0 localId, 1 email, 2 emailVerified,
// 3 passwordHash, 4 salt, 5 displayName, 6 photoUrl, then four columns
// (rawId, email, displayName, photoUrl) for each of Google (7), Facebook
// (11), Twitter (15) and GitHub (19), 23 createdAt, 24 lastLoginAt,
// 25 phoneNumber, 26 disabled, 27 customAttributes; every line ends with a
// comma, so a 29th column is always empty. Older firebase-tools wrote
// fewer columns (up to phoneNumber): the names are applied as far as the
// file's columns go.
var firebaseCSVColumns = []string{
	"localId", "email", "emailVerified", "passwordHash", "salt", "displayName", "photoUrl",
	"googleId", "googleEmail", "googleDisplayName", "googlePhotoUrl",
	"facebookId", "facebookEmail", "facebookDisplayName", "facebookPhotoUrl",
	"twitterId", "twitterEmail", "twitterDisplayName", "twitterPhotoUrl",
	"githubId", "githubEmail", "githubDisplayName", "githubPhotoUrl",
	"createdAt", "lastSignedInAt", "phoneNumber", "disabled", "customAttributes",
}

// firebasePasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const firebasePasswordLimit = "Firebase's password hashes are Firebase's own modified scrypt, which needs the project's secret signer key: Authgear cannot verify them"

var firebaseLimits = []string{
	"Firebase's export does not say whether a phone number was verified: phone numbers are imported as not verified",
	"Google, Facebook, Twitter and GitHub sign-ins (providerUserInfo) cannot be imported: those users sign in with a passwordless login, or through the provider once it is set up in Authgear",
	"custom claims (customAttributes) are not mapped: map their keys to custom attributes or roles by hand",
	"multi-factor enrolments of a firebase auth:export file, which leaves out mfaInfo (an export through the Identity Toolkit API, accounts:batchGet or downloadAccount, keeps it, and its SMS and email second factors are imported), and TOTP second factors, whose secret Firebase never gives out: users enrol again",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "firebase",
		Title:  "Firebase Authentication (firebase auth:export, JSON or CSV)",
		Detect: detectFirebase,
		Build:  buildFirebase,
		Limits: append([]string{firebasePasswordLimit}, firebaseLimits...),
	})
}

var (
	reDigits    = regexp.MustCompile(`^\d{9,14}$`)
	reBase64ish = regexp.MustCompile(`^[A-Za-z0-9+/_-]+={0,2}$`)
)

// firebaseRowShape reports whether fields look like one auth:export CSV line.
func firebaseRowShape(f []string) bool {
	if len(f) < 26 || len(f) > 30 {
		return false
	}
	at := func(i int) string {
		if i < len(f) {
			return strings.TrimSpace(f[i])
		}
		return ""
	}
	if at(0) == "" || strings.ContainsAny(at(0), " @") || len(at(0)) > 128 {
		return false
	}
	if e := at(1); e != "" && !reEmailish.MatchString(e) {
		return false
	}
	if v := at(2); v != "true" && v != "false" {
		return false
	}
	if h := at(3); h != "" && !reBase64ish.MatchString(h) {
		return false
	}
	for _, i := range []int{23, 24} {
		if v := at(i); v != "" && !reDigits.MatchString(v) {
			return false
		}
	}
	if v := at(26); v != "" && v != "true" && v != "false" {
		return false
	}
	return true
}

var reRenamedColumn = regexp.MustCompile(`^column\d+$|^(.*) \(\d+\)$`)

// headerAsRow undoes what uniqueColumns did to a first row read as a header.
func headerAsRow(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		if m := reRenamedColumn.FindStringSubmatch(c); m != nil {
			c = m[1]
		}
		out[i] = c
	}
	return out
}

// firebaseHeaderless reports whether src is an auth:export CSV read with
// its first line taken as the header (or read without a header already).
func firebaseHeaderless(src *Source) bool {
	if src.Format() != FormatCSV {
		return false
	}
	rows, shaped := 0, 0
	for _, r := range src.Sample() {
		if r.Fields == nil {
			continue
		}
		rows++
		if firebaseRowShape(r.Fields) {
			shaped++
		}
	}
	if rows > 0 && shaped*10 < rows*8 {
		return false
	}
	if !src.HasHeader() {
		return rows > 0
	}
	return firebaseRowShape(headerAsRow(src.Columns()))
}

func detectFirebase(src *Source) int {
	if firebaseHeaderless(src) {
		return 90
	}
	cs := columnsOf(src)
	if !cs.has("localId") {
		return 0
	}
	s := 60 + 6*cs.count("passwordHash", "salt", "emailVerified", "displayName", "lastSignedInAt", "createdAt", "photoUrl", "phoneNumber")
	if cs.hasPrefix("providerUserInfo") {
		s += 10
	}
	return clamp(s)
}

func buildFirebase(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Firebase")
	m := newPresetMapping(src, o, "firebase")
	headerless := firebaseHeaderless(src)
	if headerless {
		n := len(src.Columns())
		for _, row := range src.Sample() {
			if row.Fields != nil {
				n = len(row.Fields)
				break
			}
		}
		cols := make([]string, n)
		for i := range cols {
			if i < len(firebaseCSVColumns) {
				cols[i] = firebaseCSVColumns[i]
			} else {
				cols[i] = "column" + strconv.Itoa(i+1)
			}
		}
		m.Source = SourceSpec{Format: FormatCSV, Delimiter: ",", NoHeader: true, Columns: cols,
			// firebase-tools quotes a display name only when it holds a
			// comma, so a quote inside one is left bare.
			LazyQuotes: true}
	} else if src.Format() == FormatJSON && jsonDocIsObject(src) {
		m.Source.RecordsKey = "users"
	}
	m.Source.ID = &FieldSpec{From: "localId"} // the old id (headerless: the first column)
	r.set(m, "email", "email", T("trim"), T("lowercase"))
	r.set(m, "email_verified", "emailVerified", T("bool"))
	r.set(m, "phone_number", "phoneNumber", T("trim"))
	r.set(m, "name", "displayName", T("trim"))
	r.set(m, "picture", "photoUrl", T("trim"))
	r.set(m, "disabled", "disabled", T("bool"))
	// Firebase hashes every password with its own scrypt: a value of
	// another shape (the Auth Emulator's fakeHash:..., a redacted sample)
	// is still no password Authgear could check, so the password policy
	// drops it like the others instead of rejecting the user.
	r.set(m, "password.password_hash", "passwordHash", T("trim"), TA("hashed_with", "firebase_scrypt"))
	if n := countPlaceholders(src, "passwordHash", headerless); n > 0 {
		r.note("%d sampled password hashes are placeholders, not Firebase scrypt hashes (the Auth Emulator's fakeHash:..., or redacted values): those users are imported without a password like the others (passwords.unsupported: %s)", n, m.Passwords.Unsupported)
	}
	firebaseMFA(src, m, r)
	if headerless {
		r.note("the CSV has no header row (firebase auth:export writes none): its columns are named in the mapping (source.columns) in the order firebase-tools writes them")
	}
	return finishPreset(src, m, r, firebaseLimits)
}

// countPlaceholders counts the sampled values of col that are placeholders
// rather than hashes. A headerless CSV is counted by its column position.
func countPlaceholders(src *Source, col string, headerless bool) int {
	var vals []string
	if headerless {
		i := -1
		for j, c := range firebaseCSVColumns {
			if c == col {
				i = j
			}
		}
		rows := src.Sample()
		if src.HasHeader() {
			rows = append([]*Row{{Fields: headerAsRow(src.Columns())}}, rows...)
		}
		for _, r := range rows {
			if i >= 0 && i < len(r.Fields) {
				vals = append(vals, strings.TrimSpace(r.Fields[i]))
			}
		}
	} else {
		vals = sampleValues(src, col)
	}
	n := 0
	for _, v := range vals {
		if isPlaceholderHash(v) {
			n++
		}
	}
	return n
}

// jsonDocIsObject reports whether src's file is a JSON object at the top
// (such as {"users": [...]}), as opposed to an array of records.
func jsonDocIsObject(src *Source) bool {
	f, err := os.Open(src.Name())
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(decodeBOM(f))
	for {
		c, err := br.ReadByte()
		if err != nil {
			return false
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
}

// firebaseMFA maps the second factors of the users' mfaInfo (issue 16 item
// 5): [{"mfaEnrollmentId", "displayName", "enrolledAt", and one of
// "phoneInfo": "+1...", "emailInfo": {"emailAddress"}, "totpInfo": {}}],
// as the Identity Toolkit API gives them (firebase auth:export leaves
// mfaInfo out). Each kind is read wherever it stands in the list.
func firebaseMFA(src *Source, m *Mapping, r *presetReport) {
	phones, emails, totps := 0, 0, 0
	for _, row := range src.Sample() {
		l, _ := row.Object["mfaInfo"].([]any)
		var phone, email, totp bool
		for _, e := range l {
			f, _ := e.(map[string]any)
			if v, ok := f["phoneInfo"]; ok && !isEmpty(v) {
				phone = true
			}
			if v, ok := f["emailInfo"].(map[string]any); ok && !isEmpty(v["emailAddress"]) {
				email = true
			}
			if _, ok := f["totpInfo"]; ok {
				totp = true
			}
		}
		phones, emails, totps = phones+b2i(phone), emails+b2i(email), totps+b2i(totp)
	}
	n := len(src.Sample())
	if phones > 0 {
		r.set(m, "mfa.phone_number", "mfaInfo", TA("pick", "phoneInfo"), T("trim"))
		r.note("%d of the %d sampled users %s an SMS second factor in Firebase (mfaInfo phoneInfo): its number becomes their Authgear SMS second factor (mfa.phone_number); a user with several keeps the first", phones, n, has(phones))
	}
	if emails > 0 {
		r.set(m, "mfa.email", "mfaInfo", TA("pick", "emailInfo.emailAddress"), T("trim"), T("lowercase"))
		r.note("%d of the %d sampled users %s an email second factor in Firebase (mfaInfo emailInfo): its address becomes their Authgear email second factor (mfa.email)", emails, n, has(emails))
	}
	if totps > 0 {
		r.note("%d of the %d sampled users %s an authenticator app (TOTP) second factor in Firebase: Firebase never gives out its secret, so it is not carried over and they enrol again", totps, n, has(totps))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
