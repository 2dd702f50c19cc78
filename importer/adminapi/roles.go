package adminapi

import (
	"context"
	"errors"
	"fmt"
)

// KeyUsage is a role or group of the project with what holds it: for a
// role, the users who have it and the groups it is in; for a group, its
// users and the roles it gives.
type KeyUsage struct {
	// ID is the global id (base64url of "Role:<uuid>" or "Group:<uuid>").
	ID, Key string
	Users   int
	// Others counts the groups a role is in, or the roles a group gives.
	Others int
}

// Held reports whether anything holds the role or group.
func (u KeyUsage) Held() bool { return u.Users > 0 || u.Others > 0 }

// RoleUsage lists every role of the project with what holds it.
func (c *Client) RoleUsage(ctx context.Context) ([]KeyUsage, error) {
	var out []KeyUsage
	var after string
	for page := 0; page < 1000; page++ {
		resp, err := rolesUsage(ctx, c, 100, after)
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Roles.Edges {
			n := e.Node
			out = append(out, KeyUsage{ID: clip(n.Id, maxShortText), Key: clip(n.Key, maxShortText), Users: n.Users.TotalCount, Others: n.Groups.TotalCount})
		}
		if !resp.Roles.PageInfo.HasNextPage || resp.Roles.PageInfo.EndCursor == "" {
			return out, nil
		}
		after = resp.Roles.PageInfo.EndCursor
	}
	return out, errors.New("graphql: more than 100,000 roles")
}

// GroupUsage lists every group of the project with what holds it.
func (c *Client) GroupUsage(ctx context.Context) ([]KeyUsage, error) {
	var out []KeyUsage
	var after string
	for page := 0; page < 1000; page++ {
		resp, err := groupsUsage(ctx, c, 100, after)
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Groups.Edges {
			n := e.Node
			out = append(out, KeyUsage{ID: clip(n.Id, maxShortText), Key: clip(n.Key, maxShortText), Users: n.Users.TotalCount, Others: n.Roles.TotalCount})
		}
		if !resp.Groups.PageInfo.HasNextPage || resp.Groups.PageInfo.EndCursor == "" {
			return out, nil
		}
		after = resp.Groups.PageInfo.EndCursor
	}
	return out, errors.New("graphql: more than 100,000 groups")
}

// Reasons of a role or group that is not there (the sandbox's; a real
// server's answer for an unknown id is not recorded, so any "not found"
// error reads as gone).
const (
	ReasonRoleNotFound  = "RoleNotFound"
	ReasonGroupNotFound = "GroupNotFound"
)

// DeleteRole deletes the role with that global id; deleted is false (and
// err nil) when it was already gone.
func (c *Client) DeleteRole(ctx context.Context, id string) (deleted bool, err error) {
	if id == "" {
		return false, fmt.Errorf("no role id")
	}
	_, err = deleteRole(ctx, c, id)
	if IsReason(err, ReasonRoleNotFound) || isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// DeleteGroup deletes the group with that global id; deleted is false (and
// err nil) when it was already gone.
func (c *Client) DeleteGroup(ctx context.Context, id string) (deleted bool, err error) {
	if id == "" {
		return false, fmt.Errorf("no group id")
	}
	_, err = deleteGroup(ctx, c, id)
	if IsReason(err, ReasonGroupNotFound) || isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// isNotFound: a GraphQL error named NotFound.
func isNotFound(err error) bool {
	var ge *GraphQLError
	return errors.As(err, &ge) && ge.Name == "NotFound"
}
