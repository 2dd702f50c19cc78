package importer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// A JSON export that starts with an object is one of three things: a
// wrapper that holds the records in one of its arrays ({"users": [...]},
// a Keycloak realm with clients, roles and users), a single record, or the
// first of a stream of documents written one after another (mongoexport,
// pretty-printed or not, with no enclosing array). Which one, and which
// array holds the users, is only known once the whole object has been
// read: a first pass (scanJSONObject) reads it, holding only the keys and
// a few sampled elements' key names, and the loader then reads the file
// again from the start the way the pass decided (jsonLayout).

// jsonLayout is what the first pass over a JSON document that starts with
// an object decided.
type jsonLayout struct {
	// key names the array of the top-level object that holds the records;
	// "" means every top-level document is a record.
	key string
	// occurrence is which occurrence of key holds the records (1-based):
	// the last one, when the key occurs more than once.
	occurrence int
	// single: the file holds one document (checked for trailing data after
	// it); otherwise a stream of documents.
	single bool
}

// jsonKeyScan is one key of the top-level object as the first pass saw it.
type jsonKeyScan struct {
	key  string
	line int
	// array: the value is an array, of n elements, objects of them objects.
	array      bool
	n, objects int
	// keysets are the key names of the first sampled object elements.
	keysets [][]string
}

// sampledElements is how many object elements of each array the first
// pass keeps the key names of, to judge whether they are users.
const sampledElements = 20

// RecordsCandidate is an array of objects that may hold the records of a
// JSON export.
type RecordsCandidate struct {
	// Key is the array's key in the top-level object.
	Key string
	// Line is where the key is.
	Line int
	// Count is how many elements the array holds.
	Count int
	// Keys are the key names its first elements have (at most 8).
	Keys []string
	// Users says its sampled elements look like users (an email, a
	// username, a password, a phone among their keys).
	Users bool
}

func (c RecordsCandidate) String() string {
	printable := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		printable[i] = Printable(k)
	}
	keys := strings.Join(printable, ", ")
	if keys == "" {
		keys = "no keys"
	}
	return fmt.Sprintf("%q (line %d, %d %s: %s)", c.Key, c.Line, c.Count, plural(c.Count, "object", "objects"), keys)
}

// RecordsKeyError says that the top-level object of a JSON export holds
// several arrays of objects and that none of them is clearly the users:
// the mapping must name one (source.records_key). Open returns it inside
// a *ParseError, which names the file.
type RecordsKeyError struct {
	Candidates []RecordsCandidate
}

func (e *RecordsKeyError) Error() string {
	parts := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		parts[i] = c.String()
	}
	return fmt.Sprintf("%v: the top-level object holds %d arrays of objects and none of them is clearly the users: %s; name the one to read with source.records_key in the mapping", ErrNoRecords, len(e.Candidates), strings.Join(parts, "; "))
}

// Unwrap makes the error an ErrNoRecords.
func (e *RecordsKeyError) Unwrap() error { return ErrNoRecords }

// scanJSONObject reads the top-level object that starts the document in
// br, keeping its keys, where they are, and for each array how many
// elements it holds and the key names of its first objects; then it
// looks at what follows the object. Every value is read a member at a
// time, each capped like a record, so that nothing large is held.
func (s *Source) scanJSONObject(br io.Reader) (keys []*jsonKeyScan, next byte, err error) {
	lc := &lineCounter{r: br}
	lim := &recordLimiter{r: lc, limit: MaxRecordBytes + readAheadSlack}
	dec := json.NewDecoder(lim)
	dec.UseNumber()
	fail := func(err error) error { return s.jsonError(lc, dec, err) }
	if _, err := dec.Token(); err != nil { // '{'
		return nil, 0, fail(err)
	}
	for dec.More() {
		lim.start = dec.InputOffset()
		kt, err := dec.Token()
		if err != nil {
			return nil, 0, fail(err)
		}
		key, _ := kt.(string)
		line, _ := lc.pos(dec.InputOffset())
		k := &jsonKeyScan{key: key, line: line}
		lim.start = dec.InputOffset()
		t, err := dec.Token()
		if err != nil {
			return nil, 0, fail(err)
		}
		// Keys are kept up to MaxColumns, arrays up to twice that: an
		// object keyed by user id can hold millions, and is no wrapper.
		if len(keys) < MaxColumns || (t == json.Delim('[') && len(keys) < 2*MaxColumns) {
			keys = append(keys, k)
		}
		if t != json.Delim('[') {
			if d, ok := t.(json.Delim); ok {
				if err := skipMembers(dec, lim, d); err != nil {
					return nil, 0, fail(err)
				}
			}
			continue
		}
		k.array = true
		for dec.More() {
			lim.start = dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, 0, fail(err)
			}
			k.n++
			if len(raw) == 0 || raw[0] != '{' {
				continue
			}
			k.objects++
			if len(k.keysets) < sampledElements {
				var obj map[string]json.RawMessage
				if json.Unmarshal(raw, &obj) == nil {
					names := make([]string, 0, len(obj))
					for n := range obj {
						names = append(names, n)
					}
					sort.Strings(names)
					k.keysets = append(k.keysets, names)
				}
			}
		}
		lim.start = dec.InputOffset()
		if _, err := dec.Token(); err != nil { // ']'
			return nil, 0, fail(err)
		}
	}
	lim.start = dec.InputOffset()
	if _, err := dec.Token(); err != nil { // '}'
		return nil, 0, fail(err)
	}
	// What follows the object: the next byte that is not white space.
	r := io.MultiReader(dec.Buffered(), lc)
	b := make([]byte, 4<<10)
	for {
		n, err := r.Read(b)
		for _, c := range b[:n] {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			}
			return keys, c, nil
		}
		if err == io.EOF {
			return keys, 0, nil
		}
		if err != nil {
			if cerr := s.Context().Err(); cerr != nil {
				return nil, 0, cerr
			}
			return nil, 0, &ParseError{File: s.name, Err: err}
		}
	}
}

// skipMembers reads the rest of an object or array whose opening
// delimiter d was read, one member at a time, each capped like a record.
func skipMembers(dec *json.Decoder, lim *recordLimiter, d json.Delim) error {
	for dec.More() {
		lim.start = dec.InputOffset()
		if d == '{' {
			if _, err := dec.Token(); err != nil {
				return err
			}
		}
		var discard json.RawMessage
		if err := dec.Decode(&discard); err != nil {
			return err
		}
	}
	lim.start = dec.InputOffset()
	_, err := dec.Token()
	return err
}

// skipValue reads the next value of dec: a top-level array or object a
// member at a time, anything else whole (capped like a record).
func skipValue(dec *json.Decoder, lim *recordLimiter) error {
	lim.start = dec.InputOffset()
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); ok {
		return skipMembers(dec, lim, d)
	}
	return nil
}

// userKeyNames are key names (lowercase, without _ - . and spaces) that
// only a user record has: a login, a password, a person's name.
var userKeyNames = map[string]bool{
	"email": true, "emails": true, "emailaddress": true, "emailaddresses": true, "mail": true, "useremail": true,
	"primaryemail": true, "emailverified": true,
	"username": true, "login": true, "userlogin": true, "preferredusername": true, "nickname": true,
	"password": true, "passwordhash": true, "hashedpassword": true, "encryptedpassword": true, "userpass": true,
	"passwordsalt": true, "credentials": true, "hashedpasswd": true, "passwd": true,
	"phone": true, "phonenumber": true, "mobile": true, "mobilephone": true, "phonenumbers": true,
	"firstname": true, "lastname": true, "givenname": true, "familyname": true,
}

// usersArrayNames are names of arrays that hold users.
var usersArrayNames = map[string]bool{
	"users": true, "user": true, "accounts": true, "members": true, "people": true, "persons": true,
	"customers": true, "profiles": true, "userlist": true,
}

func normKeyName(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(k))
}

// looksLikeUsers reports whether at least half of the sampled elements
// have a key only users have.
func looksLikeUsers(keysets [][]string) bool {
	if len(keysets) == 0 {
		return false
	}
	users := 0
	for _, ks := range keysets {
		for _, k := range ks {
			if userKeyNames[normKeyName(k)] {
				users++
				break
			}
		}
	}
	return users*2 >= len(keysets)
}

// candidateOf describes an array for messages.
func candidateOf(k *jsonKeyScan) RecordsCandidate {
	c := RecordsCandidate{Key: k.key, Line: k.line, Count: k.n, Users: looksLikeUsers(k.keysets)}
	seen := map[string]bool{}
	for _, ks := range k.keysets {
		for _, n := range ks {
			if !seen[n] && len(c.Keys) < 8 {
				seen[n] = true
				c.Keys = append(c.Keys, n)
			}
		}
	}
	return c
}

// chooseJSONLayout decides from the first pass how the records are read:
// named is the records key the mapping gives ("" to choose), next the
// first byte after the object (0 at the end of the file). It returns
// notes for the person (a key that occurs twice, the array chosen among
// several).
func (s *Source) chooseJSONLayout(keys []*jsonKeyScan, next byte, named string) (jsonLayout, []string, error) {
	var notes []string
	// Every key's occurrences; the last one is its value, as for Jackson
	// (Keycloak's reader) and encoding/json.
	occ := map[string][]*jsonKeyScan{}
	var order []string
	for _, k := range keys {
		if occ[k.key] == nil {
			order = append(order, k.key)
		}
		occ[k.key] = append(occ[k.key], k)
	}
	duplicate := func(key string) {
		ks := occ[key]
		if len(ks) < 2 {
			return
		}
		lines := make([]string, len(ks))
		for i, k := range ks {
			lines[i] = fmt.Sprint(k.line)
		}
		ignored := 0
		for _, k := range ks[:len(ks)-1] {
			ignored += k.objects
		}
		notes = append(notes, fmt.Sprintf("%s: the key %q occurs %d times in the top-level object (lines %s): the last one (line %d) is read, as Keycloak's own reader and most JSON readers do; the others, with %d %s, are ignored", s.name, key, len(ks), joinAnd(lines), ks[len(ks)-1].line, ignored, plural(ignored, "object", "objects")))
	}
	if named != "" {
		ks := occ[named]
		if len(ks) == 0 || !ks[len(ks)-1].array {
			return jsonLayout{}, nil, &ParseError{File: s.name, Err: fmt.Errorf("%w under key %q", ErrNoRecords, named)}
		}
		duplicate(named)
		return jsonLayout{key: named, occurrence: len(ks), single: true}, notes, nil
	}
	if next == '{' {
		// Documents one after another (mongoexport): each is a record,
		// unless the first holds an array of users and is none itself
		// (pages of a listing, such as aws cognito-idp list-users, put
		// one after another): its records would be pages.
		var own []string
		for _, k := range keys {
			own = append(own, k.key)
		}
		if !looksLikeUsers([][]string{own}) {
			for _, k := range keys {
				if k.array && looksLikeUsers(k.keysets) {
					return jsonLayout{}, nil, &ParseError{File: s.name, Line: k.line, Err: fmt.Errorf("%w: the file holds several JSON documents, and the first is no user but holds an array of users (%s): pages of a listing written one after another? Join their arrays into one array", ErrNoRecords, candidateOf(k))}
				}
			}
		}
		return jsonLayout{}, nil, nil
	}
	var cands []*jsonKeyScan
	for _, key := range order {
		ks := occ[key]
		if last := ks[len(ks)-1]; last.array && last.objects > 0 {
			cands = append(cands, last)
		}
	}
	pick := func(k *jsonKeyScan) (jsonLayout, []string, error) {
		duplicate(k.key)
		s.recordsKeyChosen = len(cands) > 1 || len(occ[k.key]) > 1
		if len(cands) > 1 {
			var others []string
			for _, c := range cands {
				if c != k {
					others = append(others, candidateOf(c).String())
				}
			}
			why := "its elements look like users"
			if !looksLikeUsers(k.keysets) {
				why = "its name says it holds users"
			}
			notes = append(notes, fmt.Sprintf("%s: the records are read from the array %q (line %d, %d %s): %s; the other arrays of objects are not read: %s", s.name, k.key, k.line, k.n, plural(k.n, "object", "objects"), why, strings.Join(others, "; ")))
		}
		return jsonLayout{key: k.key, occurrence: len(occ[k.key]), single: true}, notes, nil
	}
	switch len(cands) {
	case 0:
		return jsonLayout{single: true}, nil, nil
	case 1:
		// One array of objects: the records, unless the object itself is
		// a user and the array is not users (a user's identities).
		if !looksLikeUsers(cands[0].keysets) && !usersArrayNames[normKeyName(cands[0].key)] {
			var own []string
			for _, k := range keys {
				own = append(own, k.key)
			}
			if looksLikeUsers([][]string{own}) {
				return jsonLayout{single: true}, nil, nil
			}
		}
		return pick(cands[0])
	}
	// Several arrays of objects: the one whose elements look like users;
	// among several such (or none), the one whose name says users.
	var users []*jsonKeyScan
	for _, c := range cands {
		if looksLikeUsers(c.keysets) {
			users = append(users, c)
		}
	}
	if len(users) == 1 {
		return pick(users[0])
	}
	among := users
	if len(among) == 0 {
		among = cands
	}
	var named2 []*jsonKeyScan
	for _, c := range among {
		if usersArrayNames[normKeyName(c.key)] {
			named2 = append(named2, c)
		}
	}
	if len(named2) == 1 {
		return pick(named2[0])
	}
	e := &RecordsKeyError{}
	for _, c := range cands {
		e.Candidates = append(e.Candidates, candidateOf(c))
	}
	return jsonLayout{}, nil, &ParseError{File: s.name, Err: e}
}

// joinAnd joins "3", "40" as "3 and 40", and longer lists as "1, 2 and 3".
func joinAnd(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// errLayoutChanged means the file changed between the first pass and the
// reading of its records.
var errLayoutChanged = errors.New("the file changed while it was read")

// initJSONLayout reads a document that starts with an object the way the
// first pass decided: the records of one array of the top-level object,
// or every top-level document as a record.
func (s *Source) initJSONLayout(br *bufio.Reader, l jsonLayout) error {
	lc := &lineCounter{r: br}
	lim := &recordLimiter{r: lc, limit: MaxRecordBytes + readAheadSlack}
	dec := json.NewDecoder(lim)
	dec.UseNumber()
	fail := func(err error) error { return s.jsonError(lc, dec, err) }
	if l.key == "" {
		given := 0
		s.next = func() (*Row, error) {
			if l.single && given == 1 {
				if err := s.checkTrailing(lc, dec); err != nil {
					return nil, err
				}
				return nil, io.EOF
			}
			lim.start = dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if err == io.EOF && given > 0 {
					return nil, io.EOF
				}
				return nil, fail(err)
			}
			given++
			return s.rowAt(lc, dec, raw), nil
		}
		return nil
	}
	s.recordsKey = l.key
	if _, err := dec.Token(); err != nil { // '{'
		return fail(err)
	}
	seen := 0
	for {
		if !dec.More() {
			return &ParseError{File: s.name, Err: fmt.Errorf("%w under key %q: %w", ErrNoRecords, l.key, errLayoutChanged)}
		}
		lim.start = dec.InputOffset()
		kt, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if key, _ := kt.(string); key == l.key {
			if seen++; seen == l.occurrence {
				t, err := dec.Token()
				if err != nil {
					return fail(err)
				}
				if t != json.Delim('[') {
					return &ParseError{File: s.name, Err: fmt.Errorf("%w under key %q: %w", ErrNoRecords, l.key, errLayoutChanged)}
				}
				break
			}
		}
		if err := skipValue(dec, lim); err != nil {
			return fail(err)
		}
	}
	s.next = func() (*Row, error) {
		lim.start = dec.InputOffset()
		if !dec.More() {
			// The end of the records array, then the rest of the object.
			if _, err := dec.Token(); err != nil {
				return nil, fail(err)
			}
			for dec.More() {
				lim.start = dec.InputOffset()
				if _, err := dec.Token(); err != nil {
					return nil, fail(err)
				}
				if err := skipValue(dec, lim); err != nil {
					return nil, fail(err)
				}
			}
			lim.start = dec.InputOffset()
			if _, err := dec.Token(); err != nil {
				return nil, fail(err)
			}
			if err := s.checkTrailing(lc, dec); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fail(err)
		}
		return s.rowAt(lc, dec, raw), nil
	}
	return nil
}
