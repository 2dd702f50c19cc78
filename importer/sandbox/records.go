package sandbox

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// stdAttrKeys are the non-identity standard attributes a record can set.
var stdAttrKeys = []string{
	"name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture",
	"website", "gender", "birthdate", "zoneinfo", "locale", "address",
}

var addressKeys = map[string]bool{
	"formatted": true, "street_address": true, "locality": true, "region": true, "postal_code": true, "country": true,
}

// identityFields in the order insertIdentitiesInTxn handles them.
var identityFields = []string{"email", "phone_number", "preferred_username"}

// importRecordLocked is importRecordInConn + importRecordInTxn for one
// record. crash reports the real server's panic on a null identifier
// (real-server/c24): the caller then fails the whole task.
func (s *Server) importRecordLocked(identifier string, upsert bool, idx int, raw json.RawMessage) (d Detail, crash bool) {
	d = Detail{Index: idx, Outcome: OutcomeFailed}

	// The record as echoed back: decoded like Record (float64 numbers),
	// then redacted.
	var echo map[string]any
	if err := json.Unmarshal(raw, &echo); err == nil {
		redact(echo)
		if len(echo) > 0 {
			d.Record = echo
		}
	}

	inst, err := decodeForSchema(raw)
	if err != nil {
		d.Errors = []*APIError{errUnexpected()}
		return d, false
	}
	if causes := s.schemas.records[identifier].validate(inst); causes != nil {
		d.Errors = []*APIError{errValidation("invalid value", causes, true)}
		return d, false
	}

	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		d.Errors = []*APIError{errUnexpected()}
		return d, false
	}
	value, _ := rec[identifier].(string)
	if rec[identifier] == nil {
		// `*emailPtr` on a nil pointer: the worker panics and the task is
		// lost; this record's transaction never commits.
		return d, true
	}

	matches := s.store.listByClaim(keyForField[identifier], value)
	var apiErr *APIError
	switch len(matches) {
	case 0:
		apiErr = s.insertLocked(&d, rec)
	case 1:
		if upsert {
			apiErr = s.upsertLocked(&d, identifier, rec, s.store.users[matches[0].userID])
		} else {
			d.UserID = matches[0].userID
			d.Outcome = OutcomeSkipped
			d.Warnings = append(d.Warnings, Warning{Message: "skipping because upsert = false and user exists"})
		}
	default:
		apiErr = errUnexpected() // "unexpected number of identities found"
	}
	if apiErr != nil {
		d.Outcome = OutcomeFailed
		d.UserID = ""
		d.Errors = []*APIError{apiErr}
	}
	return d, false
}

// redact is Record.Redact.
func redact(rec map[string]any) {
	redactPassword := func(m map[string]any, key string) {
		v, ok := m[key]
		if !ok || v == nil {
			return
		}
		if pw, ok := v.(map[string]any); ok {
			pw["password_hash"] = "REDACTED"
		} else {
			m[key] = "REDACTED"
		}
	}
	redactPassword(rec, "password")
	v, ok := rec["mfa"]
	if !ok || v == nil {
		return
	}
	mfa, ok := v.(map[string]any)
	if !ok {
		rec["mfa"] = "REDACTED"
		return
	}
	redactPassword(mfa, "password")
	if t, ok := mfa["totp"]; ok && t != nil {
		if totp, ok := t.(map[string]any); ok {
			totp["secret"] = "REDACTED"
		} else {
			mfa["totp"] = "REDACTED"
		}
	}
}

func (s *Server) warn(d *Detail, msg string) {
	d.Warnings = append(d.Warnings, Warning{Message: msg})
}

// newIdentityLocked is IdentityService.New for a login ID: the checker,
// then the normaliser.
func (s *Server) newIdentityLocked(userID, key, value string) (*identity, *APIError) {
	if e := checkLoginID(key, value, s.loginIDs[key], s.possibleOnly); e != nil {
		return nil, e
	}
	claim, err := normalizeLoginID(key, value)
	if err != nil {
		return nil, errUnexpected()
	}
	return &identity{id: newUUID(), userID: userID, key: key, claim: claim, original: strings.TrimSpace(value)}, nil
}

// insertLocked is insertRecordInTxn, step by step in the same order, so a
// record failing twice over reports the same error as the real server.
func (s *Server) insertLocked(d *Detail, rec map[string]any) *APIError {
	now := s.now().UTC()
	u := &user{id: newUUID(), createdAt: now, updatedAt: now, std: map[string]any{}, custom: map[string]any{}}

	// Identities.
	for _, field := range identityFields {
		v, ok := rec[field]
		if !ok {
			continue
		}
		key := keyForField[field]
		if v == nil {
			s.warn(d, field+" = null has no effect in insert.")
			continue
		}
		if !s.loginIDs[key] {
			s.warn(d, field+" is ignored because it is not an allowed login ID.")
			continue
		}
		id, e := s.newIdentityLocked(u.id, key, v.(string))
		if e != nil {
			return e
		}
		u.identities = append(u.identities, id)
	}
	for _, id := range u.identities {
		if dup := s.store.duplicate(id); dup != nil {
			return errDuplicatedIdentity(id.key, dup.key)
		}
	}

	// Verified claims.
	for _, vc := range []struct{ flag, key, claim string }{
		{"email_verified", keyEmail, "email"},
		{"phone_number_verified", keyPhone, "phone_number"},
	} {
		b, ok := rec[vc.flag].(bool)
		if !ok {
			continue
		}
		if !b {
			s.warn(d, vc.flag+" = false has no effect in insert.")
			continue
		}
		var found *identity
		for _, id := range u.identities {
			if id.key == vc.key {
				found = id
				break
			}
		}
		if found == nil {
			s.warn(d, vc.flag+" = true has no effect when "+vc.claim+" is absent.")
			continue
		}
		u.verified = append(u.verified, Claim{Name: vc.claim, Value: found.claim})
	}

	if e := s.applyAttributes(u, rec); e != nil {
		return e
	}

	if b, ok := rec["disabled"].(bool); ok {
		if !b {
			s.warn(d, "disabled = false has no effect in insert.")
		} else {
			u.disabled = true
		}
	}
	if e := applyValidPeriod(u, rec); e != nil {
		return e
	}
	if e := s.applyRolesGroups(u, rec); e != nil {
		return e
	}

	// Authenticators.
	if pw, ok := rec["password"].(map[string]any); ok {
		p, e := newPassword(pw)
		if e != nil {
			return e
		}
		u.password = p
	}
	if mfa, ok := rec["mfa"].(map[string]any); ok {
		if pw, ok := mfa["password"].(map[string]any); ok {
			p, e := newPassword(pw)
			if e != nil {
				return e
			}
			u.mfaPassword = p
		}
		if v, ok := mfa["email"]; ok {
			if v == nil {
				s.warn(d, "mfa.email = null has no effect in insert.")
			} else {
				u.mfaEmails = append(u.mfaEmails, v.(string))
			}
		}
		if v, ok := mfa["phone_number"]; ok {
			if v == nil {
				s.warn(d, "mfa.phone_number = null has no effect in insert.")
			} else {
				u.mfaPhones = append(u.mfaPhones, v.(string))
			}
		}
		if totp, ok := mfa["totp"].(map[string]any); ok {
			secret, _ := totp["secret"].(string)
			if e := checkTOTPSecret(secret); e != nil {
				return e
			}
			u.totps = append(u.totps, secret)
		}
	}

	s.store.put(u)
	d.UserID = u.id
	d.Outcome = OutcomeInserted
	return nil
}

// upsertLocked is upsertRecordInTxn on a copy of the user, committed only
// if every step succeeds. password, mfa.password and mfa.totp are ignored
// on update (md §3.4).
func (s *Server) upsertLocked(d *Detail, identifier string, rec map[string]any, existing *user) *APIError {
	u := existing.clone()
	u.updatedAt = s.now().UTC()

	// Identities other than the identifier's own.
	for _, field := range identityFields {
		if field == identifier {
			continue
		}
		v, ok := rec[field]
		if !ok {
			continue
		}
		key := keyForField[field]
		if v == nil {
			kept := u.identities[:0]
			for _, id := range u.identities {
				if id.key != key {
					kept = append(kept, id)
				}
			}
			u.identities = kept
			continue
		}
		id, e := s.newIdentityLocked(u.id, key, v.(string))
		if e != nil {
			return e
		}
		replaced := false
		for i, old := range u.identities {
			if old.key == key {
				id.id = old.id
				u.identities[i] = id
				replaced = true
			}
		}
		if !replaced {
			u.identities = append(u.identities, id)
		}
		if dup := s.store.duplicate(id); dup != nil {
			return errDuplicatedIdentity(id.key, dup.key)
		}
	}

	// Verified claims: only when the identity's claim equals the raw value.
	for _, vc := range []struct{ flag, field, key, claim string }{
		{"email_verified", "email", keyEmail, "email"},
		{"phone_number_verified", "phone_number", keyPhone, "phone_number"},
	} {
		b, ok := rec[vc.flag].(bool)
		if !ok {
			continue
		}
		v, present := rec[vc.field]
		if !present {
			s.warn(d, vc.flag+" has no effect when "+vc.field+" is absent.")
			continue
		}
		if v == nil {
			s.warn(d, vc.flag+" has no effect when "+vc.field+" = null.")
			continue
		}
		raw := v.(string)
		var c *Claim
		for _, id := range u.identities {
			if id.key == vc.key && id.claim == raw {
				c = &Claim{Name: vc.claim, Value: id.claim}
			}
		}
		if c == nil {
			continue
		}
		idx := -1
		for i, have := range u.verified {
			if have == *c {
				idx = i
			}
		}
		if b && idx < 0 {
			u.verified = append(u.verified, *c)
		} else if !b && idx >= 0 {
			u.verified = append(u.verified[:idx], u.verified[idx+1:]...)
		}
	}

	if e := s.applyAttributes(u, rec); e != nil {
		return e
	}

	if b, ok := rec["disabled"].(bool); ok {
		// An impossible transition is only a warning on update.
		if b {
			if u.disabled {
				s.warn(d, "invalid account status transition: disabled -> disabled")
			} else {
				u.disabled = true
			}
		} else {
			if !u.disabled {
				s.warn(d, fmt.Sprintf("invalid account status transition: %s -> normal", statusType(u, s.now())))
			} else {
				u.disabled = false
			}
		}
	}
	if e := applyValidPeriod(u, rec); e != nil {
		return e
	}
	if e := s.applyRolesGroups(u, rec); e != nil {
		return e
	}

	if mfa, ok := rec["mfa"].(map[string]any); ok {
		if v, ok := mfa["email"]; ok {
			u.mfaEmails = upsertOOB(u.mfaEmails, v)
		}
		if v, ok := mfa["phone_number"]; ok {
			u.mfaPhones = upsertOOB(u.mfaPhones, v)
		}
	}

	s.store.put(u)
	d.UserID = u.id
	d.Outcome = OutcomeUpdated
	return nil
}

func statusType(u *user, now time.Time) string {
	if u.disabled {
		return "disabled"
	}
	if (u.validFrom != nil && now.Before(*u.validFrom)) || (u.validUntil != nil && !now.Before(*u.validUntil)) {
		return "outside_valid_period"
	}
	return "normal"
}

// upsertOOB: null deletes every such authenticator; a value keeps a
// matching one, or replaces them all with it.
func upsertOOB(have []string, v any) []string {
	if v == nil {
		return nil
	}
	target := v.(string)
	for _, h := range have {
		if h == target {
			return have
		}
	}
	return []string{target}
}

// applyAttributes merges the standard attributes (null removes, address
// replaced whole, unknown address keys dropped) and the configured custom
// attributes (others ignored, real-server/m02 #10, #12). A NUL character
// is refused by PostgreSQL: the record fails with UnexpectedError
// (real-server/m02 #33).
func (s *Server) applyAttributes(u *user, rec map[string]any) *APIError {
	for _, k := range stdAttrKeys {
		v, ok := rec[k]
		if !ok {
			continue
		}
		if v == nil {
			delete(u.std, k)
			continue
		}
		if k == "address" {
			addr := map[string]any{}
			for ak, av := range v.(map[string]any) {
				if addressKeys[ak] {
					addr[ak] = av
				}
			}
			v = addr
		}
		if hasNUL(v) {
			return errUnexpected()
		}
		u.std[k] = v
	}
	if custom, ok := rec["custom_attributes"].(map[string]any); ok {
		for _, k := range sortedKeys(custom) {
			if !s.customAttrs[k] && !s.customAttrs["*"] {
				continue
			}
			v := custom[k]
			if v == nil {
				delete(u.custom, k)
				continue
			}
			if hasNUL(v) {
				return errUnexpected()
			}
			u.custom[k] = v
		}
	}
	return nil
}

func hasNUL(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.ContainsRune(t, 0)
	case map[string]any:
		for k, e := range t {
			if strings.ContainsRune(k, 0) || hasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// applyValidPeriod sets account_valid_from/until; from must be before
// until (real-server/m02 #17).
func applyValidPeriod(u *user, rec map[string]any) *APIError {
	changed := false
	for _, f := range []struct {
		key string
		dst **time.Time
	}{{"account_valid_from", &u.validFrom}, {"account_valid_until", &u.validUntil}} {
		v, ok := rec[f.key].(string)
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return errUnexpected()
		}
		*f.dst = &t
		changed = true
	}
	if changed && u.validFrom != nil && u.validUntil != nil && !u.validFrom.Before(*u.validUntil) {
		return errInvalidValidPeriod()
	}
	return nil
}

// applyRolesGroups is ResetUserRole and ResetUserGroup: the list replaces
// the user's; every key must exist (real-server/m02 #13, #14).
func (s *Server) applyRolesGroups(u *user, rec map[string]any) *APIError {
	for _, rg := range []struct {
		field string
		set   keySet
		dst   *[]string
		err   func([]string) *APIError
	}{
		{"roles", s.roles, &u.roles, errRoleUnknownKeys},
		{"groups", s.groups, &u.groups, errGroupUnknownKeys},
	} {
		list, ok := rec[rg.field].([]any)
		if !ok {
			continue
		}
		var keys, unknown []string
		seen := map[string]bool{}
		for _, e := range list {
			k := e.(string)
			if seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
			if !rg.set.has(k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			return rg.err(unknown)
		}
		*rg.dst = keys
	}
	return nil
}

// newPassword is the password authenticator's CheckHash: "$<id>$..." is
// required (anything else is a plain Go error, hence 500 UnexpectedError,
// real-server/c22 #11); bcrypt.Cost's errors become InvalidBcryptHash
// (c22 #4, m02 #22).
func newPassword(pw map[string]any) (*password, *APIError) {
	hash, _ := pw["password_hash"].(string)
	if !strings.HasPrefix(hash, "$") {
		return nil, errUnexpected()
	}
	rest := hash[1:]
	i := strings.Index(rest, "$")
	if i < 0 {
		return nil, errUnexpected()
	}
	check := hash
	if rest[:i] == "bcrypt-sha512" {
		check = rest[i+1:]
	}
	if _, err := bcrypt.Cost([]byte(check)); err != nil {
		var tooNew bcrypt.HashVersionTooNewError
		var prefix bcrypt.InvalidHashPrefixError
		var cost bcrypt.InvalidCostError
		if errors.Is(err, bcrypt.ErrHashTooShort) || errors.Is(err, bcrypt.ErrPasswordTooLong) ||
			errors.As(err, &tooNew) || errors.As(err, &prefix) || errors.As(err, &cost) {
			return nil, errInvalidBcryptHash(err.Error())
		}
		return nil, errUnexpected()
	}
	p := &password{hash: hash}
	if s, ok := pw["expire_after"].(string); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, errUnexpected()
		}
		p.expireAfter = &t
	}
	return p, nil
}

// checkTOTPSecret: the secret must decode as base32; the decoder's error is
// the message (real-server/m02 #23).
func checkTOTPSecret(secret string) *APIError {
	padded := secret
	if n := len(padded) % 8; n != 0 {
		padded += strings.Repeat("=", 8-n)
	}
	if _, err := base32.StdEncoding.DecodeString(padded); err != nil {
		return errInvalidTOTPSecret(err.Error())
	}
	return nil
}
