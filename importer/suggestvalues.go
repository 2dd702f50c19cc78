package importer

import (
	"fmt"
	"regexp"
)

// The generic suggestions judge values, not only names (issue 18 item
// 1): a column is suggested for a field only when its sampled values fit
// that field. lastLogin's timestamps are no username, firstUserRole's
// booleans no given name, Cognito's UUID Username no username, a login
// column of email addresses no username, avatar URLs no website, and
// Address2 no whole address. A column whose values do not fit the field
// its name suggests is listed as not mapped, with why.

var (
	reIDUUID        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reObjectID      = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)
	reTrailingDigit = regexp.MustCompile(`[a-z][0-9]+$`)
)

// textFields are the fields whose values are words people chose.
var textFields = map[string]bool{
	"preferred_username": true, "name": true, "given_name": true, "family_name": true, "middle_name": true, "nickname": true,
}

// mostly says whether n of the total values is at least 80%.
func mostly(n, total int) bool { return total > 0 && n*10 >= total*8 }

// valueMisfit says why the sampled values of cp do not fit field, or ""
// when they do (or there are none to judge).
func valueMisfit(field string, cp *columnProfile) string {
	if field == "address.formatted" && reTrailingDigit.MatchString(cp.norm) {
		// Address2, address_line_2: one line of an address, not all of it.
		return "its name says it is one line of an address, not the whole address"
	}
	if cp.values == 0 {
		return ""
	}
	switch {
	case textFields[field] && mostly(cp.dates+cp.epochs, cp.values):
		return "its values are timestamps"
	case textFields[field] && mostly(cp.bools, cp.values):
		return "its values are true/false"
	case textFields[field] && mostly(cp.ids, cp.values):
		return "its values are generated ids (UUIDs or ObjectIds)"
	case field == "preferred_username" && cp.emails*10 >= cp.values*5:
		return "its values are email addresses"
	case (field == "website" || field == "profile") && cp.images*10 >= cp.values*5:
		return "its values are image URLs (a picture)"
	}
	return ""
}

// misfitNote is the note on a column the name suggested for field but
// whose values do not fit it.
func misfitNote(col, field, why string) string {
	return fmt.Sprintf("%q is not mapped as %s: %s", col, field, why)
}
