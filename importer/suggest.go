package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// normName reduces a column name to lowercase letters and digits, so that
// "E-mail address", "email_address" and "EmailAddress" compare equal.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// synonyms lists, per field, the normalised column names people use for
// it; earlier entries are better matches.
var synonyms = map[string][]string{
	"email":                  {"email", "emailaddress", "mail", "primaryemail", "primaryemailaddress", "useremail", "emailaddr", "courriel", "login_email"},
	"phone_number":           {"phonenumber", "phone", "mobile", "mobilenumber", "mobilephone", "cellphone", "cell", "telephone", "tel", "msisdn", "primaryphonenumber", "phoneno"},
	"preferred_username":     {"preferredusername", "username", "usernam", "login", "loginname", "userlogin", "handle", "screenname", "userid_login"},
	"email_verified":         {"emailverified", "isemailverified", "verifiedemail", "emailconfirmed", "emailisverified", "verified", "isverified", "emailverifiedat", "emailconfirmedat", "confirmedat", "confirmed", "emailvalidated"},
	"phone_number_verified":  {"phonenumberverified", "phoneverified", "isphoneverified", "phoneconfirmed", "mobileverified", "phoneconfirmedat", "phoneverifiedat"},
	"name":                   {"name", "fullname", "displayname", "full_name", "username_display", "realname"},
	"given_name":             {"givenname", "firstname", "first", "forename", "fname", "prenom"},
	"family_name":            {"familyname", "lastname", "surname", "last", "lname", "nom"},
	"middle_name":            {"middlename", "middle", "middleinitial"},
	"nickname":               {"nickname", "nick", "alias"},
	"profile":                {"profile", "profileurl", "profilelink"},
	"picture":                {"picture", "avatar", "avatarurl", "photo", "photourl", "image", "imageurl", "profilepicture", "profileimage", "pictureurl", "profilepic", "profilephoto", "profilephotourl", "profilepictureurl", "profileimageurl", "userpic", "userphoto", "userimage", "pic"},
	"website":                {"website", "homepage", "url", "blog", "web", "site"},
	"gender":                 {"gender", "sex"},
	"birthdate":              {"birthdate", "birthday", "dob", "dateofbirth", "birth", "bday"},
	"zoneinfo":               {"zoneinfo", "timezone", "tz", "timezonename"},
	"locale":                 {"locale", "language", "lang", "preferredlanguage", "preferredlocale"},
	"address.formatted":      {"address", "formattedaddress", "fulladdress", "addressformatted"},
	"address.street_address": {"streetaddress", "street", "address1", "addressline1", "addressstreetaddress"},
	"address.locality":       {"locality", "city", "town", "addresslocality"},
	"address.region":         {"region", "state", "province", "county", "addressregion"},
	"address.postal_code":    {"postalcode", "zip", "zipcode", "postcode", "addresspostalcode"},
	"address.country":        {"country", "countrycode", "addresscountry"},
	"disabled":               {"disabled", "blocked", "isblocked", "banned", "suspended", "isdisabled", "locked", "deactivated"},
	"roles":                  {"roles", "role", "userroles", "realmroles"},
	"groups":                 {"groups", "group", "usergroups", "teams"},
	"password.password_hash": {"passwordhash", "password", "pwdhash", "pwd", "passwd", "hash", "encryptedpassword", "passworddigest", "hashedpassword", "passhash", "bcrypt", "passwordbcrypt"},
	"mfa.totp.secret":        {"totpsecret", "otpsecret", "mfasecret", "authenticatorsecret", "twofactorsecret", "totp"},
}

// inverted names whose truth is the opposite of the field's.
var invertedSynonyms = map[string][]string{
	"disabled": {"enabled", "active", "isactive", "isenabled"},
}

var (
	reBcryptish = regexp.MustCompile(`^\$2[abxy]?\$\d\d\$`)
	reEmailish  = regexp.MustCompile(`^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$`)
	rePhoneish  = regexp.MustCompile(`^\s*\+?[0-9][0-9 ()./-]{6,20}\s*$`)
	reDateTime  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}`)
	reEpoch     = regexp.MustCompile(`^\d{9,13}$`)
)

// Suggestion is one field that Suggest mapped, and why.
type Suggestion struct {
	Field string
	From  string
	Why   string
}

// SuggestReport says what Suggest did.
type SuggestReport struct {
	Suggestions []Suggestion
	// Unmapped lists the columns no field took.
	Unmapped []string
	// Notes are remarks for the person (hash families seen, ...), in the
	// engine's words.
	Notes []string
	// NoteRemedy is, for a note that advises something to do, what: each
	// front end words it (a flag, a key).
	NoteRemedy map[string]Remedy
}

// noteWith adds a note that advises remedy.
func (r *SuggestReport) noteWith(remedy Remedy, note string) {
	r.Notes = append(r.Notes, note)
	if r.NoteRemedy == nil {
		r.NoteRemedy = map[string]Remedy{}
	}
	r.NoteRemedy[note] = remedy
}

type columnProfile struct {
	name    string
	norm    string
	values  int // non-empty sampled values
	emails  int
	bcrypts int
	phones  int
	bools   int
	dates   int
	epochs  int
	lists   int
	images  int // http(s) URLs of images
	ids     int // UUIDs and ObjectIds
	hashes  map[HashFamily]int
}

// pictureColumns are the names of image URL columns, best first: they go
// to picture, not to profile (the profile page's URL).
var pictureColumns = []string{"avatar_url", "picture", "profile_pic", "profile_picture", "profile_image", "profile_photo", "avatar", "photo_url", "photo", "image_url", "image"}

var imageExts = []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".avif", ".bmp", ".ico", ".heic"}

// isImageURL says whether s is an http(s) URL that looks like an image:
// a file with an image extension, or a path or host of avatars and photos.
func isImageURL(s string) bool {
	l := strings.ToLower(s)
	if !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "http://") {
		return false
	}
	path, _, _ := strings.Cut(l, "?")
	for _, e := range imageExts {
		if strings.HasSuffix(path, e) {
			return true
		}
	}
	for _, w := range []string{"avatar", "gravatar.com", "googleusercontent.com", "/photo", "/image", "/picture", "/pic/", "profile_images", "cloudinary.com"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// profileColumns looks at the sampled values of each column. It stops,
// leaving the rest of the profiles empty, once src's context is cancelled.
func profileColumns(src *Source) []*columnProfile {
	cols := src.Columns()
	isCSV := src.Format() == FormatCSV
	ctx := src.Context()
	profiles := make([]*columnProfile, len(cols))
	for i, c := range cols {
		cp := &columnProfile{name: c, norm: normName(pathName(c, isCSV)), hashes: map[HashFamily]int{}}
		profiles[i] = cp
		if ctx.Err() != nil {
			continue
		}
		var path *Path
		var err error
		if isCSV {
			path = columnPath(c, i) // not compilePath: a search of every column for each
		} else {
			path, err = compilePath(c, cols, isCSV)
		}
		if err == nil {
			for _, row := range src.Sample() {
				v, ok := path.lookup(row)
				if !ok || isEmpty(v) {
					continue
				}
				cp.values++
				if _, isList := v.([]any); isList {
					cp.lists++
					continue
				}
				s := strings.TrimSpace(scalarString(v))
				s = strings.TrimPrefix(s, "'")
				switch {
				case reEmailish.MatchString(s):
					cp.emails++
				case reBcryptish.MatchString(s):
					cp.bcrypts++
				case rePhoneish.MatchString(s) && strings.ContainsAny(s, "+") || (len(cleanPhone(s)) >= 10 && len(cleanPhone(s)) <= 15 && strings.HasPrefix(s, "+")):
					cp.phones++
				case reDateTime.MatchString(s):
					cp.dates++
				case reEpoch.MatchString(s):
					cp.epochs++
				}
				if _, err := toBool(v); err == nil {
					cp.bools++
				}
				if isImageURL(s) {
					cp.images++
				}
				if reIDUUID.MatchString(s) || reObjectID.MatchString(s) {
					cp.ids++
				}
				if fam := RecogniseHash(s); fam.IsHash() {
					cp.hashes[fam]++
				}
			}
		}
	}
	return profiles
}

// lastSegment returns the last key of a JSON path (user_metadata.first_name → first_name).
func lastSegment(c string, isCSV bool) string {
	if isCSV {
		return c
	}
	if i := strings.LastIndexAny(c, ".]"); i >= 0 && i+1 < len(c) {
		return c[i+1:]
	}
	return c
}

// Suggest writes a mapping for src from its column names and the values of
// its first rows. id forces the identifier; "" picks email, then
// phone_number, then preferred_username, whichever is found. Once src's
// context is cancelled, Suggest returns early with an incomplete mapping:
// callers check src.Context().Err() (SuggestMapping does).
func Suggest(src *Source, id Identifier) (*Mapping, *SuggestReport) {
	profiles := profileColumns(src)
	rep := &SuggestReport{}
	if src.ColumnsCapped() {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the sampled records hold more than %d different paths: only the first %d were considered", MaxColumns, MaxColumns))
	}
	m := NewMapping(id)
	m.Source = sourceSpecOf(src)
	taken := map[string]bool{}

	type cand struct {
		field   string
		col     *columnProfile
		score   int
		inverse bool
		why     string
		misfit  string // why the values do not fit the field
		named   int    // the score before a misfit
	}
	var cands []cand
	for _, cp := range profiles {
		if src.Context().Err() != nil {
			return m, rep
		}
		if cp.values == 0 && src.Format() != FormatCSV {
			continue
		}
		for field, names := range synonyms {
			for rank, n := range names {
				if cp.norm == n {
					cands = append(cands, cand{field: field, col: cp, score: 1000 - rank*10, why: "column name"})
				} else if len(n) >= 5 && strings.Contains(cp.norm, n) {
					cands = append(cands, cand{field: field, col: cp, score: 500 - rank*10 - (len(cp.norm) - len(n)), why: "column name"})
				}
			}
		}
		for field, names := range invertedSynonyms {
			for rank, n := range names {
				if cp.norm == n {
					cands = append(cands, cand{field: field, col: cp, score: 900 - rank*10, inverse: true, why: "column name (inverted)"})
				}
			}
		}
		// Values.
		if cp.values > 0 {
			if cp.emails*10 >= cp.values*8 {
				cands = append(cands, cand{field: "email", col: cp, score: 300, why: "values look like email addresses"})
			}
			if cp.bcrypts*10 >= cp.values*5 {
				cands = append(cands, cand{field: "password.password_hash", col: cp, score: 1100, why: "values look like bcrypt hashes"})
			}
			if cp.phones*10 >= cp.values*8 {
				cands = append(cands, cand{field: "phone_number", col: cp, score: 250, why: "values look like phone numbers"})
			}
			if cp.images*10 >= cp.values*8 {
				cands = append(cands, cand{field: "picture", col: cp, score: 450, why: "values look like image URLs"})
			}
		}
	}
	// Score adjustments by values: a "verified" column must hold booleans
	// or timestamps; an email column must hold emails.
	for i := range cands {
		c := &cands[i]
		t, _ := LookupTarget(c.field)
		if c.col.values == 0 {
			if c.field == "picture" {
				c.score -= 600 // an empty avatar column after a full profile_pic
			}
			continue
		}
		switch {
		case c.field == "password.password_hash" && isSaltName(c.col.name):
			c.score -= 2000 // a salt is no hash, whatever its values look like (hashparts.go)
		case t.kind == kindBool && c.col.bools*10 < c.col.values*8 && c.col.dates+c.col.epochs == 0:
			c.score -= 800
		case c.field == "email" && c.col.emails*10 < c.col.values*5:
			c.score -= 800
		case c.field == "password.password_hash" && len(c.col.hashes) == 0 && c.col.bcrypts == 0:
			c.score -= 800
		case (c.field == "phone_number") && c.col.phones == 0 && c.col.emails > 0:
			c.score -= 800
		case c.field == "profile" && c.col.images*10 >= c.col.values*5:
			// profile_pic, profile_image: a picture, not the profile page.
			c.score -= 800
		}
	}
	// The values must fit the field (suggestvalues.go).
	for i := range cands {
		c := &cands[i]
		if c.misfit = valueMisfit(c.field, c.col); c.misfit != "" {
			c.named, c.score = c.score, -1
		}
	}
	// A later element of a list (identities[1].provider) is taken only
	// when the first does not give the field: its position need not mean
	// the same thing in every record.
	// Between two paths of the same name, the shallower wins (email
	// before contacts[0].email).
	if src.Format() != FormatCSV {
		for i := range cands {
			if laterElement(cands[i].col.name) != "" {
				cands[i].score -= 50
			}
			if steps, err := parsePathSteps(cands[i].col.name); err == nil {
				cands[i].score -= len(steps) - 1
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	for _, c := range cands {
		if c.score <= 0 || taken[c.col.name] {
			continue
		}
		if _, done := m.Fields[c.field]; done {
			continue
		}
		taken[c.col.name] = true
		ts := suggestTransforms(c.field, c.col, c.inverse)
		m.Set(c.field, c.col.name, ts...)
		rep.Suggestions = append(rep.Suggestions, Suggestion{Field: c.field, From: c.col.name, Why: c.why})
	}
	if m.Identifier == "" {
		for _, id := range []Identifier{IdentifierEmail, IdentifierPhone, IdentifierUsername} {
			if _, ok := m.Fields[string(id)]; ok {
				m.Identifier = id
				break
			}
		}
		if m.Identifier == "" {
			m.Identifier = IdentifierEmail
			rep.Notes = append(rep.Notes, "no column looks like an email, phone number or username: map the identifier by hand")
		}
	}
	for _, cp := range profiles {
		if !taken[cp.name] && (cp.values > 0 || src.Format() == FormatCSV) {
			rep.Unmapped = append(rep.Unmapped, cp.name)
		}
		for fam, n := range cp.hashes {
			if !fam.Importable() {
				rep.Notes = append(rep.Notes, fmt.Sprintf("column %q holds %d sampled %s %s, which Authgear cannot import: those users will be imported without a password (passwords.unsupported: %s)", cp.name, n, fam, plural(n, "hash", "hashes"), m.Passwords.Unsupported))
			}
		}
	}
	// A column whose name suggested a field its values do not fit says
	// why it is not mapped (the candidate its name ranked best).
	misfits := map[string]int{} // column → index in cands
	for i, c := range cands {
		if c.misfit == "" || taken[c.col.name] || c.why != "column name" {
			continue
		}
		if j, seen := misfits[c.col.name]; !seen || c.named > cands[j].named {
			misfits[c.col.name] = i
		}
	}
	for _, cp := range profiles { // in the file's order
		if i, ok := misfits[cp.name]; ok {
			rep.Notes = append(rep.Notes, misfitNote(cp.name, cands[i].field, cands[i].misfit))
		}
	}
	rep.Notes = append(rep.Notes, laterElementNotes(src, rep.Unmapped)...)
	if c := suggestSourceID(src, m); c != "" {
		m.Source.ID = &FieldSpec{From: c} // the old id (suggest_id.go)
	}
	sort.Slice(rep.Suggestions, func(i, j int) bool {
		return targetOrder(rep.Suggestions[i].Field) < targetOrder(rep.Suggestions[j].Field)
	})
	return m, rep
}

func suggestTransforms(field string, cp *columnProfile, inverse bool) []Transform {
	t, _ := LookupTarget(field)
	switch {
	case t.kind == kindBool:
		if cp.values > 0 && cp.bools*10 < cp.values*8 && cp.dates+cp.epochs > 0 {
			return []Transform{T("present")}
		}
		if inverse {
			return []Transform{T("bool"), T("not")}
		}
		return []Transform{T("bool")}
	case t.kind == kindList:
		return []Transform{T("split")}
	}
	switch field {
	case "email", "mfa.email":
		return []Transform{T("trim"), T("lowercase")}
	case "birthdate":
		return []Transform{T("trim"), T("date")}
	case "locale":
		return []Transform{T("trim"), T("locale")}
	case "account_valid_from", "account_valid_until", "password.expire_after":
		return []Transform{T("timestamp")}
	}
	return []Transform{T("trim")}
}

func sourceSpecOf(src *Source) SourceSpec {
	s := SourceSpec{Format: src.Format()}
	if src.Format() == FormatCSV {
		switch d := src.Delimiter(); d {
		case '\t':
			s.Delimiter = `\t`
		default:
			s.Delimiter = string(d)
		}
		if !src.HasHeader() {
			s.NoHeader = true
			s.Columns = src.Columns()
		}
	}
	return s
}
