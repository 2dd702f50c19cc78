package adminapi

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvEndpoint  = "AUTHGEAR_ENDPOINT"
	EnvProjectID = "AUTHGEAR_PROJECT_ID"
	EnvKeyID     = "AUTHGEAR_ADMIN_KEY_ID"
	EnvKeyFile   = "AUTHGEAR_ADMIN_KEY_FILE"
	EnvKey       = "AUTHGEAR_ADMIN_KEY"
)

// maxKeyFileBytes bounds the key file read: a PEM is ~1.7 KB, a secrets
// file a few KB.
const maxKeyFileBytes = 1 << 20

// Credentials are what an Admin API token is made from. Printing them with
// fmt (any verb), String, GoString or slog never shows the key.
type Credentials struct {
	// ProjectID is the Authgear project (app) id, sent as the token's aud:
	// "myapp" for https://myapp.authgear.cloud.
	ProjectID string
	// KeyID is the key's id as shown in the portal, sent as the token's kid.
	KeyID string
	// Key is the RSA private key.
	Key *rsa.PrivateKey
}

// String describes the credentials without the key.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{ProjectID: %q, KeyID: %q, Key: %s}", c.ProjectID, c.KeyID, describeKey(c.Key))
}

// GoString is String: %#v must not dump the key either.
func (c Credentials) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Credentials) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue redacts the key for log/slog.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("project_id", c.ProjectID),
		slog.String("key_id", c.KeyID),
		slog.String("key", describeKey(c.Key)),
	)
}

// Validate reports what is missing, naming the settings to fix.
func (c Credentials) Validate() error {
	var errs []error
	if c.ProjectID == "" {
		errs = append(errs, errNoProjectID)
	}
	if c.KeyID == "" {
		errs = append(errs, errNoKeyID)
	}
	if c.Key == nil {
		errs = append(errs, errNoKey)
	}
	return errors.Join(errs...)
}

func describeKey(k *rsa.PrivateKey) string {
	if k == nil {
		return "<none>"
	}
	return fmt.Sprintf("[REDACTED RSA-%d]", k.N.BitLen())
}

var (
	errNoProjectID error = &MissingError{SettingProjectID, fmt.Sprintf("adminapi: no project id: set %s (or the project-id flag) to the project's id, the <id> in https://<id>.authgear.cloud; it is the token's aud", EnvProjectID)}
	errNoKeyID     error = &MissingError{SettingKeyID, fmt.Sprintf("adminapi: no key id: set %s (or the key-id flag) to the Key ID shown next to the key in the portal (Advanced > Admin API)", EnvKeyID)}
	errNoKey       error = &MissingError{SettingKey, fmt.Sprintf("adminapi: no private key: set %s (or the key-file flag) to the key file downloaded from the portal (Advanced > Admin API), or %s to the key itself", EnvKeyFile, EnvKey)}
)

// Config holds the settings credentials and the endpoint come from, before
// they are checked. Flags can override the fields ConfigFromEnv fills in.
// Printing a Config never shows KeyData.
type Config struct {
	// Endpoint is the project's endpoint, https://<project>.authgear.cloud
	// or a custom domain (AUTHGEAR_ENDPOINT).
	Endpoint string
	// ProjectID is the project id (AUTHGEAR_PROJECT_ID). When empty,
	// LoadCredentials derives it from Endpoint if it can.
	ProjectID string
	// KeyID is the key id from the portal (AUTHGEAR_ADMIN_KEY_ID). When
	// empty, the kid of a JWK or secrets file is used.
	KeyID string
	// KeyFile is the path of the private key file (AUTHGEAR_ADMIN_KEY_FILE).
	KeyFile string
	// KeyData is the private key itself, in any form ParsePrivateKey reads
	// (AUTHGEAR_ADMIN_KEY), for CI secrets. Set KeyFile or KeyData, not
	// both.
	KeyData string
}

// String describes the config with KeyData redacted.
func (c Config) String() string {
	kd := `""`
	if c.KeyData != "" {
		kd = "[REDACTED]"
	}
	return fmt.Sprintf("Config{Endpoint: %q, ProjectID: %q, KeyID: %q, KeyFile: %q, KeyData: %s}",
		c.Endpoint, c.ProjectID, c.KeyID, c.KeyFile, kd)
}

// GoString is String.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Config) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue redacts KeyData for log/slog.
func (c Config) LogValue() slog.Value {
	kd := ""
	if c.KeyData != "" {
		kd = "[REDACTED]"
	}
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("project_id", c.ProjectID),
		slog.String("key_id", c.KeyID),
		slog.String("key_file", c.KeyFile),
		slog.String("key_data", kd),
	)
}

// ConfigFromEnv reads the AUTHGEAR_* variables through getenv (os.Getenv,
// or a map lookup in tests). Values are trimmed. Nothing is derived or
// checked here: LoadCredentials does that, after flags have been applied.
func ConfigFromEnv(getenv func(string) string) Config {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	return Config{
		Endpoint:  get(EnvEndpoint),
		ProjectID: get(EnvProjectID),
		KeyID:     get(EnvKeyID),
		KeyFile:   get(EnvKeyFile),
		KeyData:   getenv(EnvKey),
	}
}

// LoadCredentials reads the key (from KeyFile or KeyData) and assembles the
// credentials: the project id comes from ProjectID or else from the
// Endpoint (see ProjectIDFromEndpoint); the key id from KeyID or else from
// the key file's kid. Everything missing is reported at once, each message
// naming the variable to set.
//
// The warnings are for the user, not errors: a key file readable by group
// or others, or a KeyID that differs from the file's kid (KeyID wins).
func LoadCredentials(cfg Config) (Credentials, []string, error) {
	var warnings []string
	var errs []error
	creds := Credentials{ProjectID: strings.TrimSpace(cfg.ProjectID), KeyID: strings.TrimSpace(cfg.KeyID)}

	if creds.ProjectID == "" {
		if id, ok := ProjectIDFromEndpoint(cfg.Endpoint); ok {
			creds.ProjectID = id
		} else {
			errs = append(errs, errNoProjectID)
		}
	}

	var data []byte
	var source string
	kidKnowable := true // false when a key error hides whether the key had a kid
	switch {
	case cfg.KeyFile != "" && strings.TrimSpace(cfg.KeyData) != "":
		errs = append(errs, fmt.Errorf("adminapi: both %s (key file) and %s (key data) are set; use one", EnvKeyFile, EnvKey))
		kidKnowable = false
	case cfg.KeyFile != "":
		source = "key file " + cfg.KeyFile
		b, w, err := readKeyFile(cfg.KeyFile)
		if err != nil {
			errs = append(errs, err)
			kidKnowable = false
		}
		data = b
		warnings = append(warnings, w...)
	case strings.TrimSpace(cfg.KeyData) != "":
		source = EnvKey
		data = []byte(cfg.KeyData)
	default:
		errs = append(errs, errNoKey)
	}

	if data != nil {
		key, kid, err := ParsePrivateKey(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source, err))
			kidKnowable = false
		} else {
			creds.Key = key
			switch {
			case creds.KeyID == "":
				creds.KeyID = kid
			case kid != "" && kid != creds.KeyID:
				warnings = append(warnings, fmt.Sprintf("the key id %q that was given differs from the kid %q in the %s; using %q", creds.KeyID, kid, source, creds.KeyID))
			}
		}
	}
	if creds.KeyID == "" && kidKnowable {
		errs = append(errs, errNoKeyID)
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, warnings, err
	}
	return creds, warnings, nil
}

func readKeyFile(path string) ([]byte, []string, error) {
	var warnings []string
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("adminapi: cannot read the key file (%s): %w", EnvKeyFile, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("adminapi: cannot read the key file (%s): %w", EnvKeyFile, err)
	}
	if !fi.Mode().IsRegular() && fi.Mode()&os.ModeNamedPipe == 0 {
		return nil, nil, fmt.Errorf("adminapi: the key file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("the key file %s can be read by other users (mode %04o); restrict it with: chmod 600 %s", path, fi.Mode().Perm(), path))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, warnings, fmt.Errorf("adminapi: cannot read the key file %s: %w", path, err)
	}
	if len(b) > maxKeyFileBytes {
		return nil, warnings, fmt.Errorf("adminapi: the key file %s is over 1 MiB: not a key file", path)
	}
	return b, warnings, nil
}

// cloudHostSuffixes are the default domains of Authgear Cloud projects. The
// portal builds a project's endpoint as "https://" + appID + suffix, and the
// server treats a host as a project's default domain when exactly one label
// precedes one of these suffixes (authgear-server:
// pkg/lib/config/environment.go, AppHostSuffixes.CheckIsDefaultDomain, whose
// test lists .authgearapps.com and .authgear-apps.com; .authgear.cloud is
// the current one).
var cloudHostSuffixes = []string{".authgear.cloud", ".authgearapps.com", ".authgear-apps.com"}

// ProjectIDFromEndpoint derives the project id from an Authgear Cloud
// default domain: https://myapp.authgear.cloud gives "myapp" (likewise
// *.authgearapps.com and *.authgear-apps.com, the older default domains).
// It reports false for anything else: custom domains, self-hosted servers,
// localhost, or a host with more than one label before the suffix (such as
// accounts.portal.authgearapps.com). For those the project id must be given.
func ProjectIDFromEndpoint(endpoint string) (string, bool) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "", false
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	for _, suffix := range cloudHostSuffixes {
		label, found := strings.CutSuffix(host, suffix)
		if !found || label == "" || strings.Contains(label, ".") {
			continue
		}
		if !validLabel(label) {
			return "", false
		}
		return label, true
	}
	return "", false
}

func validLabel(s string) bool {
	if len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
