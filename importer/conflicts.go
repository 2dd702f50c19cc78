package importer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// UserLookup looks users up by login ID through the Admin API's GraphQL
// endpoint; *adminapi.Client is one.
type UserLookup interface {
	LookupUsers(ctx context.Context, lookups []adminapi.LoginIDLookup, o adminapi.BatchOptions) ([]adminapi.LookupResult, error)
}

// lookupAPI is the look-up API of the import: ImportOptions.Lookup, or the
// import API itself when it can look users up.
func (im *importer) lookupAPI() UserLookup {
	if im.o.Lookup != nil {
		return im.o.Lookup
	}
	l, _ := im.o.API.(UserLookup)
	return l
}

// conflict is a record that failed with "identity already exists": the
// login ID that collided (the error's LoginIDTypeIncoming, with the
// record's value), at rows[at].
type conflict struct {
	at         int
	key, value string
}

// recordLoginFields are the record fields of each login ID type.
var recordLoginFields = map[string]string{"email": "email", "phone": "phone_number", "username": "preferred_username"}

// duplicateConflict reads, from a record's errors and the record sent,
// which login ID collided; ok is false for another failure.
func duplicateConflict(errs []*adminapi.APIError, rec []byte) (key, value string, ok bool) {
	for _, e := range errs {
		if e == nil {
			continue
		}
		cause, _ := e.Info["cause"].(map[string]any)
		if kind, _ := cause["kind"].(string); kind != "DuplicatedIdentity" && e.Reason != "DuplicatedIdentity" {
			continue
		}
		key, _ = e.Info["LoginIDTypeIncoming"].(string)
		field, known := recordLoginFields[key]
		if !known || len(rec) == 0 {
			return "", "", false
		}
		var r map[string]any
		if json.Unmarshal(rec, &r) != nil {
			return "", "", false
		}
		value, _ = r[field].(string)
		return key, value, value != ""
	}
	return "", "", false
}

// explainConflicts looks up, once per record (in aliased batches), the
// user that holds each login ID that collided, and says so in the
// record's reason: "the phone +85291234567 is held by user <id>".
func (im *importer) explainConflicts(rows []ReportRow, cs []conflict) {
	api := im.lookupAPI()
	if api == nil || len(cs) == 0 {
		return
	}
	lookups := make([]adminapi.LoginIDLookup, len(cs))
	for i, c := range cs {
		lookups[i] = adminapi.LoginIDLookup{Key: c.key, Value: c.value}
	}
	res, err := api.LookupUsers(im.pollCtx, lookups, adminapi.BatchOptions{Concurrency: 1})
	for i, c := range cs {
		var why string
		switch {
		case err != nil:
			why = fmt.Sprintf("the %s %s collided; looking up its holder failed: %v", c.key, c.value, err)
		case res[i].Err != nil:
			why = fmt.Sprintf("the %s %s collided; looking up its holder failed: %v", c.key, c.value, res[i].Err)
		case res[i].User == nil:
			why = fmt.Sprintf("the %s %s collided, and no user holds it now (deleted meanwhile, or held in another form: the server's look-up is case-sensitive)", c.key, c.value)
		default:
			why = fmt.Sprintf("the %s %s is already held by user %s", c.key, c.value, res[i].User.UserID)
		}
		rows[c.at].Reason += "; " + why
	}
}
