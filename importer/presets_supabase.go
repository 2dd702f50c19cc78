package importer

import "strings"

// Supabase: a CSV or JSON dump of the auth.users table.

var supabaseLimits = []string{
	"a ban's end (banned_until) is not kept: a user banned until a future date is imported disabled, and stays disabled until re-enabled in Authgear",
	"sign-ins through OAuth providers and SSO (auth.identities) cannot be imported: those users sign in with a passwordless login, or through the provider once it is set up in Authgear",
	"MFA factors (auth.mfa_factors) are not in auth.users: users enrol again",
	"raw_app_meta_data and the rest of raw_user_meta_data are not mapped: map their keys to custom attributes if the project defines them",
	noteOldIDs,
	noteNoTimes,
}

func init() {
	RegisterPreset(&Preset{
		Name:   "supabase",
		Title:  "Supabase (auth.users dump, CSV or JSON)",
		Detect: detectSupabase,
		Build:  buildSupabase,
		Limits: supabaseLimits,
	})
}

func detectSupabase(src *Source) int {
	cs := columnsOf(src)
	s := 0
	if cs.has("encrypted_password") {
		s += 40
	}
	if cs.has("raw_user_meta_data") || cs.hasPrefix("raw_user_meta_data.") {
		s += 35
	}
	if cs.has("raw_app_meta_data") || cs.hasPrefix("raw_app_meta_data.") {
		s += 15
	}
	if s == 0 {
		return 0
	}
	s += 5 * cs.count("instance_id", "aud", "email_confirmed_at", "phone_confirmed_at", "banned_until", "is_sso_user", "is_super_admin", "recovery_token", "email_change_token_new", "is_anonymous")
	return clamp(s)
}

func buildSupabase(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	r := newPresetReport("Supabase")
	m := newPresetMapping(src, o, "supabase")
	cs := columnsOf(src)
	isCSV := src.Format() == FormatCSV
	col := func(name string) string {
		if c := cs.find(name); c != "" {
			return c
		}
		if !isCSV {
			return name
		}
		return ""
	}
	nameSourceID(src, m, col("id")) // the old id: a UUID
	r.setFound(m, "email", col("email"), T("trim"), T("lowercase"))
	r.setFound(m, "email_verified", col("email_confirmed_at"), T("present"))
	r.setFound(m, "phone_number", col("phone"), T("trim"))
	r.setFound(m, "phone_number_verified", col("phone_confirmed_at"), T("present"))
	r.setFound(m, "disabled", col("banned_until"), T("future"))
	r.setFound(m, "password.password_hash", col("encrypted_password"), T("trim"))
	// Names live in raw_user_meta_data, under keys the app (or the OAuth
	// provider) chose: take the first that the sample shows.
	if meta := col("raw_user_meta_data"); meta != "" {
		pick := func(key string, names ...string) {
			for _, n := range names {
				if len(sampleValues(src, meta+"."+n)) > 0 {
					r.setFound(m, key, meta+"."+n, T("trim"))
					return
				}
			}
		}
		pick("name", "full_name", "name", "display_name")
		pick("given_name", "first_name", "given_name")
		pick("family_name", "last_name", "family_name")
		pick("picture", "avatar_url", "picture")
	}
	// Dumps often join the app's profile columns to auth.users: names,
	// a username and a picture as columns of their own (issue 9).
	added := func(key string, names ...string) {
		if _, done := m.Fields[key]; done {
			return
		}
		if c := cs.find(names...); c != "" && len(sampleValues(src, c)) > 0 {
			r.set(m, key, c, T("trim"))
		}
	}
	added("name", "full_name", "name", "display_name")
	added("given_name", "first_name", "given_name", "firstname")
	added("family_name", "last_name", "family_name", "lastname", "surname")
	added("picture", pictureColumns...)
	if _, done := m.Fields["preferred_username"]; !done {
		mapUsername(src, m, r, cs.find("username", "user_name", "preferred_username"))
	}
	if c := col("deleted_at"); c != "" {
		m.RejectIf = append(m.RejectIf, Condition{From: c, Present: true, Reason: "deleted in Supabase (deleted_at is set): not migrated"})
		r.note("users deleted in Supabase (deleted_at set) are not migrated: they are reported invalid with that reason")
	}
	if _, ok := m.Fields["phone_number"]; ok {
		m.Phone.AssumeInternational = true
		r.note("Supabase stores phone numbers without the '+': they are read as international numbers (phone.assume_international)")
	}
	// OAuth and SSO users.
	if prov := col("raw_app_meta_data"); prov != "" {
		counts := map[string]int{}
		n := 0
		for _, v := range sampleValues(src, prov+".provider") {
			if v != "email" && v != "phone" {
				counts[v]++
				n++
			}
		}
		if n > 0 {
			r.note("%d of the %d sampled users signed up through %s: they have no password, and their provider identity cannot be imported", n, len(src.Sample()), joinCounts(counts))
		}
	}
	if c := cs.find("is_anonymous"); c != "" {
		anon := 0
		for _, v := range sampleValues(src, c) {
			if strings.EqualFold(v, "true") || v == "t" {
				anon++
			}
		}
		if anon > 0 {
			r.note("%d sampled users are Supabase anonymous users: they have no email or phone and are reported invalid", anon)
		}
	}
	return finishPreset(src, m, r, supabaseLimits)
}
