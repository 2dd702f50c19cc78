package adminapi

import (
	"context"
	"errors"
	"net/http"
)

// ReasonForgotPasswordFailed is the reason sendResetPasswordMessage answers
// with when it sends nothing: cause UserNotFound (no email or phone login
// ID equals the value given; a username never does) or FeatureDisabled
// (the project turned forgot-password off). authgear-server
// pkg/lib/feature/forgotpassword/errors.go.
const ReasonForgotPasswordFailed = "ForgotPasswordFailed"

// sendResetPasswordMessageQuery is the Admin API mutation that sends the
// project's own reset-password message to a login ID (checked against
// the schema in tests, through the sandbox).
const sendResetPasswordMessageQuery = `mutation($input: SendResetPasswordMessageInput!) { sendResetPasswordMessage(input: $input) }`

// SendResetPasswordMessage asks Authgear to send its reset-password
// message to the user holding loginID, an email address or a phone
// number (E.164): to every email and phone login ID equal to it. The
// error is a request failure (after the client's retries), or the
// server's GraphQL error (IsLoginIDUnknown, IsRateLimited).
func (c *Client) SendResetPasswordMessage(ctx context.Context, loginID string) error {
	resp, err := c.GraphQL(ctx, sendResetPasswordMessageQuery, map[string]any{"input": map[string]any{"loginID": loginID}})
	if err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return resp.Errors
	}
	return nil
}

// IsLoginIDUnknown reports whether sendResetPasswordMessage found no email
// or phone login ID equal to the value (ForgotPasswordFailed, cause
// UserNotFound): nothing was sent, and sending again will not help.
func IsLoginIDUnknown(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Reason != ReasonForgotPasswordFailed {
		return false
	}
	cause, _ := ae.Info["cause"].(map[string]any)
	kind, _ := cause["kind"].(string)
	return kind == "UserNotFound"
}

// IsRateLimited reports whether the server (or a gateway before it) asked
// the client to slow down: HTTP 429, or a GraphQL error named
// TooManyRequest (Authgear's rate limits and messaging quotas).
func IsRateLimited(err error) bool {
	if statusOf(err) == http.StatusTooManyRequests {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.Name == "TooManyRequest"
}
