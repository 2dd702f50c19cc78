// Package adminapi is a client for the part of Authgear's Admin API that
// authgear-migrate needs: the User Import API.
//
//	POST /_api/admin/users/import       create an import job (CreateImport)
//	GET  /_api/admin/users/import/{id}  read a job's status (GetImport)
//
// The package covers four things:
//
//   - Keys: ParsePrivateKey reads the private key in the forms a user is
//     likely to have: the PEM file downloaded from the portal (PKCS#8), a
//     PKCS#1 PEM, a JWK or JWK set, or a self-hosted authgear.secrets.yaml.
//     Config, ConfigFromEnv and LoadCredentials turn settings into
//     Credentials.
//   - Tokens: TokenSource mints the RS256 JWT the Admin API wants
//     (header kid, typ JWT; claims aud=[project id], iat, exp=iat+5m) and
//     reuses it until about a minute before it expires.
//   - Endpoints: ParseEndpoint accepts https URLs, and plain http only for
//     loopback hosts. TLS certificates are always verified.
//   - Requests: Client sends the requests, retries what is safe to retry,
//     and turns every answer into a *Job or a typed error (*APIError,
//     *HTTPError, wrapped in a *RequestError).
//
// Answers, as recorded from a real server (see shared/real-server):
//
//   - success: 200 {"result": {...job...}}; a small job may already be
//     "completed" in the POST answer itself;
//   - API errors: {"error": {"name","reason","message","code","info",
//     "tracking_id"}} with the HTTP status in code: 400 ValidationFailed or
//     InvalidJSON, 404 TaskNotFound, 413 JSONTooLarge, 429
//     UsageLimitExceeded, 500 UnexpectedError;
//   - plain-text answers: every authentication failure is 403 "Forbidden\n";
//     an unknown Host is 404 "app not found"; a wrong content type is 415;
//     a wrong method is 405.
//
// The package never prints and never logs. Nothing it returns (errors,
// String and Format output, slog values) contains the private key or a
// bearer token.
//
// Text from the server is not trusted:
//
//   - every answer is redacted once, on its raw bytes, before it is
//     decoded: the tokens the client sent, each part of them, and a long key
//     id become RedactedMarker, raw or written with JSON \u or URL %XX
//     escapes (redact.go says exactly what is covered);
//   - what is kept of the server's strings is bounded (MaxServerTextBytes,
//     MaxDetailErrors, MaxDetailWarnings; sanitize.go has the rest);
//   - a POST answered with a job id that is not an import job id
//     (ValidJobID) fails, marked ambiguous; a user_id that is not a UUID
//     (ValidUserID) is dropped, with the warning WarningUserIDDropped.
//
// Retries are never silent: WithOnRetry and ContextWithOnRetry hooks get a
// RetryEvent before each wait, and the retry budget (WithMaxElapsed)
// bounds a request's total time.
package adminapi
