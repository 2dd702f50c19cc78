package importer

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// KeyRemover reads what holds the project's roles and groups and deletes
// them; *adminapi.Client is one.
type KeyRemover interface {
	RoleUsage(ctx context.Context) ([]adminapi.KeyUsage, error)
	GroupUsage(ctx context.Context) ([]adminapi.KeyUsage, error)
	DeleteRole(ctx context.Context, id string) (bool, error)
	DeleteGroup(ctx context.Context, id string) (bool, error)
}

// Outcomes of undo for a role or group the migration created.
const (
	UndoKeyDeleted     = "deleted"
	UndoKeyGone        = "already gone"
	UndoKeyHeld        = "kept: still held"
	UndoKeyUnsure      = "kept: maybe not created by the migration"
	UndoKeyWouldDelete = "would be deleted"
	UndoKeyFailed      = "failed"
)

// KeyUndo is what undo did with a role or group the migration created.
type KeyUndo struct {
	Kind, Key, Outcome, Reason string
}

// undoKeys removes the roles and groups the roles journal says the
// migration created in target, once no user (and no group or role) holds
// them: after the users are deleted, those the migration gave them no
// longer count. A dry run (leaving set: per kind and key, the holders undo
// would delete) says which would be deleted, and deletes nothing.
func undoKeys(ctx context.Context, api UserDeleter, path, target string, leaving map[string]int) ([]KeyUndo, error) {
	dryRun := leaving != nil
	created, err := readRolesJournal(path, target)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(created) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the roles journal %s: %w", path, err)
	}
	kr, ok := api.(KeyRemover)
	if !ok {
		return nil, errors.New("the target cannot delete roles and groups")
	}
	usage := map[string]adminapi.KeyUsage{}
	for _, kind := range []string{"role", "group"} {
		read := kr.RoleUsage
		if kind == "group" {
			read = kr.GroupUsage
		}
		need := false
		for _, k := range created {
			need = need || k.Kind == kind
		}
		if !need {
			continue
		}
		list, err := read(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the project's %ss: %w", kind, err)
		}
		for _, u := range list {
			usage[kind+"\x00"+u.Key] = u
		}
	}
	var j *rolesJournal
	if !dryRun {
		if j, err = openRolesJournal(path, target); err != nil {
			return nil, err
		}
		defer j.close()
	}
	var out []KeyUndo
	for _, k := range created {
		r := KeyUndo{Kind: k.Kind, Key: k.Key}
		u, exists := usage[k.Kind+"\x00"+k.Key]
		u.Users -= leaving[k.Kind+"\x00"+k.Key]
		switch {
		case !exists:
			r.Outcome, r.Reason = UndoKeyGone, "no such "+k.Kind+" in the project"
		case k.Unsure:
			r.Outcome, r.Reason = UndoKeyUnsure, "the run that was creating it stopped before recording whether it did; delete it in the portal if it is the migration's"
		case u.Held():
			r.Outcome, r.Reason = UndoKeyHeld, holdersText(k.Kind, u)
		case dryRun:
			r.Outcome = UndoKeyWouldDelete
		default:
			del := kr.DeleteRole
			if k.Kind == "group" {
				del = kr.DeleteGroup
			}
			deleted, err := del(ctx, u.ID)
			switch {
			case err != nil:
				r.Outcome, r.Reason = UndoKeyFailed, clipReason(err.Error())
			case deleted:
				r.Outcome = UndoKeyDeleted
			default:
				r.Outcome, r.Reason = UndoKeyGone, "deleted by someone else meanwhile"
			}
		}
		if j != nil && (r.Outcome == UndoKeyDeleted || r.Outcome == UndoKeyGone) {
			if err := j.add(roleEntry{T: roleRemoved, Kind: k.Kind, Key: k.Key}); err != nil {
				return out, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func holdersText(kind string, u adminapi.KeyUsage) string {
	other := "groups"
	if kind == "group" {
		other = "roles"
	}
	return fmt.Sprintf("%d %s and %d %s still hold it (users undo kept, or given it since)", u.Users, plural(u.Users, "user", "users"), u.Others, other)
}
