package importer

import (
	"regexp"
	"sort"
	"strings"
)

// Parse Server: the _User class, as the Parse Dashboard or the REST API
// exports it ({"results": [...]} or a bare array, with objectId, username,
// email, emailVerified, createdAt, updatedAt, ACL, authData) or as
// mongoexport dumps its MongoDB collection (_id, _hashed_password,
// _email_verify_token, _created_at, _rperm, _wperm, _auth_data_<provider>)
// (issue 18 item 8). _hashed_password is plain bcrypt ($2a$/$2b$, from
// bcryptjs), which Authgear imports as it is. Parse's username is often the
// email address: then it is the email, not a username.

var parseLimits = []string{
	"authData (sign-in with Facebook, Google, Apple, ...) is not imported: those users sign in with the provider again, or set a password through the forgot-password flow",
	"ACL, _rperm and _wperm (Parse's object permissions) and sessions are not carried over",
	"pointers and relations from other classes to _User are not carried over",
	noteOldIDs,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "parse",
		Title:  "Parse Server (_User class: Dashboard/REST export or mongoexport)",
		Detect: detectParse,
		Build:  buildParse,
		Limits: parseLimits,
	})
}

// reParseID is Parse's objectId: ten letters and digits.
var reParseID = regexp.MustCompile(`^[A-Za-z0-9]{10}$`)

// parseInternal are the internal fields of a _User in Parse's MongoDB.
var parseInternal = []string{"_email_verify_token", "_perishable_token", "_failed_login_count", "_account_lockout_expires_at", "_password_history", "_email_verify_token_expires_at", "_perishable_token_expires_at", "_password_changed_at", "_tombstone"}

func detectParse(src *Source) int {
	if src.Format() != FormatJSON && src.Format() != FormatNDJSON {
		return 0
	}
	cs := columnsOf(src)
	hashed := cs.exact["_hashed_password"]
	id := cs.exact["objectid"]
	if id == "" {
		id = cs.exact["_id"]
	}
	idShaped := id != "" && share(sampleValues(src, id), reParseID) >= 0.8
	perms := cs.hasPrefix("ACL.") || cs.exact["_rperm"] != "" || cs.exact["_wperm"] != "" || cs.hasPrefix("_rperm[")
	// Without _hashed_password (users of social logins only, or the REST
	// API's export), Parse's objectId or its permissions must say it.
	if hashed == "" && !(idShaped && (cs.exact["objectid"] != "" || perms)) {
		return 0
	}
	s := 0
	if hashed != "" {
		s += 40
	}
	if idShaped {
		s += 15
	}
	if cs.exact["emailverified"] != "" {
		s += 10
	}
	for _, c := range parseInternal {
		if cs.exact[c] != "" {
			s += 10
			break
		}
	}
	if cs.hasPrefix("authData.") || cs.hasPrefix("_auth_data_") {
		s += 10
	}
	if perms {
		s += 15
	}
	if cs.hasPrefix("_created_at") || cs.exact["createdat"] != "" && cs.exact["updatedat"] != "" {
		s += 5
	}
	return clamp(s)
}

func buildParse(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Parse")
	m := newPresetMapping(src, o, "parse")
	cs := columnsOf(src)
	email, user := cs.exact["email"], cs.exact["username"]
	nameSourceID(src, m, cs.exact["objectid"], "_id") // the old id
	userVals := sampleValues(src, user)
	usernameIsEmail := user != "" && len(userVals) > 0 && share(userVals, reEmailish) >= 0.8
	switch {
	case email != "" && len(sampleValues(src, email)) > 0:
		r.set(m, "email", email, T("trim"), T("lowercase"))
		if v := cs.exact["emailverified"]; v != "" {
			r.set(m, "email_verified", v, T("bool"))
		}
		parseEmailGaps(src, r, email, user)
	case usernameIsEmail:
		// No email field: the username is the email address.
		r.set(m, "email", user, T("trim"), T("lowercase"))
		r.note("Parse's username holds the email addresses and the export has no email field: the email is taken from %q; email_verified is left unset (not verified)", user)
	case m.Identifier == IdentifierEmail:
		r.set(m, "email", "email", T("trim"), T("lowercase"))
	}
	if user != "" && m.Fields["email"] != nil && m.Fields["email"].From != user {
		mapUsername(src, m, r, user)
	}
	if h := cs.exact["_hashed_password"]; h != "" {
		r.set(m, "password.password_hash", h, T("trim"))
	} else {
		r.note("the export has no _hashed_password (Parse's REST API and Dashboard never return it): every user is imported without a password and %s; export the _User collection from MongoDB (mongoexport) to keep the bcrypt hashes", NewPasswordAdvice)
	}
	if p := parseProviders(src); len(p) > 0 {
		r.note("users who sign in with %s through authData: the link is not imported; those without a password %s", strings.Join(p, ", "), NewPasswordAdvice)
	}
	return finishPreset(src, m, r, parseLimits)
}

// parseEmailGaps says how many sampled users have no email but a username
// that is an email address (Parse apps that sign in by username often
// keep the address there only): they would be reported invalid.
func parseEmailGaps(src *Source, r *presetReport, email, user string) {
	if user == "" {
		return
	}
	pe, e1 := compilePath(email, src.Columns(), false)
	pu, e2 := compilePath(user, src.Columns(), false)
	if e1 != nil || e2 != nil {
		return
	}
	n := 0
	for _, row := range src.Sample() {
		ev, ok := pe.lookup(row)
		if ok && !isEmpty(ev) && strings.TrimSpace(scalarString(ev)) != "" {
			continue
		}
		if uv, ok := pu.lookup(row); ok && reEmailish.MatchString(strings.TrimSpace(scalarString(uv))) {
			n++
		}
	}
	if n > 0 {
		r.note("%d of the %d sampled users %s no email but an email address as username: they are reported invalid with email as the identifier; map email from %q instead if the username is where your app keeps the address", n, len(src.Sample()), has(n), user)
	}
}

// parseProviders lists the authData providers the sample shows.
func parseProviders(src *Source) []string {
	seen := map[string]bool{}
	for _, c := range src.Columns() {
		var rest string
		if r, ok := strings.CutPrefix(c, "authData."); ok {
			rest = r
		} else if r, ok := strings.CutPrefix(c, "_auth_data_"); ok {
			rest = r
		} else {
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		if name != "" && len(sampleValues(src, c)) > 0 {
			seen[Printable(name)] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
