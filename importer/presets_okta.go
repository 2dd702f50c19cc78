package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Okta: the users CSV of the Okta Admin Console (Directory > People >
// export, and the user reports), one row per user with Username (the
// Okta login, most often the email), First name, Last name, Primary
// email, Secondary email, Mobile phone, Status, Created, Last login and
// the Okta user id (issue 18 item 8). Okta never exports password
// hashes.

// oktaStatuses are the values Okta writes in Status.
var oktaStatuses = []string{"STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED"}

// oktaDisabled are the statuses of users who cannot sign in to Okta:
// they are imported disabled.
const oktaDisabled = "SUSPENDED,DEPROVISIONED"

// reOktaID is an Okta user id (00u followed by 17 letters and digits).
var reOktaID = regexp.MustCompile(`^00u[A-Za-z0-9]{17}$`)

// OktaPasswordNote says that Okta's export holds no password.
const oktaPasswordNote = "Okta never exports password hashes: every user is imported without a password and "

var oktaLimits = []string{
	"passwords: Okta never exports password hashes; to keep the old passwords, use Authgear's rolling migration: " + RollingMigrationGuide,
	"only the primary email is imported (an Authgear user has one email): the secondary email is not",
	"MFA factors (Okta Verify, SMS, security keys), group memberships and app assignments are not in the export: users enrol again, groups are recreated in Authgear",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "okta",
		Title:  "Okta (Admin Console users CSV)",
		Detect: detectOkta,
		Build:  buildOkta,
		Limits: oktaLimits,
	})
}

// oktaColumns finds the columns of Okta's users CSV.
type oktaColumns struct {
	id, login, first, last, email, second, mobile, status string
}

func findOktaColumns(cs *columnSet) oktaColumns {
	return oktaColumns{
		id:     cs.find("User Id", "Okta User Id", "Okta Id"),
		login:  cs.find("Username", "Login"),
		first:  cs.find("First name"),
		last:   cs.find("Last name"),
		email:  cs.find("Primary email"),
		second: cs.find("Secondary email"),
		mobile: cs.find("Mobile phone"),
		status: cs.find("Status"),
	}
}

// oktaStatusShare is the share of the sampled statuses that are Okta's.
func oktaStatusShare(src *Source, col string) float64 {
	vals := sampleValues(src, col)
	if len(vals) == 0 {
		return 0
	}
	known := 0
	for _, v := range vals {
		for _, st := range oktaStatuses {
			if strings.EqualFold(v, st) {
				known++
				break
			}
		}
	}
	return float64(known) / float64(len(vals))
}

// oktaOwnStatus reports whether a sampled status is one of Okta's own
// words (DEPROVISIONED, STAGED, ...), not a word others write too
// (ACTIVE, SUSPENDED).
func oktaOwnStatus(src *Source, col string) bool {
	for _, v := range sampleValues(src, col) {
		switch strings.ToUpper(v) {
		case "STAGED", "PROVISIONED", "DEPROVISIONED", "PASSWORD_EXPIRED", "LOCKED_OUT":
			return true
		}
	}
	return false
}

func detectOkta(src *Source) int {
	cs := columnsOf(src)
	c := findOktaColumns(cs)
	statusOK := c.status != "" && oktaStatusShare(src, c.status) >= 0.8
	// Primary email is Okta's own name; without it, only Okta's status
	// words and user ids say the file is Okta's.
	if c.email == "" && !statusOK {
		return 0
	}
	s := 0
	if c.email != "" {
		s += 25
	}
	if statusOK {
		s += 30
		if oktaOwnStatus(src, c.status) {
			s += 10 // a word no other system writes
		}
	}
	if c.second != "" {
		s += 10
	}
	if c.mobile != "" {
		s += 5
	}
	if c.first != "" && c.last != "" {
		s += 5
	}
	if c.login != "" {
		s += 5
	}
	if cs.has("Last login") {
		s += 5
	}
	if c.id != "" && share(sampleValues(src, c.id), reOktaID) >= 0.8 {
		s += 20
	}
	return clamp(s)
}

func buildOkta(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Okta")
	m := newPresetMapping(src, o, "okta")
	cs := columnsOf(src)
	c := findOktaColumns(cs)
	nameSourceID(src, m, c.id, cs.exact["id"]) // the old id: 00u...
	email := c.email
	if email == "" && c.login != "" && share(sampleValues(src, c.login), reEmailish) >= 0.8 {
		email = c.login // the login is the email
	}
	r.setFound(m, "email", email, T("trim"), T("lowercase"))
	r.setFound(m, "given_name", c.first, T("trim"))
	r.setFound(m, "family_name", c.last, T("trim"))
	r.setFound(m, "phone_number", c.mobile, T("trim"))
	if c.status != "" {
		r.set(m, "disabled", c.status, T("trim"), TA("one_of", oktaDisabled))
	}
	if c.login != "" && c.login != email {
		oktaUsername(src, m, r, c.login)
	}
	if c.second != "" {
		if n := len(sampleValues(src, c.second)); n > 0 {
			r.note("%d of the %d sampled users %s a secondary email (%s): it is not imported (an Authgear user has one email)", n, len(src.Sample()), has(n), c.second)
		}
	}
	if c.status != "" {
		for _, line := range oktaStatusNotes(src, c.status) {
			r.note("%s", line)
		}
	}
	r.note("%s%s; to keep the old passwords, use Authgear's rolling migration: %s", oktaPasswordNote, NewPasswordAdvice, RollingMigrationGuide)
	return finishPreset(src, m, r, oktaLimits[1:])
}

// oktaUsername maps Okta's login as the username when it is a name of its
// own: a login that is an email address is the email, not a username, so
// the login is mapped only when some sampled logins are not email
// addresses, and those that are are left out of their records.
func oktaUsername(src *Source, m *Mapping, r *presetReport, col string) {
	vals := sampleValues(src, col)
	emails := 0
	for _, v := range vals {
		if reEmailish.MatchString(v) {
			emails++
		}
	}
	switch {
	case len(vals) == 0:
		return
	case emails == len(vals) && m.Identifier != IdentifierUsername:
		r.note("%s is the email address of every sampled user (Okta's login): it is not imported as a username", col)
		return
	case emails == 0:
		mapUsername(src, m, r, col)
		return
	}
	if why := usernameVerdictOf(src, col); why != "" && m.Identifier != IdentifierUsername {
		r.note("usernames (%q) are not mapped: of the sampled logins that are not email addresses %s", col, why)
		return
	}
	r.set(m, "preferred_username", col, T("trim"))
	r.note("%d of the %d sampled logins in %s are email addresses: those users are imported without a username (the email is their login ID already); the other %d keep their login as the username", emails, len(vals), col, len(vals)-emails)
}

// usernameVerdictOf is usernameVerdict for the values of col that are not
// email addresses.
func usernameVerdictOf(src *Source, col string) string {
	seen := map[string]bool{}
	for _, v := range sampleValues(src, col) {
		if reEmailish.MatchString(v) {
			continue
		}
		n := NormalizeUsername(v, false)
		if checkUsername(n) != nil {
			return "some do not fit Authgear's usernames (letters, digits, '-', '_' and '.' only), such as " + strconv.Quote(v)
		}
		if seen[n] {
			return "some are used by more than one user, such as " + strconv.Quote(v)
		}
		seen[n] = true
	}
	return ""
}

// oktaStatusNotes says what becomes of the users of each Status other
// than ACTIVE that the sample shows.
func oktaStatusNotes(src *Source, col string) []string {
	counts := map[string]int{}
	for _, v := range sampleValues(src, col) {
		counts[strings.ToUpper(v)]++
	}
	var keys []string
	for k := range counts {
		if k != "ACTIVE" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	n := len(src.Sample())
	var out []string
	for _, k := range keys {
		what := "imported like the others"
		switch k {
		case "SUSPENDED":
			what = "suspended in Okta: imported disabled"
		case "DEPROVISIONED":
			what = "deactivated in Okta: imported disabled; remove them from the export if they should not be migrated"
		case "STAGED", "PROVISIONED":
			what = "never activated their Okta account: imported like the others (enabled), they set a password through the forgot-password flow or sign in without one"
		case "LOCKED_OUT":
			what = "locked out after failed sign-ins: imported enabled (the lock is not carried over)"
		case "PASSWORD_EXPIRED", "RECOVERY":
			what = "in the middle of a password reset or with an expired password: imported enabled, they set a new password through the forgot-password flow"
		default:
			what = "not a status Okta writes: imported enabled"
		}
		out = append(out, fmt.Sprintf("Status %s: %d of the %d sampled users, %s", k, counts[k], n, what))
	}
	return out
}
