package adminapi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseEndpoint checks a project endpoint and returns it as scheme://host[:port]
// with nothing else.
//
// The policy: https is required, because every request carries a bearer
// token. Plain http is allowed only for loopback hosts (localhost,
// 127.0.0.0/8, ::1), for a local Authgear or a test server. The URL must be
// just the endpoint: no user info, query, fragment or path (a single "/" is
// tolerated). TLS certificates are always verified by Client.
func ParseEndpoint(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &MissingError{SettingEndpoint, fmt.Sprintf("adminapi: no endpoint: set %s to the project's endpoint, for example https://myapp.authgear.cloud", EnvEndpoint)}
	}
	if !strings.Contains(s, "://") {
		s = redactUserinfo("https://" + strings.TrimPrefix(s, "//"))
		return nil, fmt.Errorf("adminapi: endpoint has no scheme: write it as %s", s)
	}
	raw := s
	s = redactUserinfo(s)
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("adminapi: endpoint %q is not a valid URL: %v", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("adminapi: endpoint %q has no host", s)
	}
	if u.User != nil {
		return nil, fmt.Errorf("adminapi: endpoint must not contain a user name or password")
	}
	switch scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(host) {
			return nil, fmt.Errorf("adminapi: endpoint %q uses plain http: use https (plain http is allowed only for localhost, 127.0.0.0/8 and ::1, because the requests carry an Admin API token or a password)", s)
		}
	default:
		return nil, fmt.Errorf("adminapi: endpoint %q: the scheme must be https", s)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, fmt.Errorf("adminapi: endpoint %q must not have a query (?...): give only scheme and host, like https://myapp.authgear.cloud", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return nil, fmt.Errorf("adminapi: endpoint %q must not have a fragment (#...): give only scheme and host, like https://myapp.authgear.cloud", s)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("adminapi: endpoint %q must not have a path (%s): give only scheme and host, like https://myapp.authgear.cloud; this program adds the paths it calls", s, u.Path)
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("adminapi: endpoint %q has an empty port", s)
	}
	return &url.URL{Scheme: scheme, Host: strings.ToLower(u.Host)}, nil
}

// IsLoopbackHost reports whether host (without port) is localhost or a
// loopback IP address. Names other than "localhost" are not resolved.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// redactUserinfo hides a user:password@ part so that errors never repeat it.
func redactUserinfo(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return s[:i+3] + "***@" + rest[at+1:]
	}
	return s
}
