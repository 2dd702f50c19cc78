package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Tokens is the answer of /oauth2/token.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// OAuthSignIn signs a user in through the OAuth code path of the server at
// endpoint, as real-server/sign-in s04 did it, without a browser: GET
// /oauth2/authorize (code + PKCE S256) for its x_ref, the login flow bound
// by url_query with batch_input (identify, primary_password), the flow's
// finish_redirect_uri, and the code exchange. It is for tests: the tokens
// it returns are the ones a real sign-in produces. The password is sent
// only in the flow's request body.
func OAuthSignIn(ctx context.Context, hc *http.Client, endpoint string, client OAuthClient, identification, loginID, password string) (Tokens, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	if len(client.RedirectURIs) == 0 {
		return Tokens{}, errors.New("sandbox: OAuthSignIn: the client has no redirect URI")
	}
	// Redirects are read, not followed.
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	endpoint = strings.TrimSuffix(endpoint, "/")
	redirectURI := client.RedirectURIs[0]

	var raw [48]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Tokens{}, err
	}
	verifier := base64.RawURLEncoding.EncodeToString(raw[:])
	q := url.Values{
		"client_id": {client.ID}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid offline_access"}, "code_challenge": {pkceS256(verifier)}, "code_challenge_method": {"S256"},
		"state": {"sandbox-sign-in"},
	}
	loc, err := getLocation(ctx, &noFollow, endpoint+authorizePath+"?"+q.Encode(), http.StatusFound)
	if err != nil {
		return Tokens{}, fmt.Errorf("authorize: %w", err)
	}
	xref := loc.Query().Get("x_ref")
	if xref == "" {
		return Tokens{}, fmt.Errorf("authorize: no x_ref in %s", loc.Redacted())
	}

	body, _ := json.Marshal(map[string]any{
		"type": "login", "name": "default",
		"url_query": url.Values{"client_id": {client.ID}, "x_ref": {xref}}.Encode(),
		"batch_input": []any{
			map[string]any{"identification": identification, "login_id": loginID},
			map[string]any{"authentication": "primary_password", "password": password},
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+flowsPath, strings.NewReader(string(body)))
	if err != nil {
		return Tokens{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := noFollow.Do(req)
	if err != nil {
		return Tokens{}, err
	}
	var flow struct {
		Result struct {
			Action struct {
				Type string `json:"type"`
				Data struct {
					FinishRedirectURI string `json:"finish_redirect_uri"`
				} `json:"data"`
			} `json:"action"`
		} `json:"result"`
		Error *APIError `json:"error"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&flow)
	resp.Body.Close()
	if err != nil {
		return Tokens{}, fmt.Errorf("login flow: %d: %w", resp.StatusCode, err)
	}
	if flow.Error != nil {
		return Tokens{}, fmt.Errorf("login flow: %d %s", resp.StatusCode, flow.Error.Reason)
	}
	if flow.Result.Action.Type != stepFinished || flow.Result.Action.Data.FinishRedirectURI == "" {
		return Tokens{}, fmt.Errorf("login flow: action %q, not finished with a finish_redirect_uri", flow.Result.Action.Type)
	}

	back, err := getLocation(ctx, &noFollow, flow.Result.Action.Data.FinishRedirectURI, http.StatusSeeOther)
	if err != nil {
		return Tokens{}, fmt.Errorf("consent: %w", err)
	}
	code := back.Query().Get("code")
	if code == "" {
		return Tokens{}, fmt.Errorf("consent: no code (%s)", back.Query().Get("error_description"))
	}

	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {client.ID}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, endpoint+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = noFollow.Do(req)
	if err != nil {
		return Tokens{}, err
	}
	defer resp.Body.Close()
	var tok Tokens
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return Tokens{}, fmt.Errorf("token: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil {
		return Tokens{}, fmt.Errorf("token: %w", err)
	}
	return tok, nil
}

// getLocation GETs u and returns the Location of the want answer.
func getLocation(ctx context.Context, hc *http.Client, u string, want int) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return resp.Location()
}
