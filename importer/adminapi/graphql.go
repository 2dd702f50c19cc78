package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
)

// GraphQLPath is the Admin API's GraphQL endpoint. It takes the same JWT as
// the import API.
const GraphQLPath = "/_api/admin/graphql"

// Reasons the GraphQL API answers with in errors[].extensions.reason
// (shared/real-server group q).
const (
	ReasonGetUsersInvalidArgument = "GetUsersInvalidArgument"
	ReasonUserNotFound            = "UserNotFound"
	ReasonRoleDuplicateKey        = "RoleDuplicateKey"
	ReasonGroupDuplicateKey       = "GroupDuplicateKey"
	ReasonInvalid                 = "Invalid"
)

// MaxGraphQLErrors bounds the errors kept from one GraphQL answer.
const MaxGraphQLErrors = 100

// GraphQLError is one entry of a GraphQL answer's "errors": HTTP 200 with
// {"message", "path", "extensions": {"errorName", "reason", "info"}}. Its
// APIError carries the message, errorName as Name and the reason, so
// IsReason works on it (and on GraphQLErrors).
type GraphQLError struct {
	APIError
	// Path is the answer path the error belongs to: an alias such as "u3",
	// a field such as "createRole", a list index in decimal.
	Path []string
}

// Error describes the error with its path.
func (e *GraphQLError) Error() string {
	if len(e.Path) == 0 {
		return e.APIError.Error()
	}
	return strings.Join(e.Path, ".") + ": " + e.APIError.Error()
}

// Unwrap returns the APIError.
func (e *GraphQLError) Unwrap() error { return &e.APIError }

// GraphQLErrors are the errors of one answer. Use errors.As with
// *GraphQLError or IsReason to look inside.
type GraphQLErrors []*GraphQLError

// Error joins the first few errors.
func (es GraphQLErrors) Error() string {
	var parts []string
	for i, e := range es {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(es)-3))
			break
		}
		parts = append(parts, e.Error())
	}
	return "graphql: " + strings.Join(parts, "; ")
}

// Unwrap returns every error.
func (es GraphQLErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ForPath returns the errors whose path starts with name (an alias or a
// field).
func (es GraphQLErrors) ForPath(name string) GraphQLErrors {
	var out GraphQLErrors
	for _, e := range es {
		if len(e.Path) > 0 && e.Path[0] == name {
			out = append(out, e)
		}
	}
	return out
}

// GraphQLResponse is a GraphQL answer: the (redacted) data and the errors.
type GraphQLResponse struct {
	Data     json.RawMessage
	Errors   GraphQLErrors
	Attempts int
	// Date is the server's clock when it answered (its Date header, whole
	// seconds); zero when the answer had none.
	Date time.Time
}

// GraphQL sends one query (or mutation) with its variables to GraphQLPath
// and returns the answer. Retries and their bounds are the import API's
// (see Client): network failures and 500/502/503/504 are retried (a
// syntax error is a 500 on a real server, so a malformed query costs its
// attempts; the queries of this package are checked against the schema in
// tests). A GraphQL error in the answer is not a failure of the request:
// it is in the response's Errors, for the caller to match with its aliases.
func (c *Client) GraphQL(ctx context.Context, query string, variables map[string]any) (*GraphQLResponse, error) {
	if strings.TrimSpace(query) == "" {
		return nil, &RequestError{Method: http.MethodPost, Path: GraphQLPath, Err: errors.New("empty GraphQL query")}
	}
	body, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, variables})
	if err != nil {
		return nil, &RequestError{Method: http.MethodPost, Path: GraphQLPath, Err: err}
	}
	var out *GraphQLResponse
	attempts, _, err := c.send(ctx, http.MethodPost, GraphQLPath, body, func(resp *http.Response, sec *secretSet) (attemptResult, bool) {
		r, res, cut := c.readGraphQL(resp, sec)
		out = r
		return res, cut
	})
	if err != nil {
		return nil, err
	}
	out.Attempts = attempts
	return out, nil
}

// MakeRequest implements genqlient's graphql.Client, so the generated
// functions of this package (generated.go) go through the client's auth,
// retries and redaction. GraphQL errors in the answer are returned as
// GraphQLErrors, after resp.Data is filled with what data there is.
func (c *Client) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	var vars map[string]any
	if req.Variables != nil {
		b, err := json.Marshal(req.Variables)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &vars); err != nil {
			return err
		}
	}
	r, err := c.GraphQL(ctx, req.Query, vars)
	if err != nil {
		return err
	}
	if len(r.Data) > 0 && !bytes.Equal(r.Data, []byte("null")) && resp.Data != nil {
		if err := json.Unmarshal(r.Data, resp.Data); err != nil {
			return &AnswerError{Status: http.StatusOK, Problem: "the GraphQL data does not have the expected shape: " + clip(err.Error(), maxInfoText)}
		}
	}
	if len(r.Errors) > 0 {
		return r.Errors
	}
	return nil
}

var _ graphql.Client = (*Client)(nil)

// readGraphQL reads a GraphQL answer: 200 {"data", "errors"}; an
// {"error": ...} envelope (a syntax error is 500 UnexpectedError) becomes an
// *APIError, anything else an *HTTPError.
func (c *Client) readGraphQL(resp *http.Response, sec *secretSet) (out *GraphQLResponse, res attemptResult, cut bool) {
	status := resp.StatusCode
	ct := clip(sec.string(resp.Header.Get("Content-Type")), maxShortText)
	br := &boundedReader{r: resp.Body, max: c.maxResponse}
	raw, _ := io.ReadAll(br)
	body := sec.bytes(raw)
	httpErr := func() (*GraphQLResponse, attemptResult, bool) {
		head := body[:min(len(body), headBytes)]
		he := &HTTPError{Status: status, ContentType: ct, Body: string(head)}
		he.Hint = c.hint(status, resp, sec)
		return nil, attemptResult{err: he, retry: retryableStatus(status), retryAfter: retryAfter(resp, status)}, false
	}
	if br.tooBig {
		return nil, attemptResult{err: newTransportError(fmt.Sprintf("the answer (HTTP %d) is larger than %d bytes; not reading it", status, c.maxResponse), nil, false, sec, "")}, false
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if br.ioErr != nil {
			return nil, readFailure(status, br.ioErr, sec), true
		}
		return httpErr()
	}
	var env struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
		Error  *APIError         `json:"error"`
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		if br.ioErr != nil {
			return nil, readFailure(status, br.ioErr, sec), true
		}
		return httpErr()
	}
	if env.Error != nil {
		env.Error.sanitize()
		env.Error.Status = status
		return nil, attemptResult{err: env.Error, retry: retryableStatus(status), retryAfter: retryAfter(resp, status)}, false
	}
	if status != http.StatusOK || (env.Data == nil && env.Errors == nil) {
		return httpErr()
	}
	out = &GraphQLResponse{Data: env.Data}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		out.Date = d.UTC()
	}
	for i, e := range env.Errors {
		if i == MaxGraphQLErrors {
			break
		}
		out.Errors = append(out.Errors, decodeGraphQLError(e))
	}
	return out, attemptResult{}, false
}

func decodeGraphQLError(raw json.RawMessage) *GraphQLError {
	var e struct {
		Message    string `json:"message"`
		Path       []any  `json:"path"`
		Extensions struct {
			ErrorName string         `json:"errorName"`
			Reason    string         `json:"reason"`
			Info      map[string]any `json:"info"`
		} `json:"extensions"`
	}
	out := &GraphQLError{}
	if err := json.Unmarshal(raw, &e); err != nil {
		out.Message = "an error the client could not read"
		return out
	}
	out.Name = e.Extensions.ErrorName
	out.Reason = e.Extensions.Reason
	out.Message = e.Message
	out.Info = e.Extensions.Info
	out.APIError.sanitize()
	for i, p := range e.Path {
		if i == 10 {
			break
		}
		switch v := p.(type) {
		case string:
			out.Path = append(out.Path, clip(v, maxShortText))
		case float64:
			out.Path = append(out.Path, strconv.FormatInt(int64(v), 10))
		}
	}
	return out
}
