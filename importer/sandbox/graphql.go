package sandbox

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	gqlvalidator "github.com/vektah/gqlparser/v2/validator"
)

// graphqlPath is the Admin API's GraphQL endpoint.
const graphqlPath = "/_api/admin/graphql"

// AdminSchema is the Admin API's GraphQL schema as a real server reported
// it (shared/real-server/admin-schema.graphql, printed from its answer to
// the introspection query). The sandbox parses and validates every query
// against it, so a field the real server does not have is refused the
// same way; adminapi's genqlient operations are generated from it.
//
//go:embed admin-schema.graphql
var AdminSchema string

var adminSchema = sync.OnceValues(func() (*ast.Schema, error) {
	return gqlparser.LoadSchema(&ast.Source{Name: "admin-schema.graphql", Input: AdminSchema})
})

// keyPattern is the role and group key pattern (real-server/q12, q13).
var keyPattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9:_]*$`)

// maxGraphQLBody bounds a GraphQL request body.
const maxGraphQLBody = 1 << 20

// rgEntry is a role or group of the project.
type rgEntry struct {
	id, key, name, description string
	createdAt                  time.Time
}

// gqlError is a GraphQL error with Authgear's extensions.
type gqlError struct {
	name, reason, message string
	info                  map[string]any
}

func (e *gqlError) Error() string { return e.message }

var errNotImplemented = errors.New("not implemented by the sandbox")

// serveGraphQL answers POST /_api/admin/graphql: auth first (403 text),
// then the body; a syntax error is 500 UnexpectedError in the REST error
// envelope (real-server/q20), a validation error is HTTP 200 with errors,
// and a resolver's error is HTTP 200 with the field null and
// errors[].extensions {errorName, reason, info} (q06, q11, q12, q16, q18).
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "OPTIONS, POST")
		return
	}
	setSecurityHeaders(w.Header())
	// The answer's Date is the project's clock (Options.Now), the one its
	// users' createdAt are read on.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	if !s.authorize(r) {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	s.stats.GraphQLRequests++
	s.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxGraphQLBody+1))
	if err != nil || len(body) > maxGraphQLBody {
		writeAPIError(w, errBadRequest("invalid request body"))
		return
	}
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeAPIError(w, errInvalidJSON(err.Error(), 0))
		return
	}
	schema, err := adminSchema()
	if err != nil {
		writeAPIError(w, errUnexpected())
		return
	}
	doc, perr := gqlparser.LoadQuery(schema, req.Query)
	if perr != nil {
		// Parse errors: the real server's handler fails with 500.
		if isSyntaxError(req.Query) {
			writeAPIError(w, errUnexpected())
			return
		}
		writeGraphQL(w, nil, validationErrors(perr))
		return
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		writeGraphQL(w, nil, []map[string]any{{"message": "unknown operation"}})
		return
	}
	vars, verr := gqlvalidator.VariableValues(schema, op, req.Variables)
	if verr != nil {
		var ge *gqlerror.Error
		if !errors.As(verr, &ge) {
			ge = gqlerror.Errorf("%s", verr.Error())
		}
		writeGraphQL(w, nil, validationErrors(gqlerror.List{ge}))
		return
	}
	ex := &executor{s: s, schema: schema, doc: doc, vars: vars}
	var root gqlObject = queryRoot{s}
	if op.Operation == ast.Mutation {
		root = mutationRoot{s}
	}
	data, _ := ex.selectionSet(root, op.SelectionSet, nil, true)
	if data == nil {
		writeGraphQL(w, json.RawMessage("null"), ex.errors)
		return
	}
	writeGraphQL(w, data, ex.errors)
}

// isSyntaxError tells a parse error from a validation error.
func isSyntaxError(q string) bool {
	_, err := parser.ParseQuery(&ast.Source{Input: q})
	return err != nil
}

func validationErrors(list gqlerror.List) []map[string]any {
	out := []map[string]any{}
	for _, e := range list {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			locs := []map[string]any{}
			for _, l := range e.Locations {
				locs = append(locs, map[string]any{"line": l.Line, "column": l.Column})
			}
			m["locations"] = locs
		}
		out = append(out, m)
	}
	return out
}

func writeGraphQL(w http.ResponseWriter, data any, errs []map[string]any) {
	out := map[string]any{"data": data}
	if data == nil {
		out["data"] = nil
	}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// gqlObject is a resolved object: its type name and its fields.
type gqlObject interface {
	typeName() string
	field(name string, args map[string]any) (any, error)
}

type executor struct {
	s      *Server
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	errors []map[string]any
}

// selectionSet resolves the fields of obj. ok is false when a non-null
// field is null, so the parent becomes null (GraphQL's null propagation).
func (ex *executor) selectionSet(obj gqlObject, set ast.SelectionSet, path []any, root bool) (map[string]any, bool) {
	out := map[string]any{}
	for _, f := range ex.collect(obj.typeName(), set) {
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		p := append(append([]any(nil), path...), key)
		if f.Name == "__typename" {
			out[key] = obj.typeName()
			continue
		}
		v, err := obj.field(f.Name, f.ArgumentMap(ex.vars))
		if err != nil {
			ex.addError(f, p, err)
			v = nil
		}
		val, ok := ex.complete(v, f.Definition.Type, f.SelectionSet, p)
		if !ok {
			return nil, false
		}
		out[key] = val
	}
	return out, true
}

// complete turns a resolved value into JSON for its type; ok is false for
// a null in a non-null position.
func (ex *executor) complete(v any, t *ast.Type, set ast.SelectionSet, path []any) (any, bool) {
	if isNil(v) {
		return nil, !t.NonNull
	}
	if t.Elem != nil {
		list, _ := v.([]any)
		out := make([]any, 0, len(list))
		for i, e := range list {
			c, ok := ex.complete(e, t.Elem, set, append(append([]any(nil), path...), i))
			if !ok {
				return nil, !t.NonNull
			}
			out = append(out, c)
		}
		return out, true
	}
	if obj, ok := v.(gqlObject); ok {
		m, ok := ex.selectionSet(obj, set, path, false)
		if !ok {
			return nil, !t.NonNull
		}
		return m, true
	}
	return v, true
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch t := v.(type) {
	case *userObj:
		return t == nil
	case *rgObj:
		return t == nil
	}
	return false
}

func (ex *executor) addError(f *ast.Field, path []any, err error) {
	m := map[string]any{"message": err.Error(), "path": path}
	if f.Position != nil {
		m["locations"] = []map[string]any{{"line": f.Position.Line, "column": f.Position.Column}}
	}
	var ge *gqlError
	if errors.As(err, &ge) {
		ext := map[string]any{"errorName": ge.name, "reason": ge.reason}
		if ge.info != nil {
			ext["info"] = ge.info
		}
		m["extensions"] = ext
	}
	ex.errors = append(ex.errors, m)
}

// collect expands fragments for an object of type typ.
func (ex *executor) collect(typ string, set ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			if ex.applies(typ, s.TypeCondition) {
				out = append(out, ex.collect(typ, s.SelectionSet)...)
			}
		case *ast.FragmentSpread:
			fr := ex.doc.Fragments.ForName(s.Name)
			if fr != nil && ex.applies(typ, fr.TypeCondition) {
				out = append(out, ex.collect(typ, fr.SelectionSet)...)
			}
		}
	}
	return out
}

func (ex *executor) applies(typ, cond string) bool {
	if cond == "" || cond == typ {
		return true
	}
	def := ex.schema.Types[typ]
	if def == nil {
		return false
	}
	for _, i := range def.Interfaces {
		if i == cond {
			return true
		}
	}
	return false
}

// Global ids: base64url without padding of "<Type>:<id>".
func globalID(typ, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id))
}

func parseGlobalID(gid string) (typ, id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", "", false
	}
	typ, id, ok = strings.Cut(string(b), ":")
	return typ, id, ok && id != ""
}

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argInt(args map[string]any, name string, def int) int {
	switch v := args[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case json.Number:
		n, err := v.Int64()
		if err == nil {
			return int(n)
		}
	}
	return def
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// --- Query ---

type queryRoot struct{ s *Server }

func (queryRoot) typeName() string { return "Query" }

func (q queryRoot) field(name string, args map[string]any) (any, error) {
	s := q.s
	switch name {
	case "getUserByLoginID":
		key := argString(args, "loginIDKey")
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.loginIDs[key] {
			return nil, &gqlError{name: "Invalid", reason: "GetUsersInvalidArgument", message: "invalid Login ID key"}
		}
		claim, err := normalizeLoginID(key, argString(args, "loginIDValue"))
		if err != nil {
			return nil, nil
		}
		id, ok := s.store.byUnique[uniqueKey(key, claim)]
		if !ok {
			return (*userObj)(nil), nil
		}
		return s.userObjLocked(s.store.users[id.userID]), nil
	case "getUsersByStandardAttribute":
		attr := argString(args, "attributeName")
		key, ok := keyForField[attr]
		if !ok {
			return nil, &gqlError{name: "Invalid", reason: "GetUsersInvalidArgument", message: "invalid attributeName"}
		}
		value := argString(args, "attributeValue")
		s.mu.Lock()
		defer s.mu.Unlock()
		out := []any{}
		for _, uid := range s.store.order {
			u := s.store.users[uid]
			for _, id := range u.identities {
				if id.key == key && id.claim == value {
					out = append(out, s.userObjLocked(u))
					break
				}
			}
		}
		return out, nil
	case "node":
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.nodeLocked(argString(args, "id")), nil
	case "nodes":
		ids, _ := args["ids"].([]any)
		s.mu.Lock()
		defer s.mu.Unlock()
		out := make([]any, len(ids))
		for i, id := range ids {
			str, _ := id.(string)
			out[i] = s.nodeLocked(str)
		}
		return out, nil
	case "roles", "groups":
		s.mu.Lock()
		defer s.mu.Unlock()
		list := s.roleList
		typ := "Role"
		if name == "groups" {
			list, typ = s.groupList, "Group"
		}
		return newConnection(s, typ, list, args), nil
	case "users":
		s.mu.Lock()
		defer s.mu.Unlock()
		return &connection{typ: "User", total: len(s.store.order)}, nil
	}
	return nil, errNotImplemented
}

func (s *Server) nodeLocked(gid string) any {
	typ, id, ok := parseGlobalID(gid)
	if !ok {
		return nil
	}
	switch typ {
	case "User":
		if u, ok := s.store.users[id]; ok {
			return s.userObjLocked(u)
		}
	case "Session":
		if n := s.sessionNodeLocked(id); n != nil {
			return n
		}
	case "Role", "Group":
		list := s.roleList
		if typ == "Group" {
			list = s.groupList
		}
		for _, e := range list {
			if e.id == id {
				return &rgObj{typ: typ, e: e, s: s}
			}
		}
	}
	return nil
}

// --- Mutation ---

type mutationRoot struct{ s *Server }

func (mutationRoot) typeName() string { return "Mutation" }

func (m mutationRoot) field(name string, args map[string]any) (any, error) {
	s := m.s
	input, _ := args["input"].(map[string]any)
	switch name {
	case "createRole", "createGroup":
		typ, field := "Role", "role"
		if name == "createGroup" {
			typ, field = "Group", "group"
		}
		key := argString(input, "key")
		if !keyPattern.MatchString(key) {
			return nil, &gqlError{name: "Invalid", reason: "ValidationFailed", message: "invalid value", info: map[string]any{
				"causes": []any{map[string]any{"location": "", "kind": "pattern", "details": map[string]any{"actual": key, "expected": keyPattern.String()}}},
			}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		set, list := &s.roles, &s.roleList
		if typ == "Group" {
			set, list = &s.groups, &s.groupList
		}
		for _, e := range *list {
			if e.key == key {
				return nil, &gqlError{name: "BadRequest", reason: typ + "DuplicateKey", message: "duplicate " + strings.ToLower(typ) + " key"}
			}
		}
		e := &rgEntry{id: newUUID(), key: key, name: argString(input, "name"), description: argString(input, "description"), createdAt: s.now().UTC()}
		*list = append(*list, e)
		set.keys[key] = true
		return &payload{typ: "Create" + typ + "Payload", fields: map[string]any{field: &rgObj{typ: typ, e: e}}}, nil
	case "deleteRole", "deleteGroup":
		want := "Role"
		if name == "deleteGroup" {
			want = "Group"
		}
		typ, id, ok := parseGlobalID(argString(input, "id"))
		if !ok || typ != want {
			return nil, &gqlError{name: "Invalid", reason: "Invalid", message: "invalid " + strings.ToLower(want) + " ID"}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.deleteRoleOrGroupLocked(want, id) {
			return nil, &gqlError{name: "NotFound", reason: want + "NotFound", message: strings.ToLower(want) + " not found"}
		}
		return &payload{typ: "Delete" + want + "Payload", fields: map[string]any{"ok": true}}, nil
	case "revokeSession", "revokeAllSessions":
		return s.revokeMutation(name, input)
	case "deleteUser":
		typ, id, ok := parseGlobalID(argString(input, "userID"))
		if !ok || typ != "User" {
			return nil, &gqlError{name: "Invalid", reason: "Invalid", message: "invalid user ID"}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.store.remove(id) {
			return nil, &gqlError{name: "NotFound", reason: "UserNotFound", message: "user not found"}
		}
		s.stats.UsersDeleted++
		return &payload{typ: "DeleteUserPayload", fields: map[string]any{"deletedUserID": globalID("User", id)}}, nil
	}
	return nil, errNotImplemented
}

type payload struct {
	typ    string
	fields map[string]any
}

func (p *payload) typeName() string { return p.typ }

func (p *payload) field(name string, _ map[string]any) (any, error) {
	if v, ok := p.fields[name]; ok {
		return v, nil
	}
	return nil, errNotImplemented
}

// --- connections ---

type connection struct {
	typ   string
	total int
	nodes []any
	next  bool
	end   string
	start string
}

func newConnection(s *Server, typ string, list []*rgEntry, args map[string]any) *connection {
	first := argInt(args, "first", len(list))
	offset := 0
	if after := argString(args, "after"); after != "" {
		if b, err := base64.RawURLEncoding.DecodeString(after); err == nil {
			if n, err := strconv.Atoi(strings.TrimPrefix(string(b), "arrayconnection:")); err == nil {
				offset = n + 1
			}
		}
	}
	c := &connection{typ: typ, total: len(list)}
	for i := offset; i < len(list) && i < offset+first; i++ {
		c.nodes = append(c.nodes, &rgObj{typ: typ, e: list[i], s: s})
	}
	if len(c.nodes) > 0 {
		c.start = cursor(offset)
		c.end = cursor(offset + len(c.nodes) - 1)
	}
	c.next = offset+len(c.nodes) < len(list)
	return c
}

func cursor(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("arrayconnection:" + strconv.Itoa(i)))
}

func (c *connection) typeName() string { return c.typ + "Connection" }

func (c *connection) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "totalCount":
		return c.total, nil
	case "edges":
		out := make([]any, len(c.nodes))
		for i, n := range c.nodes {
			out[i] = &payload{typ: c.typ + "Edge", fields: map[string]any{"node": n, "cursor": cursor(i)}}
		}
		return out, nil
	case "pageInfo":
		f := map[string]any{"hasNextPage": c.next, "hasPreviousPage": false, "startCursor": nil, "endCursor": nil}
		if c.start != "" {
			f["startCursor"], f["endCursor"] = c.start, c.end
		}
		return &payload{typ: "PageInfo", fields: f}, nil
	}
	return nil, errNotImplemented
}

type rgObj struct {
	typ string
	e   *rgEntry
	// s, when set, answers users (and a role's groups, a group's roles:
	// none in the sandbox, which gives groups no roles).
	s *Server
}

func (o *rgObj) typeName() string { return o.typ }

func (o *rgObj) field(name string, _ map[string]any) (any, error) {
	switch name {
	case "id":
		return globalID(o.typ, o.e.id), nil
	case "key":
		return o.e.key, nil
	case "name":
		if o.e.name == "" {
			return nil, nil
		}
		return o.e.name, nil
	case "description":
		if o.e.description == "" {
			return nil, nil
		}
		return o.e.description, nil
	case "createdAt", "updatedAt":
		return rfc3339(o.e.createdAt), nil
	case "users":
		if o.s == nil {
			return nil, errNotImplemented
		}
		return &connection{typ: "User", total: o.s.holders(o.typ, o.e.key)}, nil
	case "groups", "roles":
		if o.s == nil {
			return nil, errNotImplemented
		}
		typ := "Group"
		if name == "roles" {
			typ = "Role"
		}
		return &connection{typ: typ}, nil
	}
	return nil, errNotImplemented
}

// holders counts the users who have the role (typ "Role") or are in the
// group with that key.
func (s *Server) holders(typ, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.store.users {
		list := u.roles
		if typ == "Group" {
			list = u.groups
		}
		for _, k := range list {
			if k == key {
				n++
				break
			}
		}
	}
	return n
}

// deleteRoleOrGroupLocked deletes a role or group by id and takes it from
// every user, as Authgear does; false when there is none.
func (s *Server) deleteRoleOrGroupLocked(typ, id string) bool {
	list, set := &s.roleList, &s.roles
	if typ == "Group" {
		list, set = &s.groupList, &s.groups
	}
	for i, e := range *list {
		if e.id != id {
			continue
		}
		*list = append((*list)[:i:i], (*list)[i+1:]...)
		delete(set.keys, e.key)
		for _, u := range s.store.users {
			p := &u.roles
			if typ == "Group" {
				p = &u.groups
			}
			kept := (*p)[:0]
			for _, k := range *p {
				if k != e.key {
					kept = append(kept, k)
				}
			}
			*p = kept
		}
		return true
	}
	return false
}

// --- User ---

// userObj is a snapshot of a user taken under the lock.
type userObj struct {
	u     *user
	roles []any
	group []any
	// lastLogin and sessions come from the sign-in state (sessions.go).
	lastLogin *time.Time
	sessions  []any
}

func (s *Server) userObjLocked(u *user) *userObj {
	c := u.clone()
	o := &userObj{u: c, sessions: s.userSessionsLocked(u.id)}
	if t, ok := s.signin.lastLogin[u.id]; ok {
		o.lastLogin = &t
	}
	for _, k := range c.roles {
		o.roles = append(o.roles, &rgObj{typ: "Role", e: s.entryLocked(s.roleList, k)})
	}
	for _, k := range c.groups {
		o.group = append(o.group, &rgObj{typ: "Group", e: s.entryLocked(s.groupList, k)})
	}
	return o
}

// entryLocked finds a role or group by key; a key that exists only through
// the "*" option gets an entry made up on the spot.
func (s *Server) entryLocked(list []*rgEntry, key string) *rgEntry {
	for _, e := range list {
		if e.key == key {
			return e
		}
	}
	return &rgEntry{id: newUUID(), key: key, createdAt: s.now().UTC()}
}

func (o *userObj) typeName() string { return "User" }

func (o *userObj) field(name string, _ map[string]any) (any, error) {
	u := o.u
	switch name {
	case "id":
		return globalID("User", u.id), nil
	case "createdAt":
		return rfc3339(u.createdAt), nil
	case "updatedAt":
		return rfc3339(u.updatedAt), nil
	case "lastLoginAt":
		if o.lastLogin == nil {
			return nil, nil
		}
		return rfc3339(*o.lastLogin), nil
	case "sessions":
		return &connection{typ: "Session", total: len(o.sessions), nodes: o.sessions}, nil
	case "disableReason", "deleteAt", "anonymizeAt", "deleteReason":
		return nil, nil
	case "isDisabled":
		return u.disabled, nil
	case "isDeactivated", "isAnonymized", "isAnonymous":
		return false, nil
	case "standardAttributes":
		return o.standardAttributes(), nil
	case "customAttributes":
		return copyMap(u.custom), nil
	case "roles":
		return &connection{typ: "Role", total: len(o.roles), nodes: o.roles}, nil
	case "groups":
		return &connection{typ: "Group", total: len(o.group), nodes: o.group}, nil
	case "identities":
		var nodes []any
		for _, id := range u.identities {
			nodes = append(nodes, &identityObj{id: id})
		}
		return &connection{typ: "Identity", total: len(nodes), nodes: nodes}, nil
	case "authenticators":
		nodes := o.authenticators()
		return &connection{typ: "Authenticator", total: len(nodes), nodes: nodes}, nil
	case "verifiedClaims":
		out := []any{}
		for _, c := range u.verified {
			out = append(out, &payload{typ: "Claim", fields: map[string]any{"name": c.Name, "value": c.Value}})
		}
		return out, nil
	case "accountValidFrom":
		if u.validFrom == nil {
			return nil, nil
		}
		return rfc3339(*u.validFrom), nil
	case "accountValidUntil":
		if u.validUntil == nil {
			return nil, nil
		}
		return rfc3339(*u.validUntil), nil
	}
	return nil, errNotImplemented
}

// standardAttributes is what Authgear's stdattrs give: the stored
// attributes plus the identity-derived email, phone_number and
// preferred_username, their verified flags, and updated_at in seconds
// (real-server/q01).
func (o *userObj) standardAttributes() map[string]any {
	u := o.u
	m := copyMap(u.std)
	verified := map[string]bool{}
	for _, c := range u.verified {
		verified[c.Name+"\x00"+c.Value] = true
	}
	for _, id := range u.identities {
		field := fieldForKey[id.key]
		if _, done := m[field]; done {
			continue
		}
		m[field] = id.claim
		if field != "preferred_username" {
			m[field+"_verified"] = verified[field+"\x00"+id.claim]
		}
	}
	m["updated_at"] = u.updatedAt.Unix()
	return m
}

func (o *userObj) authenticators() []any {
	u := o.u
	var out []any
	add := func(typ, kind string, def bool) {
		out = append(out, &payload{typ: "Authenticator", fields: map[string]any{
			"id": globalID("Authenticator", newUUID()), "type": typ, "kind": kind, "isDefault": def,
			"createdAt": rfc3339(u.createdAt), "updatedAt": rfc3339(u.updatedAt), "expireAfter": nil, "claims": map[string]any{},
		}})
	}
	if u.password != nil {
		add("PASSWORD", "PRIMARY", false)
	}
	if u.mfaPassword != nil {
		add("PASSWORD", "SECONDARY", false)
	}
	for range u.mfaEmails {
		add("OOB_OTP_EMAIL", "SECONDARY", false)
	}
	for range u.mfaPhones {
		add("OOB_OTP_SMS", "SECONDARY", false)
	}
	for range u.totps {
		add("TOTP", "SECONDARY", false)
	}
	return out
}

type identityObj struct{ id *identity }

func (o *identityObj) typeName() string { return "Identity" }

func (o *identityObj) field(name string, _ map[string]any) (any, error) {
	id := o.id
	switch name {
	case "id":
		return globalID("Identity", id.id), nil
	case "type":
		return "LOGIN_ID", nil
	case "claims":
		return map[string]any{
			fieldForKey[id.key]:                                   id.claim,
			"https://authgear.com/claims/login_id/key":            id.key,
			"https://authgear.com/claims/login_id/type":           id.key,
			"https://authgear.com/claims/login_id/value":          id.claim,
			"https://authgear.com/claims/login_id/original_value": id.original,
		}, nil
	case "createdAt", "updatedAt":
		return rfc3339(time.Time{}), nil
	}
	return nil, errNotImplemented
}

// remove deletes a user and its identities; false if there is none.
func (st *store) remove(userID string) bool {
	u, ok := st.users[userID]
	if !ok {
		return false
	}
	for _, id := range u.identities {
		if cur, ok := st.byUnique[uniqueKey(id.key, id.claim)]; ok && cur.id == id.id {
			delete(st.byUnique, uniqueKey(id.key, id.claim))
		}
	}
	delete(st.users, userID)
	for i, id := range st.order {
		if id == userID {
			st.order = append(st.order[:i], st.order[i+1:]...)
			break
		}
	}
	return true
}

// DeleteUser deletes a user directly, as someone in the portal would; it
// reports whether the user existed.
func (s *Server) DeleteUser(userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store.remove(userID)
}

// Roles returns the project's role keys, in creation order.
func (s *Server) Roles() []string { return s.keysOf(&s.roleList) }

// Groups returns the project's group keys, in creation order.
func (s *Server) Groups() []string { return s.keysOf(&s.groupList) }

func (s *Server) keysOf(list *[]*rgEntry) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(*list))
	for _, e := range *list {
		out = append(out, e.key)
	}
	return out
}

// EditUser changes a stored user behind the migration's back, for tests
// of verify: fn gets the user's snapshot and returns the changed one; only
// StandardAttributes, CustomAttributes, Roles, Groups, Disabled,
// PasswordHash and (when not zero) CreatedAt are written back.
func (s *Server) EditUser(userID string, fn func(User) User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.store.users[userID]
	if !ok {
		return fmt.Errorf("sandbox: no user %s", userID)
	}
	snap := fn(u.snapshot())
	u.std = copyMap(snap.StandardAttributes)
	u.custom = copyMap(snap.CustomAttributes)
	u.roles = append([]string(nil), snap.Roles...)
	u.groups = append([]string(nil), snap.Groups...)
	u.disabled = snap.Disabled
	if !snap.CreatedAt.IsZero() {
		u.createdAt = snap.CreatedAt.UTC()
	}
	switch {
	case snap.PasswordHash == "":
		u.password = nil
	case u.password == nil:
		u.password = &password{hash: snap.PasswordHash}
	default:
		u.password.hash = snap.PasswordHash
	}
	u.updatedAt = s.now().UTC()
	return nil
}

func initRoleGroupLists(keys []string, now time.Time) []*rgEntry {
	var out []*rgEntry
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if k == "*" {
			continue
		}
		out = append(out, &rgEntry{id: newUUID(), key: k, createdAt: now})
	}
	return out
}
