package adminapi

import (
	"context"
	"errors"
	"time"
)

// serverTimeQuery is the smallest authenticated question: its answer's
// Date header is the server's clock.
const serverTimeQuery = `query serverTime { users(first: 1) { totalCount } }`

// ErrNoServerTime: the server's answer carried no Date header.
var ErrNoServerTime = errors.New("the server's answer has no Date header")

// ServerTime asks the server for its clock: the Date header of a small
// GraphQL answer, in whole seconds. Undo compares users' createdAt (the
// server's clock) with the migration's start, and needs "now" on the same
// clock to correct times this machine recorded.
func (c *Client) ServerTime(ctx context.Context) (time.Time, error) {
	r, err := c.GraphQL(ctx, serverTimeQuery, nil)
	if err != nil {
		return time.Time{}, err
	}
	if len(r.Errors) > 0 {
		return time.Time{}, r.Errors
	}
	if r.Date.IsZero() {
		return time.Time{}, ErrNoServerTime
	}
	return r.Date, nil
}
