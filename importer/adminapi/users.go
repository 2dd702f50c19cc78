package adminapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Look-up batching defaults. 50 aliased look-ups in one request took 0.19 s
// on a real server (shared/real-server/q08); single ones 5 to 40 ms.
const (
	DefaultBatchSize   = 50
	DefaultConcurrency = 4
	maxBatchSize       = 200
	maxConcurrency     = 32
)

// KeyPattern is the pattern a role or group key must match
// (shared/real-server/q12, q13): "beta-testers" and "Has Space" can never
// exist in Authgear.
var KeyPattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9:_]*$`)

// User is what the Admin API holds about a user, as verify compares it.
type User struct {
	// ID is the global id (base64url of "User:<uuid>"); UserID the uuid
	// that an import job's details carry.
	ID, UserID string
	CreatedAt  time.Time
	Disabled   bool
	// StandardAttributes as the server holds them (updated_at included).
	StandardAttributes map[string]any
	CustomAttributes   map[string]any
	Roles, Groups      []string
	LoginIDs           []LoginID
	Authenticators     []Authenticator
	VerifiedClaims     []VerifiedClaim
}

// LoginID is one LOGIN_ID identity: Key is the config key (email, phone,
// username), Value the normalised value, Original the value as given.
type LoginID struct {
	Key, Type, Value, Original string
}

// Authenticator is one authenticator: Type PASSWORD, OOB_OTP_EMAIL, ...;
// Kind PRIMARY or SECONDARY.
type Authenticator struct {
	Type, Kind string
}

// VerifiedClaim is a verified claim (email, phone_number).
type VerifiedClaim struct {
	Name, Value string
}

// Login ID claim names inside an identity's claims.
const (
	claimLoginIDKey      = "https://authgear.com/claims/login_id/key"
	claimLoginIDType     = "https://authgear.com/claims/login_id/type"
	claimLoginIDValue    = "https://authgear.com/claims/login_id/value"
	claimLoginIDOriginal = "https://authgear.com/claims/login_id/original_value"
)

// UserGlobalID turns a user id (the uuid of an import job's details) into
// the GraphQL global id: base64url without padding of "User:<uuid>". The
// Admin API refuses a raw uuid (real-server/q18).
func UserGlobalID(userID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("User:" + userID))
}

// UserIDFromGlobal is the inverse of UserGlobalID; ok is false for an id
// that is not a user's.
func UserIDFromGlobal(id string) (userID string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", false
	}
	rest, ok := strings.CutPrefix(string(b), "User:")
	if !ok || !ValidUserID(rest) {
		return "", false
	}
	return rest, true
}

func userFromFields(f *userFields) *User {
	u := &User{
		ID:                 clip(f.Id, maxShortText),
		CreatedAt:          f.CreatedAt,
		Disabled:           f.IsDisabled,
		StandardAttributes: boundMap(f.StandardAttributes),
		CustomAttributes:   boundMap(f.CustomAttributes),
	}
	u.UserID, _ = UserIDFromGlobal(f.Id)
	for _, e := range f.Roles.Edges {
		u.Roles = append(u.Roles, clip(e.Node.Key, maxShortText))
	}
	for _, e := range f.Groups.Edges {
		u.Groups = append(u.Groups, clip(e.Node.Key, maxShortText))
	}
	for _, e := range f.Identities.Edges {
		n := e.Node
		if string(n.Type) != "LOGIN_ID" {
			continue
		}
		str := func(k string) string { s, _ := n.Claims[k].(string); return clip(s, maxInfoText) }
		u.LoginIDs = append(u.LoginIDs, LoginID{
			Key: str(claimLoginIDKey), Type: str(claimLoginIDType),
			Value: str(claimLoginIDValue), Original: str(claimLoginIDOriginal),
		})
	}
	for _, e := range f.Authenticators.Edges {
		u.Authenticators = append(u.Authenticators, Authenticator{Type: string(e.Node.Type), Kind: string(e.Node.Kind)})
	}
	for _, c := range f.VerifiedClaims {
		u.VerifiedClaims = append(u.VerifiedClaims, VerifiedClaim{Name: clip(c.Name, maxShortText), Value: clip(c.Value, maxInfoText)})
	}
	return u
}

func boundMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	b, _ := boundInfo(m, 0).(map[string]any)
	if b == nil {
		return map[string]any{}
	}
	return b
}

// BatchOptions bound a batched look-up: Size look-ups per request
// (default DefaultBatchSize), Concurrency requests at once (default
// DefaultConcurrency), and Progress, if set, is called after each request
// with the number of look-ups done so far.
type BatchOptions struct {
	Size        int
	Concurrency int
	Progress    func(done int)
}

func (o BatchOptions) norm() BatchOptions {
	if o.Size <= 0 {
		o.Size = DefaultBatchSize
	}
	o.Size = min(o.Size, maxBatchSize)
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	o.Concurrency = min(o.Concurrency, maxConcurrency)
	return o
}

// LoginIDLookup is one look-up by login ID: Key is the login ID key of the
// project config (email, phone, username), not the record's field name.
type LoginIDLookup struct {
	Key, Value string
}

// LookupResult is the answer to one look-up: User is nil when nobody holds
// the login ID; Err is the GraphQL error of that look-up (for example
// GetUsersInvalidArgument for a key that is not configured).
type LookupResult struct {
	User *User
	Err  error
}

// userFieldsFragment is the fragment text of the generated operations, so
// the aliased batches select exactly what userFields decodes.
var userFieldsFragment = func() string {
	i := strings.Index(userByLoginID_Operation, "fragment userFields on User")
	if i < 0 {
		panic("adminapi: the generated userByLoginID operation has no userFields fragment")
	}
	return userByLoginID_Operation[i:]
}()

// LookupUsers looks users up by login ID, Size look-ups per request through
// aliases, Concurrency requests at once. results[i] answers lookups[i]. The
// error is a request failure (after retries); the context's end stops the
// look-ups that have not started.
func (c *Client) LookupUsers(ctx context.Context, lookups []LoginIDLookup, o BatchOptions) ([]LookupResult, error) {
	o = o.norm()
	results := make([]LookupResult, len(lookups))
	err := c.batches(ctx, len(lookups), o, func(ctx context.Context, lo, hi int) error {
		query, vars := lookupQuery(lookups[lo:hi])
		resp, err := c.GraphQL(ctx, query, vars)
		if err != nil {
			return err
		}
		var data map[string]json.RawMessage
		if len(resp.Data) > 0 {
			if err := json.Unmarshal(resp.Data, &data); err != nil {
				return &AnswerError{Status: 200, Problem: "the GraphQL data is not an object"}
			}
		}
		for i := lo; i < hi; i++ {
			alias := "u" + strconv.Itoa(i-lo)
			if es := resp.Errors.ForPath(alias); len(es) > 0 {
				results[i].Err = es
				continue
			}
			raw, ok := data[alias]
			if !ok {
				if len(resp.Errors) > 0 {
					results[i].Err = resp.Errors
				} else {
					results[i].Err = &AnswerError{Status: 200, Problem: "the answer has no " + alias}
				}
				continue
			}
			if string(raw) == "null" {
				continue
			}
			var f userFields
			if err := json.Unmarshal(raw, &f); err != nil {
				results[i].Err = &AnswerError{Status: 200, Problem: "a user in the answer does not have the expected shape: " + clip(err.Error(), maxInfoText)}
				continue
			}
			results[i].User = userFromFields(&f)
		}
		return nil
	})
	return results, err
}

// lookupQuery is one request of aliased look-ups: u0, u1, ... with
// variables k0/v0, k1/v1, ..., each selecting userFields.
func lookupQuery(lookups []LoginIDLookup) (string, map[string]any) {
	var q strings.Builder
	vars := make(map[string]any, 2*len(lookups))
	q.WriteString("query(")
	for i, l := range lookups {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "$k%d: String!, $v%d: String!", i, i)
		vars["k"+strconv.Itoa(i)] = l.Key
		vars["v"+strconv.Itoa(i)] = l.Value
	}
	q.WriteString(") {\n")
	for i := range lookups {
		fmt.Fprintf(&q, "\tu%d: getUserByLoginID(loginIDKey: $k%d, loginIDValue: $v%d) { ...userFields }\n", i, i, i)
	}
	q.WriteString("}\n")
	q.WriteString(userFieldsFragment)
	return q.String(), vars
}

// LookupUser looks one login ID up; nil when nobody holds it.
func (c *Client) LookupUser(ctx context.Context, key, value string) (*User, error) {
	resp, err := userByLoginID(ctx, c, key, value)
	if err != nil {
		return nil, err
	}
	if resp.User == nil {
		return nil, nil
	}
	return userFromFields(&resp.User.userFields), nil
}

// UsersByID reads users by their user id (uuid), Size per request,
// Concurrency requests at once; users[i] is nil when userIDs[i] no longer
// exists (or is not a user id).
func (c *Client) UsersByID(ctx context.Context, userIDs []string, o BatchOptions) ([]*User, error) {
	o = o.norm()
	users := make([]*User, len(userIDs))
	err := c.batches(ctx, len(userIDs), o, func(ctx context.Context, lo, hi int) error {
		ids := make([]string, 0, hi-lo)
		for _, id := range userIDs[lo:hi] {
			ids = append(ids, UserGlobalID(id))
		}
		resp, err := userNodes(ctx, c, ids)
		if err != nil {
			return err
		}
		if len(resp.Nodes) != len(ids) {
			return &AnswerError{Status: 200, Problem: fmt.Sprintf("asked for %d users, the answer has %d", len(ids), len(resp.Nodes))}
		}
		for j, n := range resp.Nodes {
			if u, ok := n.(*userNodesNodesUser); ok && u != nil {
				users[lo+j] = userFromFields(&u.userFields)
			}
		}
		return nil
	})
	return users, err
}

// batches runs do over [0,n) in slices of o.Size, o.Concurrency at once;
// the first error stops the slices not yet started and is returned.
func (c *Client) batches(ctx context.Context, n int, o BatchOptions, do func(ctx context.Context, lo, hi int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, o.Concurrency)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	for lo := 0; lo < n; lo += o.Size {
		hi := min(lo+o.Size, n)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := do(ctx, lo, hi)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			done += hi - lo
			if o.Progress != nil {
				o.Progress(done)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// RoleKeys lists every role key of the project.
func (c *Client) RoleKeys(ctx context.Context) ([]string, error) {
	var keys []string
	var after string
	for page := 0; page < 1000; page++ {
		resp, err := listRoles(ctx, c, 100, after)
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Roles.Edges {
			keys = append(keys, clip(e.Node.Key, maxShortText))
		}
		if !resp.Roles.PageInfo.HasNextPage || resp.Roles.PageInfo.EndCursor == "" {
			return keys, nil
		}
		after = resp.Roles.PageInfo.EndCursor
	}
	return keys, errors.New("graphql: more than 100,000 roles")
}

// GroupKeys lists every group key of the project.
func (c *Client) GroupKeys(ctx context.Context) ([]string, error) {
	var keys []string
	var after string
	for page := 0; page < 1000; page++ {
		resp, err := listGroups(ctx, c, 100, after)
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Groups.Edges {
			keys = append(keys, clip(e.Node.Key, maxShortText))
		}
		if !resp.Groups.PageInfo.HasNextPage || resp.Groups.PageInfo.EndCursor == "" {
			return keys, nil
		}
		after = resp.Groups.PageInfo.EndCursor
	}
	return keys, errors.New("graphql: more than 100,000 groups")
}

// CreateRole creates a role; created is false (and err nil) when the key
// already exists (RoleDuplicateKey). A key that does not match KeyPattern
// is refused before any request.
func (c *Client) CreateRole(ctx context.Context, key, name string) (created bool, err error) {
	if !KeyPattern.MatchString(key) {
		return false, fmt.Errorf("role key %q does not match %s", clip(key, maxShortText), KeyPattern)
	}
	_, err = createRole(ctx, c, key, name)
	if IsReason(err, ReasonRoleDuplicateKey) {
		return false, nil
	}
	return err == nil, err
}

// CreateGroup creates a group; created is false (and err nil) when the key
// already exists (GroupDuplicateKey).
func (c *Client) CreateGroup(ctx context.Context, key, name string) (created bool, err error) {
	if !KeyPattern.MatchString(key) {
		return false, fmt.Errorf("group key %q does not match %s", clip(key, maxShortText), KeyPattern)
	}
	_, err = createGroup(ctx, c, key, name)
	if IsReason(err, ReasonGroupDuplicateKey) {
		return false, nil
	}
	return err == nil, err
}

// DeleteUser deletes the user with that user id (uuid); deleted is false
// (and err nil) when the user was already gone (UserNotFound). A retried
// deletion that had succeeded the first time reads as already gone.
func (c *Client) DeleteUser(ctx context.Context, userID string) (deleted bool, err error) {
	if !ValidUserID(userID) {
		return false, fmt.Errorf("%q is not a user id", clip(userID, maxShortText))
	}
	_, err = deleteUser(ctx, c, UserGlobalID(userID))
	if IsReason(err, ReasonUserNotFound) {
		return false, nil
	}
	return err == nil, err
}
