package importer

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Django fixtures: `python manage.py dumpdata` writes a JSON array of
// {"model": "app_label.model_name", "pk": ..., "fields": {...}}, often
// mixing dozens of models (pages, images, form submissions, sessions)
// with the user model: auth.user or a custom AUTH_USER_MODEL (users.user,
// accounts.customuser). The preset keeps the user model's objects
// (source.model) and maps its fields; every other object is reported as
// not a user.

// reModelLabel is a Django model label: app_label.model_name.
var reModelLabel = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$`)

// djangoUserFields are the fields of Django's user models (AbstractUser,
// AbstractBaseUser, PermissionsMixin) that tell a user model from others.
var djangoUserFields = []string{"password", "last_login", "is_superuser", "username", "email", "is_staff", "is_active", "date_joined", "first_name", "last_name", "groups", "user_permissions"}

// fixtureSampleSize is how many objects of the user model the preset
// keeps to check the mapping on.
const fixtureSampleSize = 200

// fixtureObject returns the model and the fields of a fixture object, or
// ok false when o is not one. The pk may be absent (--natural-primary).
func fixtureObject(o map[string]any) (model string, fields map[string]any, ok bool) {
	model, _ = o["model"].(string)
	fields, ok = o["fields"].(map[string]any)
	return model, fields, ok && reModelLabel.MatchString(model)
}

// isDjangoFixture reports whether most sampled records are fixture objects.
func isDjangoFixture(src *Source) bool {
	if src.Format() == FormatCSV {
		return false
	}
	n, fx := 0, 0
	for _, r := range src.Sample() {
		if r.Object == nil {
			continue
		}
		n++
		if _, _, ok := fixtureObject(r.Object); ok {
			fx++
		}
	}
	return n > 0 && fx*5 >= n*4
}

// userModelScore says how much a model whose objects have these fields
// looks like a user model: 0 unless it has AbstractBaseUser's password
// and last_login, else the number of user fields it has.
func userModelScore(keys map[string]bool) int {
	if !keys["password"] || !keys["last_login"] {
		return 0
	}
	n := 0
	for _, k := range djangoUserFields {
		if keys[k] {
			n++
		}
	}
	return n
}

// fixtureModel is what a scan saw of one model.
type fixtureModel struct {
	name  string
	n     int
	keys  map[string]bool
	rows  []*Row // kept only for models that may be the user model
	first int    // the first object's record number
}

// fixtureScan is what the preset read of a fixture.
type fixtureScan struct {
	models  map[string]*fixtureModel
	objects int  // records read
	whole   bool // every record of the file was read
	user    *fixtureModel
	others  []*fixtureModel // other models that look like user models
}

// scanFixture reads the fixture: the whole file when it can be opened
// again (fixtures are loaded whole by Django too), else the sample. It
// counts the objects of each model and keeps up to fixtureSampleSize
// objects of each model that may be the user model.
func scanFixture(src *Source) (*fixtureScan, error) {
	sc := &fixtureScan{models: map[string]*fixtureModel{}}
	add := func(r *Row) {
		sc.objects++
		if r.Object == nil {
			return
		}
		model, fields, ok := fixtureObject(r.Object)
		if !ok {
			return
		}
		key := strings.ToLower(model)
		fm := sc.models[key]
		if fm == nil {
			fm = &fixtureModel{name: model, keys: map[string]bool{}, first: r.Num}
			sc.models[key] = fm
		}
		fm.n++
		for k := range fields {
			fm.keys[k] = true
		}
		if _, pw := fields["password"]; pw && len(fm.rows) < fixtureSampleSize {
			fm.rows = append(fm.rows, r)
		}
	}
	whole := sampleIsWholeFile(src)
	var all *Source
	if !whole {
		s, err := OpenContext(src.Context(), src.Name(), SourceOptions{Format: src.Format()})
		if err == nil {
			defer s.Close()
			all = s
		}
	}
	if all == nil {
		for _, r := range src.Sample() {
			add(r)
		}
		sc.whole = whole
	} else {
		for {
			r, err := all.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src.Name(), err)
			}
			add(r)
		}
		sc.whole = true
	}
	var cands []*fixtureModel
	for _, fm := range sc.models {
		if userModelScore(fm.keys) > 0 && len(fm.rows) > 0 {
			cands = append(cands, fm)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		si, sj := userModelScore(cands[i].keys), userModelScore(cands[j].keys)
		if si != sj {
			return si > sj
		}
		if cands[i].n != cands[j].n {
			return cands[i].n > cands[j].n
		}
		return cands[i].first < cands[j].first
	})
	if len(cands) > 0 {
		sc.user, sc.others = cands[0], cands[1:]
	}
	return sc, nil
}

// byCount lists the models other than the user model, most objects first.
func (sc *fixtureScan) byCount() []*fixtureModel {
	var out []*fixtureModel
	for _, fm := range sc.models {
		if fm != sc.user {
			out = append(out, fm)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].name < out[j].name
	})
	return out
}

// modelList names models with their counts: "wagtailcore.page 12,
// wagtailimages.image 3 and 4 more models".
func modelList(ms []*fixtureModel, max int) string {
	var parts []string
	for i, fm := range ms {
		if i == max {
			parts = append(parts, fmt.Sprintf("%d more %s", len(ms)-max, plural(len(ms)-max, "model", "models")))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", Printable(fm.name), fm.n))
	}
	return strings.Join(parts, ", ")
}

// userSample is a source whose sample is the user model's objects only,
// for the preset's suggestions and checks.
func (sc *fixtureScan) userSample(src *Source) *Source {
	rows := sc.user.rows
	cols, capped := jsonColumns(rows)
	s := &Source{ctx: src.Context(), name: src.Name(), format: FormatJSON, columns: cols, capped: capped, sample: rows}
	if sc.whole && sc.user.n == len(rows) {
		s.done, s.num = true, len(rows)
	}
	return s
}

// buildDjangoFixture maps the user model's fields of a fixture.
func buildDjangoFixture(src *Source, o SuggestOptions) (*Mapping, *SuggestReport, error) {
	sc, err := scanFixture(src)
	if err != nil {
		return nil, nil, err
	}
	read := fmt.Sprintf("its %d objects", sc.objects)
	if !sc.whole {
		read = fmt.Sprintf("the first %d objects", sc.objects)
	}
	if sc.user == nil {
		return nil, nil, fmt.Errorf("%s is a Django fixture (dumpdata) with no user model among %s (%s): no model has a user's password and last_login fields. Dump the user model too (python manage.py dumpdata auth.user, or your AUTH_USER_MODEL such as users.user)",
			src.Name(), read, modelList(sc.byCount(), 8))
	}
	us := sc.userSample(src)
	r := newPresetReport("Django")
	r.sample = us
	m := newPresetMapping(src, o, "django")
	m.Source = SourceSpec{Format: FormatJSON, Model: strings.ToLower(sc.user.name)}
	if src.Format() == FormatNDJSON {
		m.Source.Format = FormatNDJSON
	}
	others := sc.objects - sc.user.n
	r.note("a Django fixture (dumpdata): of %s, %d %s of the user model %s (source.model: %s)", read, sc.user.n, plural(sc.user.n, "is an object", "are objects"), Printable(sc.user.name), m.Source.Model)
	if others > 0 {
		r.note("the other %d %s not users (%s): each gets one line in the report, \"not a user: <model>\", and is neither sent nor counted invalid", others, plural(others, "object is", "objects are"), modelList(sc.byCount(), 6))
	}
	for _, fm := range sc.others {
		r.note("%s looks like a user model too (%d %s): its objects are reported as not users; set source.model: %s in the mapping to import them instead", Printable(fm.name), fm.n, plural(fm.n, "object", "objects"), strings.ToLower(fm.name))
	}
	if fm := sc.models["account.emailaddress"]; fm != nil {
		r.note("the fixture holds %d account.emailaddress %s (django-allauth, with the verified flags): they are not joined to the users, so email_verified is left unset", fm.n, plural(fm.n, "object", "objects"))
	}
	nameSourceID(us, m, "pk") // the old id: the primary key
	keys := sc.user.keys
	field := func(k string) string {
		if keys[k] {
			return "fields." + k
		}
		return ""
	}
	r.setFound(m, "email", field("email"), T("trim"), T("lowercase"))
	r.setFound(m, "given_name", field("first_name"), T("trim"))
	r.setFound(m, "family_name", field("last_name"), T("trim"))
	r.setFound(m, "disabled", field("is_active"), T("bool"), T("not"))
	// "!..." is Django's unusable password (social or invited users).
	r.setFound(m, "password.password_hash", field("password"), T("trim"), TA("drop", "!*"))
	if m.Fields["email"] == nil && o.Identifier == "" && keys["username"] {
		m.Identifier = IdentifierUsername
	}
	mapUsername(us, m, r, field("username"))
	unusable := 0
	for _, v := range sampleValues(us, "fields.password") {
		if strings.HasPrefix(v, "!") {
			unusable++
		}
	}
	if unusable > 0 {
		r.note("%d sampled users have no usable password in Django (the '!' marker: social or invited users): they are imported without one", unusable)
	}
	var limits []string
	if sc.models["account.emailaddress"] == nil {
		limits = append(limits, djangoLimits[0])
	}
	limits = append(limits, djangoFixtureRoles(us, m, r, keys)...)
	limits = append(limits, noteOldIDs, noteNoTimes)
	known := []string{"model", "pk"}
	for _, c := range append(append([]string{}, djangoColumns...), "groups", "user_permissions") {
		known = append(known, "fields."+c)
	}
	addSuggestedExtras(us, m, r, known)

	return finishPreset(us, m, r, limits)
}

// djangoFixtureRoles maps is_staff/is_superuser to the roles staff and
// superuser, and groups given by name (dumpdata --natural-foreign) to
// groups, when the sampled users have them; it returns the limits left.
func djangoFixtureRoles(us *Source, m *Mapping, r *presetReport, keys map[string]bool) []string {
	var limits []string
	var flags []string
	for _, f := range [][2]string{{"is_staff", "staff"}, {"is_superuser", "superuser"}} {
		if !keys[f[0]] {
			continue
		}
		for _, v := range sampleValues(us, "fields."+f[0]) {
			if b, err := ParseBool(v); err == nil && b {
				flags = append(flags, f[0]+"="+f[1])
				break
			}
		}
	}
	if len(flags) > 0 {
		r.set(m, "roles", "fields", TA("true_keys", strings.Join(flags, ",")))
		r.noteWith(RemedyCreateRoles, "roles ← %s: a user with is_staff true gets the role staff, with is_superuser true the role superuser; %s (or have them created at the import)", strings.Join(flags, ", "), noteRolesExist)
	}
	if keys["groups"] {
		named, ids := 0, 0
		for _, row := range us.Sample() {
			_, fields, _ := fixtureObject(row.Object)
			list, _ := fields["groups"].([]any)
			for _, g := range list {
				switch g.(type) {
				case string, []any:
					named++
				default:
					ids++
				}
			}
		}
		switch {
		case named > 0 && ids == 0:
			r.set(m, "groups", "fields.groups")
			r.noteWith(RemedyCreateRoles, "groups ← fields.groups: the groups are given by name (dumpdata --natural-foreign); %s (or have them created at the import)", noteRolesExist)
		case ids > 0:
			limits = append(limits, "groups are given by their ids (fields.groups), not their names, and are not mapped: dump again with --natural-foreign (python manage.py dumpdata --natural-foreign ...) to have their names, then map groups ← fields.groups")
		}
	}
	limits = append(limits, "user_permissions are not mapped: Authgear has roles and groups, not per-user permissions")
	return limits
}
