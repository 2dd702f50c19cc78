package sandbox

import (
	"sort"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is a snapshot of one imported user, for tests.
type User struct {
	ID        string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Identities are the login IDs, in creation order.
	Identities     []Identity
	VerifiedClaims []Claim
	// StandardAttributes are the non-identity standard attributes (name,
	// given_name, ..., address).
	StandardAttributes map[string]any
	CustomAttributes   map[string]any
	Roles, Groups      []string
	// PasswordHash is the primary password's hash ("" if none).
	PasswordHash        string
	PasswordExpireAfter *time.Time
	MFA                 MFA
	Disabled            bool
	AccountValidFrom    *time.Time
	AccountValidUntil   *time.Time
}

// Identity is a login-ID identity.
type Identity struct {
	// Key and Type are both "email", "phone" or "username" here.
	Key, Type string
	// Value is the normalised claim (lowercased email, E.164 phone,
	// case-folded username); OriginalValue the value as sent.
	Value, OriginalValue string
}

// Claim is a verified claim.
type Claim struct {
	Name, Value string
}

// MFA holds a user's secondary authenticators.
type MFA struct {
	PasswordHash string
	Emails       []string
	PhoneNumbers []string
	TOTPSecrets  []string
}

type identity struct {
	id       string
	userID   string
	key      string
	claim    string
	original string
}

type password struct {
	hash        string
	expireAfter *time.Time
}

type user struct {
	id          string
	createdAt   time.Time
	updatedAt   time.Time
	identities  []*identity
	verified    []Claim
	std         map[string]any
	custom      map[string]any
	roles       []string
	groups      []string
	password    *password
	mfaPassword *password
	mfaEmails   []string
	mfaPhones   []string
	totps       []string
	disabled    bool
	// disableReason is setDisabledStatus's reason (sessions.go).
	disableReason string
	validFrom     *time.Time
	validUntil    *time.Time
}

// clone copies u deeply enough for an upsert to work on it and then
// either commit or drop it (one transaction per record).
func (u *user) clone() *user {
	c := *u
	c.identities = make([]*identity, len(u.identities))
	for i, id := range u.identities {
		cp := *id
		c.identities[i] = &cp
	}
	c.verified = append([]Claim(nil), u.verified...)
	c.std = copyMap(u.std)
	c.custom = copyMap(u.custom)
	c.roles = append([]string(nil), u.roles...)
	c.groups = append([]string(nil), u.groups...)
	c.mfaEmails = append([]string(nil), u.mfaEmails...)
	c.mfaPhones = append([]string(nil), u.mfaPhones...)
	c.totps = append([]string(nil), u.totps...)
	return &c
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = deepCopy(v)
	}
	return c
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = deepCopy(e)
		}
		return c
	default:
		return v
	}
}

// store is the project's database: users and their login IDs, unique per
// (key, normalised value).
type store struct {
	users    map[string]*user
	order    []string
	byUnique map[string]*identity
}

func newStore() *store {
	return &store{users: map[string]*user{}, byUnique: map[string]*identity{}}
}

func uniqueKey(key, claim string) string { return key + "\x00" + claim }

// listByClaim is IdentityService.ListByClaim: WHERE claims->>name = value,
// that is the stored (normalised) claim compared with the raw value given
// (md §3.2, real-server/l01-l04).
func (st *store) listByClaim(key, raw string) []*identity {
	if id, ok := st.byUnique[uniqueKey(key, raw)]; ok {
		return []*identity{id}
	}
	return nil
}

// duplicate is CheckDuplicated: another identity with the same key and
// normalised value.
func (st *store) duplicate(id *identity) *identity {
	if other, ok := st.byUnique[uniqueKey(id.key, id.claim)]; ok && other.id != id.id {
		return other
	}
	return nil
}

// put commits u (new or a modified clone) and its identities.
func (st *store) put(u *user) {
	if old, ok := st.users[u.id]; ok {
		for _, id := range old.identities {
			if cur, ok := st.byUnique[uniqueKey(id.key, id.claim)]; ok && cur.id == id.id {
				delete(st.byUnique, uniqueKey(id.key, id.claim))
			}
		}
	} else {
		st.order = append(st.order, u.id)
	}
	for _, id := range u.identities {
		st.byUnique[uniqueKey(id.key, id.claim)] = id
	}
	st.users[u.id] = u
}

func (u *user) snapshot() User {
	out := User{
		ID:                 u.id,
		CreatedAt:          u.createdAt,
		UpdatedAt:          u.updatedAt,
		VerifiedClaims:     append([]Claim(nil), u.verified...),
		StandardAttributes: copyMap(u.std),
		CustomAttributes:   copyMap(u.custom),
		Roles:              append([]string(nil), u.roles...),
		Groups:             append([]string(nil), u.groups...),
		Disabled:           u.disabled,
		AccountValidFrom:   copyTime(u.validFrom),
		AccountValidUntil:  copyTime(u.validUntil),
		MFA: MFA{
			Emails:       append([]string(nil), u.mfaEmails...),
			PhoneNumbers: append([]string(nil), u.mfaPhones...),
			TOTPSecrets:  append([]string(nil), u.totps...),
		},
	}
	for _, id := range u.identities {
		out.Identities = append(out.Identities, Identity{Key: id.key, Type: id.key, Value: id.claim, OriginalValue: id.original})
	}
	if u.password != nil {
		out.PasswordHash = u.password.hash
		out.PasswordExpireAfter = copyTime(u.password.expireAfter)
	}
	if u.mfaPassword != nil {
		out.MFA.PasswordHash = u.mfaPassword.hash
	}
	return out
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// Users returns a snapshot of every user, in creation order.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.store.order))
	for _, id := range s.store.order {
		out = append(out, s.store.users[id].snapshot())
	}
	return out
}

// UserByLoginID finds the user owning the login ID of key ("email",
// "phone", "username") whose normalised value is value.
func (s *Server) UserByLoginID(key, value string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.store.byUnique[uniqueKey(key, value)]
	if !ok {
		return User{}, false
	}
	return s.store.users[id.userID].snapshot(), true
}

// CheckPassword reports whether password matches the primary password of
// the user owning the login ID (key, value), as a login would
// (real-server/h03).
func (s *Server) CheckPassword(key, value, plain string) bool {
	u, ok := s.UserByLoginID(key, value)
	if !ok || u.PasswordHash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(plain)) == nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
