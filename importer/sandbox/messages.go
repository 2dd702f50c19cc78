package sandbox

// The messages Authgear would send: the Admin API's
// sendResetPasswordMessage(input: {loginID}) sends the project's own
// reset-password message to every email and phone login ID equal to
// loginID (authgear-server pkg/lib/feature/forgotpassword, Service.SendCode,
// called by pkg/admin/graphql's sendResetPasswordMessage with no options).
// The sandbox sends nothing: it records each message (Server.Messages).

import "time"

// Message is a message the sandbox would have sent.
type Message struct {
	// Kind is "reset_password".
	Kind string
	// Channel is "email" or "sms"; Target the address or number it goes
	// to (the login ID's normalised value).
	Channel, Target string
	// UserID is the user the login ID belongs to; LoginID the value the
	// mutation was given.
	UserID, LoginID string
	At              time.Time
}

// MessageResetPassword is the Kind of a reset-password message.
const MessageResetPassword = "reset_password"

// Messages returns the messages recorded so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// sendResetPasswordMessage is the mutation's resolver. Authgear looks the
// value up among the email and phone login IDs only (ListByClaim on the
// email and phone_number claims): a username, or a value no one holds, is
// the error ForgotPasswordFailed with cause UserNotFound ("specified user
// not found", errorName Invalid); the field is null either way (its type
// is Boolean and the resolver returns nil on success).
func (s *Server) sendResetPasswordMessage(loginID string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found bool
	for _, k := range [...]struct{ key, channel string }{{"email", "email"}, {"phone", "sms"}} {
		id, ok := s.store.byUnique[uniqueKey(k.key, loginID)]
		if !ok {
			continue
		}
		found = true
		s.messages = append(s.messages, Message{Kind: MessageResetPassword, Channel: k.channel, Target: id.claim,
			UserID: id.userID, LoginID: loginID, At: s.now().UTC()})
		// Said, so that a rehearsal of notify against the standalone
		// sandbox shows what Authgear would send (%q: a login ID is
		// text from a file).
		s.logf("sandbox: reset-password message by %s to %q (user %s): recorded, not sent", k.channel, id.claim, id.userID)
	}
	if !found {
		return nil, &gqlError{name: "Invalid", reason: "ForgotPasswordFailed", message: "specified user not found",
			info: map[string]any{"cause": map[string]any{"kind": "UserNotFound"}}}
	}
	return nil, nil
}
