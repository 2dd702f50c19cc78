package importer

import (
	"fmt"
	"regexp"
	"strings"
)

// Auth0: the bulk user export (NDJSON, or CSV whose strings Auth0 writes as
// "'value" against CSV injection) and the password-hash export that Auth0
// support hands out on request (NDJSON: _id.$oid, email, passwordHash ...),
// joined to the users by user id auth0|<oid>, else by email.

var (
	reAuth0UserID = regexp.MustCompile(`^[a-z0-9-]+\|\S+$`)
	reAuth0DB     = regexp.MustCompile(`^auth0\|\S+$`)
)

// auth0PasswordJoin is how the password export is joined to the users.
func auth0PasswordJoin(file string) *JoinSpec {
	return &JoinSpec{File: file, Key: "user_id", Match: "auth0|{_id}", AltKey: "email", AltMatch: "email"}
}

// auth0PasswordLimit is what the preset says of passwords; the notes say it
// with the counts of the file.
const auth0PasswordLimit = "Auth0's user export holds no password hashes: they come in a separate export from Auth0 support, joined to the user export as its password file; only its bcrypt hashes can be imported"

var auth0Limits = []string{
	"social and enterprise identities (Google, Apple, SAML, ...) cannot be imported: those users get an account with their email and sign in with a passwordless login, or through the provider once it is set up in Authgear",
	"MFA enrolments (OTP apps, SMS, WebAuthn) are not in Auth0's exports: users enrol again",
	"user_metadata and app_metadata (other than app_metadata.roles) are not mapped: map their keys to custom attributes if the project defines them",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "auth0",
		Title:  "Auth0 (bulk user export, with the password export from Auth0 support)",
		Detect: detectAuth0,
		Build:  buildAuth0,
		Limits: append([]string{auth0PasswordLimit}, auth0Limits...),
	})
}

func isAuth0PasswordExport(cs *columnSet) bool {
	return cs.has("passwordHash") && (cs.hasPrefix("_id") || cs.has("_ID")) && cs.has("email")
}

func detectAuth0(src *Source) int {
	cs := columnsOf(src)
	if isAuth0PasswordExport(cs) {
		return clamp(70 + 8*cs.count("tenant", "connection", "password_set_date", "password_set_date.$date", "_tmp_is_unique", "email_verified"))
	}
	uid := cs.find("user_id")
	if uid == "" {
		return 0
	}
	vals := sampleValues(src, uid)
	if share(vals, reAuth0UserID) < 0.6 {
		return 0
	}
	s := 60
	if cs.hasPrefix("identities[0].") || cs.has("identities") {
		s += 25
	}
	if share(vals, reAuth0DB) >= 0.5 {
		s += 10
	}
	s += 4 * cs.count("email_verified", "logins_count", "last_login", "blocked", "nickname", "app_metadata.roles", "phone_verified", "last_ip")
	if cs.hasPrefix("user_metadata.") || cs.hasPrefix("app_metadata.") {
		s += 5
	}
	return clamp(s)
}

func buildAuth0(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Auth0")
	m := newPresetMapping(src, o, "auth0")
	cs := columnsOf(src)
	isCSV := src.Format() == FormatCSV
	if isAuth0PasswordExport(cs) {
		return buildAuth0PasswordFile(src, m, r, cs)
	}
	// text fields: Auth0 writes CSV strings as "'value".
	text := func(more ...Transform) []Transform {
		ts := []Transform{T("trim")}
		if isCSV {
			ts = []Transform{TA("strip_prefix", "'"), T("trim")}
		}
		return append(ts, more...)
	}
	boolean := func(more ...Transform) []Transform {
		ts := []Transform{T("bool")}
		if isCSV {
			ts = []Transform{TA("strip_prefix", "'"), T("bool")}
		}
		return append(ts, more...)
	}
	// In JSON every path is mapped, present in the sample or not (a
	// missing value is simply absent); in CSV only the columns there are.
	col := func(names ...string) string {
		if c := cs.find(names...); c != "" {
			return c
		}
		if !isCSV {
			return names[0]
		}
		return ""
	}
	if c := col("user_id"); c != "" {
		m.Source.ID = &FieldSpec{From: c, Transforms: text()} // the old id
	}
	r.setFound(m, "email", col("email"), text(T("lowercase"))...)
	r.setFound(m, "email_verified", col("email_verified"), boolean()...)
	r.setFound(m, "phone_number", col("phone_number"), text()...)
	r.setFound(m, "phone_number_verified", col("phone_verified", "phone_number_verified"), boolean()...)
	r.setFound(m, "name", col("name"), text()...)
	r.setFound(m, "given_name", col("given_name"), text()...)
	r.setFound(m, "family_name", col("family_name"), text()...)
	r.setFound(m, "nickname", col("nickname"), text()...)
	r.setFound(m, "picture", col("picture"), text()...)
	r.setFound(m, "disabled", col("blocked"), boolean()...)
	if c := col("app_metadata.roles", "roles"); c != "" {
		if isCSV {
			r.setFound(m, "roles", c, TA("strip_prefix", "'"), T("split"))
		} else {
			r.setFound(m, "roles", c, T("split"))
		}
	}
	mapUsername(src, m, r, cs.find("username"))

	if o.Passwords != "" {
		j := auth0PasswordJoin(o.Passwords)
		m.Source.Passwords = j
		r.set(m, "password.password_hash", passwordsJoinName+".passwordHash")
		// Read the sample again with the passwords joined (the export is
		// loaded once, here), for the counts and for finishPreset.
		idx, err := loadJoinIndex(src.Context(), resolveJoinFile(j.File, src.Name()), j)
		if err == nil && idx.records == 0 {
			err = fmt.Errorf("it holds no password records")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("Auth0 password export %s: %w", o.Passwords, err)
		}
		joined, err := OpenContext(src.Context(), src.Name(), m.SourceOptions())
		if err != nil {
			return nil, nil, err
		}
		defer joined.Close()
		if err := idx.attach(joined, j); err != nil {
			return nil, nil, err
		}
		r.sample = joined
		matched, rows := 0, 0
		for _, row := range joined.Sample() {
			if row.Err == nil {
				rows++
				if _, ok := row.Extra[passwordsJoinName]; ok {
					matched++
				}
			}
		}
		r.note("password export %s: %d password records, joined to the users by user id (auth0|<_id.$oid>) or else by email; %d of the %d sampled users have one (the others have no password in Auth0, such as social logins, or are missing from that export)", o.Passwords, idx.records, matched, rows)
	} else {
		r.noteWith(RemedyJoinPasswords, "Auth0's user export holds no password hashes: without Auth0's password export every user is imported without a password and %s. To keep passwords, ask Auth0 support for the password hash export and join it to this file; or keep them with Authgear's rolling migration: %s", NewPasswordAdvice, RollingMigrationGuide)
	}
	// Social and enterprise users.
	if uid := cs.find("user_id"); uid != "" {
		vals := sampleValues(src, uid)
		social := map[string]int{}
		n := 0
		for _, v := range vals {
			if p, _, ok := strings.Cut(v, "|"); ok && p != "auth0" {
				social[p]++
				n++
			}
		}
		if n > 0 {
			r.note("%d of the %d sampled users sign in through %s: their social or enterprise identity cannot be imported; they get an account with their email and sign in with a passwordless login, or through the provider once it is set up in Authgear", n, len(vals), joinCounts(social))
		}
	}
	if _, ok := m.Fields["roles"]; ok {
		r.note("roles come from app_metadata.roles; %s", noteRolesExist)
	}
	return finishPreset(src, m, r, auth0Limits)
}

// buildAuth0PasswordFile maps the password export itself, given as the input.
func buildAuth0PasswordFile(src *Source, m *Mapping, r *presetReport, cs *columnSet) (*Mapping, *SuggestReport, error) {
	r.set(m, "email", cs.find("email"), T("trim"), T("lowercase"))
	if c := cs.find("email_verified"); c != "" {
		r.set(m, "email_verified", c, T("bool"))
	}
	r.set(m, "password.password_hash", cs.find("passwordHash"))
	r.noteWith(RemedyJoinPasswords, "this is Auth0's password export: it holds emails and password hashes but no profiles; to carry names, phones, roles and blocked users too, map the bulk user export and join this file to it")
	return finishPreset(src, m, r, auth0Limits)
}

// joinCounts writes {"google-oauth2": 3, "apple": 1} as "google-oauth2 (3), apple (1)".
func joinCounts(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sortByCount(keys, c)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (%d)", k, c[k])
	}
	return strings.Join(parts, ", ")
}

func sortByCount(keys []string, c map[string]int) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && (c[keys[j]] > c[keys[j-1]] || c[keys[j]] == c[keys[j-1]] && keys[j] < keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}
