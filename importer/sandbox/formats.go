package sandbox

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // zoneinfo must not depend on the host (format "timezone")

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// The format checkers below follow pkg/util/validation/formats.go and
// pkg/util/phone of authgear-server, with the error texts the real server
// printed (real-server/m02, c22, c04), which differ from the older source
// in places ("invalid email address: ..." prefix, "rfc3339").
//
// Like Authgear's, every checker accepts a value that is not a string: the
// "type" keyword is responsible for that.

var errNotE164 = errors.New("not in E.164 format")
var errInvalidPhone = errors.New("invalid phone number")

// checkEmail: net/mail, and the parsed address must be the whole input, so a
// display name ("John <john@example.com>", real-server/m02 #27) fails with
// the bare "invalid email address".
func checkEmail(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("invalid email address: %w", err)
	}
	if addr.Name != "" || addr.Address != s {
		return errors.New("invalid email address")
	}
	return nil
}

var phoneChars = regexp.MustCompile(`^\+[0-9\ \-]*$`)

// checkPhone is Authgear's FormatPhone with ui.phone_input.validation:
// isValidNumber (the default, legalAndValidParser) or isPossibleNumber
// (legalParser). The input must already be E.164: "+852 9876 5433" parses
// and is valid, but is "not in E.164 format" (real-server/c04).
func checkPhone(possibleOnly bool) func(v any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		_, err := parsePhone(s, possibleOnly)
		return err
	}
}

// parsePhone returns the E.164 form of s, or the format error.
func parsePhone(s string, possibleOnly bool) (string, error) {
	if !phoneChars.MatchString(s) {
		return "", errNotE164
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", errNotE164
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return "", errInvalidPhone
	}
	if !possibleOnly && !phonenumbers.IsValidNumber(num) {
		return "", errInvalidPhone
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if e164 != s {
		return "", errNotE164
	}
	return e164, nil
}

// checkURI is FormatURI: absolute, with a clean absolute path.
func checkURI(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" || u.Host == "" {
		return errors.New("input URL must be absolute")
	}
	return checkAbsolutePath(u.EscapedPath())
}

// checkPicture is FormatPicture ("x_picture"): http(s) URI or
// authgearimages:///path.
func checkPicture(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https":
		return checkURI(v)
	case "authgearimages":
		if u.Host != "" {
			return errors.New("authgearimages URI does not have host")
		}
		return checkAbsolutePath(u.EscapedPath())
	default:
		return fmt.Errorf("invalid scheme: %v", u.Scheme)
	}
}

func checkAbsolutePath(p string) error {
	if p == "" {
		p = "/"
	}
	trailing := strings.HasSuffix(p, "/")
	cleaned := path.Clean(p)
	if trailing && !strings.HasSuffix(cleaned, "/") {
		cleaned += "/"
	}
	if !path.IsAbs(p) || cleaned != p {
		return fmt.Errorf("invalid path: %v", p)
	}
	return nil
}

// checkBirthdate accepts 2006-01-02, 0000-01-02, --01-02 and 2006 exactly as
// FormatBirthdate does (the same time.Parse layouts).
func checkBirthdate(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	for _, layout := range []string{"2006-01-02", "0000-01-02", "--01-02", "2006"} {
		if _, err := time.Parse(layout, s); err == nil {
			return nil
		}
	}
	return fmt.Errorf("invalid birthdate: %#v", s)
}

func checkTimezone(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if !strings.Contains(s, "/") {
		return fmt.Errorf("valid timezone name has at least 1 slash: %#v", s)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return fmt.Errorf("invalid timezone name: %w", err)
	}
	return nil
}

func checkBCP47(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	tag, err := language.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid BCP 47 tag: %w", err)
	}
	if c := tag.String(); c != s {
		return fmt.Errorf("non-canonical BCP 47 tag: %v != %v", s, c)
	}
	return nil
}

// checkDateTime: the message is the one the real server printed
// (real-server/m02 #18); the older source says "rfc3999".
func checkDateTime(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return errors.New("date-time must be in rfc3339 format")
	}
	return nil
}
