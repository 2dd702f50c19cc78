package importer

import (
	"strings"
)

// idColumnNames are the normalised names of columns that hold a user's id
// in the systems people export from, best first (normName: "user_id" is
// "userid", "_id" is "id").
var idColumnNames = []string{"id", "userid", "uid", "pk", "objectid", "localid", "sub", "accountid", "memberid", "customerid", "externalid", "legacyid", "userguid", "useruuid", "guid", "uuid", "key"}

// suggestSourceID names the old id (source.id) of a mapping from column
// names and values: a column whose name is an id's (idColumnNames, the
// earlier the better), at the top of the record, that every sampled record
// has, whose sampled values are all different, and that holds no email
// addresses (an email is an identifier, not an id: it changes), no
// booleans, no lists and nothing the mapping sends (a column mapped to a
// field is no id). It reports the column, or "" when none fits.
func suggestSourceID(src *Source, m *Mapping) string {
	isCSV := src.Format() == FormatCSV
	sample := src.Sample()
	if len(sample) == 0 {
		return ""
	}
	mapped := map[string]bool{}
	for _, f := range m.Fields {
		if f != nil {
			mapped[f.From] = true
		}
	}
	best, bestRank := "", len(idColumnNames)
	for _, c := range src.Columns() {
		path := c
		if !isCSV {
			// {"_id": {"$oid": ...}} is read as its value.
			path = strings.TrimSuffix(strings.TrimSuffix(c, ".$oid"), ".$uuid")
			if strings.ContainsAny(path, ".[") {
				continue // not at the top of the record
			}
		}
		if mapped[path] || mapped[c] {
			continue
		}
		rank := -1
		for i, n := range idColumnNames {
			if normName(path) == n {
				rank = i
				break
			}
		}
		if rank < 0 || rank >= bestRank || !idValues(src, path, len(sample)) {
			continue
		}
		best, bestRank = path, rank
	}
	return best
}

// idValues says whether every one of the n sampled records has a value at
// path, all different, none an email address, a boolean or a list.
func idValues(src *Source, path string, n int) bool {
	p, err := compilePath(path, src.Columns(), src.Format() == FormatCSV)
	if err != nil {
		return false
	}
	seen := make(map[string]bool, n)
	for _, row := range src.Sample() {
		if row.Err != nil {
			continue
		}
		v, ok := p.lookup(row)
		if !ok || isEmpty(v) {
			return false
		}
		switch v.(type) {
		case bool, []any:
			return false
		}
		s, err := toText(v)
		if err != nil {
			return false
		}
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "'"))
		if s == "" || seen[s] || reEmailish.MatchString(s) {
			return false
		}
		if _, err := ParseBool(s); err == nil && len(s) > 1 && !isDigits(s) {
			return false // true/false, yes/no: a flag
		}
		seen[s] = true
	}
	return len(seen) > 0
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
