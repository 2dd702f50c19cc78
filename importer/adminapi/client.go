package adminapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ImportPath is the User Import API's path.
const ImportPath = "/_api/admin/users/import"

// Defaults of a Client.
const (
	// DefaultAttempts is the most requests made before giving up on a
	// retryable failure (the first one included). It is high enough that
	// the retry budget (DefaultMaxElapsed), not the count, ends the retries:
	// with 6 attempts a refused connection was given up after about 8 s
	// (15.5 s at most), so a server restart of 10-12 s stopped the run.
	// 30 attempts of full-jitter backoff wait about 6 minutes on average.
	DefaultAttempts = 30
	// DefaultBaseDelay is the backoff ceiling after the first failure; it
	// doubles after each further failure, up to DefaultMaxDelay.
	DefaultBaseDelay = 500 * time.Millisecond
	// DefaultMaxDelay caps the backoff ceiling.
	DefaultMaxDelay = 30 * time.Second
	// DefaultMaxResponseBytes bounds how much of an answer is read. The
	// final status of a 15,623-record job is about 2.1 MB.
	DefaultMaxResponseBytes = 64 << 20
	// DefaultTimeout bounds one attempt, from sending the request to the
	// end of the answer (the default http.Client's Timeout).
	DefaultTimeout = 2 * time.Minute
	// DefaultResponseHeaderTimeout bounds the wait for the start of an
	// answer once the request is sent (the default transport's
	// ResponseHeaderTimeout). A real server starts answering a 500 KB POST
	// within 0.2 s; a server that says nothing is given up on after this,
	// so six attempts of a silent server take under 5 minutes, not 12.
	DefaultResponseHeaderTimeout = 45 * time.Second
	// DefaultMaxElapsed is the retry budget: no attempt is started after
	// this much time since the first one. With DefaultTimeout, one request
	// (all its attempts and waits) lasts at most 7 minutes.
	DefaultMaxElapsed = 5 * time.Minute
	// DefaultUserAgent is sent as User-Agent.
	DefaultUserAgent = "authgear-migrate"
)

// headBytes is how much of an unexpected body is kept for the error.
const headBytes = 4 << 10

// Client calls the User Import API. It is safe for concurrent use.
//
// Retries: network failures and 500/502/503/504 answers are retried with
// exponential backoff and full jitter (a random delay between 0 and
// min(maxDelay, base*2^(n-1)) after the n-th failure; a Retry-After in
// seconds is honoured up to maxDelay), at most the configured number of
// attempts, and never past the context's end. GET is always safe to retry.
// POST is retried too: after a dial error or a 503 answer no job was
// created (a 500 may come after some of the job's tasks were enqueued, and a
// 502 or 504 from a gateway may hide a server that received the request:
// those are marked ambiguous); when the connection fails after the whole
// request was written and no answer came, the server may have created the
// job, and the retry goes ahead anyway because the caller must learn each
// record's outcome, but the result is marked Ambiguous (Job.Ambiguous, or
// RequestError.Ambiguous). A 2xx answer to a POST whose body is cut short
// is retried and marked the same way; one whose body is not the expected
// JSON is an error marked Ambiguous, and so is one whose job id is not an
// import job id (ValidJobID). 4xx answers (400, 403, 404, 413, 415, 429)
// are never retried.
//
// Time: one attempt is bounded by the http.Client's Timeout
// (DefaultTimeout) and, with the default transport, the wait for the first
// byte of the answer by DefaultResponseHeaderTimeout; no new attempt starts
// after the retry budget (DefaultMaxElapsed, WithMaxElapsed) is spent. So a
// request lasts at most the budget plus one attempt. Before each wait the
// OnRetry hooks (WithOnRetry, ContextWithOnRetry) are told why and for how
// long, so a caller can say so.
//
// Answers: every answer is read whole (up to WithMaxResponseBytes) and the
// bearer tokens the client sent (and their parts, and a long key id) are
// replaced by RedactedMarker in the raw bytes, before anything is decoded
// or kept (see redact.go for the forms covered). What is kept of the
// server's strings is bounded (MaxServerTextBytes and the limits beside it),
// and a user_id that is not a UUID is dropped with a warning
// (WarningUserIDDropped).
type Client struct {
	endpoint    *url.URL
	hc          *http.Client
	tokens      *TokenSource
	attempts    int
	baseDelay   time.Duration
	maxDelay    time.Duration
	sleep       func(ctx context.Context, d time.Duration) error
	userAgent   string
	maxResponse int64
	maxElapsed  time.Duration
	jitter      func(n int64) int64 // uniform in [0, n)
	now         func() time.Time
	onRetry     func(RetryEvent)
	red         *redactor
	// skew is the server's clock minus this machine's, from the Date
	// header of the last answer (skewKnown once one was read).
	skew      atomic.Int64
	skewKnown atomic.Bool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (for a proxy, custom CAs or a
// different timeout). The client is copied, not modified: redirects are not
// followed (a redirect could carry the token elsewhere, and the Admin API
// never redirects) and, if its transport is an *http.Transport with
// InsecureSkipVerify, that setting is turned off. hc.Timeout bounds each
// attempt; hc's transport is used as it is (DefaultResponseHeaderTimeout is
// only set on the client's own default transport).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithRetry sets the retry policy: attempts is the total number of
// requests (1 means no retries); base and maxDelay bound the backoff. Values
// below the minimum (1 attempt, 0 durations) are raised to it.
func WithRetry(attempts int, base, maxDelay time.Duration) Option {
	return func(c *Client) {
		c.attempts = max1(attempts)
		c.baseDelay = nonNeg(base)
		c.maxDelay = nonNeg(maxDelay)
		if c.maxDelay < c.baseDelay {
			c.maxDelay = c.baseDelay
		}
	}
}

// WithMaxElapsed sets the retry budget: after a retryable failure, no
// further attempt is made if it would start more than d after the first
// attempt (the error then has RequestError.OutOfTime set). Zero or less
// means no budget: only the number of attempts bounds the retries.
func WithMaxElapsed(d time.Duration) Option {
	return func(c *Client) { c.maxElapsed = nonNeg(d) }
}

// WithSleep replaces the backoff wait, for tests. sleep must return early
// with ctx.Err() when ctx ends.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// WithMaxResponseBytes bounds how much of one answer is read.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxResponse = n
		}
	}
}

// New returns a client for the endpoint (see ParseEndpoint) that
// authenticates with tokens. It panics if either is nil.
func New(endpoint *url.URL, tokens *TokenSource, opts ...Option) *Client {
	if endpoint == nil || tokens == nil {
		panic("adminapi: New needs an endpoint and a token source")
	}
	ep := *endpoint
	ep.Path = strings.TrimSuffix(ep.Path, "/")
	ep.RawPath, ep.RawQuery, ep.Fragment, ep.User = "", "", "", nil
	c := &Client{
		endpoint:    &ep,
		tokens:      tokens,
		attempts:    DefaultAttempts,
		baseDelay:   DefaultBaseDelay,
		maxDelay:    DefaultMaxDelay,
		sleep:       sleepCtx,
		userAgent:   DefaultUserAgent,
		maxResponse: DefaultMaxResponseBytes,
		maxElapsed:  DefaultMaxElapsed,
		jitter:      rand.Int64N,
		now:         time.Now,
		red:         newRedactor(tokens.KeyID()),
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout, Transport: defaultTransport()}
	}
	c.hc = harden(c.hc)
	return c
}

// Endpoint returns the endpoint the client sends to.
func (c *Client) Endpoint() *url.URL { u := *c.endpoint; return &u }

// String describes the client without credentials.
func (c *Client) String() string {
	return fmt.Sprintf("adminapi.Client{Endpoint: %s, %s}", c.endpoint, c.tokens)
}

// CreateImport posts an already-encoded import request
// ({"identifier":...,"upsert":...,"records":[...]}) and returns the job as
// the server describes it: usually pending, sometimes already completed.
// The caller keeps the body under MaxBodyBytes; a 413 is reported as an
// error for which IsTooLarge is true.
func (c *Client) CreateImport(ctx context.Context, body []byte) (*Job, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &RequestError{Method: http.MethodPost, Path: ImportPath, Err: errors.New("empty request body")}
	}
	return c.do(ctx, http.MethodPost, ImportPath, body)
}

// GetImport reads a job's status. Poll it until Job.Status is
// StatusCompleted; an unknown or expired id gives an error for which
// IsTaskNotFound is true.
func (c *Client) GetImport(ctx context.Context, id string) (*Job, error) {
	path := ImportPath + "/" + id
	if !validJobID(id) {
		return nil, &RequestError{Method: http.MethodGet, Path: ImportPath + "/{id}", Err: fmt.Errorf("invalid job id %q: expected letters, digits and underscores, like userimport_...", truncate(id, 80))}
	}
	return c.do(ctx, http.MethodGet, path, nil)
}

func validJobID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

type attemptResult struct {
	err        error
	retry      bool
	ambiguous  bool
	retryAfter time.Duration
	stopped    error // the context ended during the attempt
}

// do sends an import request until it succeeds or may not be retried.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*Job, error) {
	var job *Job
	attempts, ambiguous, err := c.send(ctx, method, path, body, func(resp *http.Response, sec *secretSet) (attemptResult, bool) {
		j, res, cut := c.readAnswer(resp, method, sec)
		job = j
		return res, cut
	})
	if err != nil {
		return nil, err
	}
	job.Attempts = attempts
	job.Ambiguous = ambiguous
	return job, nil
}

// answerReader reads one answer; it keeps what it decoded itself and
// reports whether the attempt failed (and may be retried), and whether the
// body was cut short.
type answerReader func(resp *http.Response, sec *secretSet) (res attemptResult, cut bool)

// send sends the request until read accepts an answer or the failure may
// not be retried. It returns the number of attempts and whether a POST may
// have reached the server on an attempt that failed; err is a
// *RequestError.
func (c *Client) send(ctx context.Context, method, path string, body []byte, read answerReader) (attempts int, ambiguous bool, err error) {
	rerr := &RequestError{Method: method, Path: path}
	start := c.now()
	for {
		if err := ctx.Err(); err != nil {
			rerr.Stopped = err
			return rerr.Attempts, rerr.Ambiguous, rerr
		}
		rerr.Attempts++
		res := c.attempt(ctx, method, path, body, read)
		if method == http.MethodPost && res.ambiguous {
			rerr.Ambiguous = true
		}
		if res.err == nil && res.stopped == nil {
			return rerr.Attempts, rerr.Ambiguous, nil
		}
		if res.stopped != nil {
			rerr.Stopped = res.stopped
			return rerr.Attempts, rerr.Ambiguous, rerr
		}
		rerr.Err = res.err
		if !res.retry || rerr.Attempts >= c.attempts {
			return rerr.Attempts, rerr.Ambiguous, rerr
		}
		wait := c.backoff(rerr.Attempts, res.retryAfter)
		if c.maxElapsed > 0 && c.now().Sub(start)+wait > c.maxElapsed {
			rerr.OutOfTime = c.maxElapsed
			return rerr.Attempts, rerr.Ambiguous, rerr
		}
		c.notifyRetry(ctx, RetryEvent{
			Method: method, Path: path,
			Attempt: rerr.Attempts, MaxAttempts: c.attempts,
			Wait:      wait,
			Reason:    retryReason(res.err),
			Ambiguous: rerr.Ambiguous,
		})
		if err := c.sleep(ctx, wait); err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			rerr.Stopped = err
			return rerr.Attempts, rerr.Ambiguous, rerr
		}
	}
}

// backoff returns the wait after the n-th failure: full jitter over
// [0, min(maxDelay, base*2^(n-1))], at least a Retry-After (capped).
func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	ceil := c.maxDelay
	if n-1 < 32 {
		if d := c.baseDelay << (n - 1); d > 0 && d < c.maxDelay {
			ceil = d
		}
	}
	d := time.Duration(0)
	if ceil > 0 && ceil < math.MaxInt64 {
		d = time.Duration(c.jitter(int64(ceil) + 1))
	}
	if retryAfter > 0 {
		d = max(d, min(retryAfter, c.maxDelay))
	}
	return d
}

func (c *Client) attempt(ctx context.Context, method, path string, body []byte, read answerReader) attemptResult {
	token, err := c.tokens.Token()
	if err != nil {
		return attemptResult{err: err}
	}
	sec := c.red.sent(token)
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	u := *c.endpoint
	u.Path = c.endpoint.Path + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, u.String(), rd)
	if err != nil {
		return attemptResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	began := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		ambiguous := wrote.Load()
		if ctx.Err() != nil {
			return attemptResult{stopped: ctx.Err(), ambiguous: ambiguous}
		}
		retry, hint := classifyNetErr(err)
		return attemptResult{
			err:       newTransportError(hint, err, retry, sec, netReason(err, c.now().Sub(began), sec)),
			retry:     retry,
			ambiguous: ambiguous,
		}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 256<<10))
		_ = resp.Body.Close()
	}()
	c.learnClock(resp)
	res, cut := read(resp, sec)
	if res.err != nil {
		s := resp.StatusCode
		switch {
		case s >= 200 && s < 300:
			// The server accepted the request, so the job most likely
			// exists, but its description was lost or unreadable.
			res.ambiguous = true
		case s == http.StatusBadGateway || s == http.StatusGatewayTimeout:
			// A gateway answered; the server behind it may have got the
			// request.
			res.ambiguous = true
		case s == http.StatusInternalServerError && resp.Request != nil && resp.Request.Method == http.MethodPost:
			// Authgear enqueues a job's tasks before it writes the job
			// record (authgear-import-api.md §2.2): a 500 part-way leaves
			// tasks that import records with no job id to read them by.
			res.ambiguous = true
		}
		if cut && ctx.Err() != nil {
			res.stopped = ctx.Err()
		}
	}
	return res
}

// learnClock keeps the difference between the server's clock (the answer's
// Date header, whole seconds) and this machine's.
func (c *Client) learnClock(resp *http.Response) {
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return
	}
	// Date is truncated to the second: the middle of that second is the
	// best guess of the server's time when it answered.
	c.skew.Store(int64(d.Add(500 * time.Millisecond).Sub(c.now())))
	c.skewKnown.Store(true)
}

// ServerNow estimates the server's clock now, from the Date header of the
// last answer; ok is false before any answer with a Date. The estimate is
// within about a second plus the answer's travel time.
func (c *Client) ServerNow() (t time.Time, ok bool) {
	if !c.skewKnown.Load() {
		return time.Time{}, false
	}
	return c.now().Add(time.Duration(c.skew.Load())).UTC(), true
}

// readAnswer reads the whole answer (up to maxResponse), redacts it, and
// decodes {"result": job} or {"error": APIError}; anything else becomes an
// *HTTPError. cut reports that reading the body failed part-way (a network
// failure).
func (c *Client) readAnswer(resp *http.Response, method string, sec *secretSet) (job *Job, res attemptResult, cut bool) {
	status := resp.StatusCode
	ok2xx := status >= 200 && status < 300
	ct := clip(sec.string(resp.Header.Get("Content-Type")), maxShortText)
	br := &boundedReader{r: resp.Body, max: c.maxResponse}
	raw, _ := io.ReadAll(br) // failures are recorded in br
	// The one place where the server's bytes are redacted: nothing below
	// sees the raw body.
	body := sec.bytes(raw)

	httpErr := func() (*Job, attemptResult, bool) {
		head := body[:min(len(body), headBytes)]
		he := &HTTPError{Status: status, ContentType: ct, Body: string(head)}
		he.Hint = c.hint(status, resp, sec)
		return nil, attemptResult{
			err:        he,
			retry:      retryableStatus(status),
			retryAfter: retryAfter(resp, status),
		}, false
	}

	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if br.ioErr != nil && ok2xx {
			return nil, readFailure(status, br.ioErr, sec), true
		}
		return httpErr()
	}
	if br.tooBig {
		return nil, attemptResult{err: newTransportError(fmt.Sprintf("the answer (HTTP %d) is larger than %d bytes; not reading it", status, c.maxResponse), nil, false, sec, "")}, false
	}

	var env struct {
		Result *Job      `json:"result"`
		Error  *APIError `json:"error"`
	}
	if err := json.NewDecoder(bytes.NewReader(trimmed)).Decode(&env); err != nil {
		if br.ioErr != nil {
			return nil, readFailure(status, br.ioErr, sec), true
		}
		return httpErr()
	}
	switch {
	case env.Error != nil:
		env.Error.sanitize()
		env.Error.Status = status
		return nil, attemptResult{
			err:        env.Error,
			retry:      retryableStatus(status),
			retryAfter: retryAfter(resp, status),
		}, false
	case env.Result != nil && ok2xx:
		j := env.Result
		switch {
		case j.ID == "":
			return httpErr()
		case method == http.MethodPost && !ValidJobID(j.ID):
			// The POST may have created a job, but not one this client
			// can follow or journal: an ambiguous failure (attempt marks
			// it so), not retried.
			return nil, attemptResult{err: &AnswerError{Status: status,
				Problem: fmt.Sprintf("the job id %q is not an import job id (%s followed by letters and digits)", clip(j.ID, 80), jobIDPrefix)}}, false
		}
		j.sanitize()
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			j.ServerTime = d.UTC()
		}
		return j, attemptResult{}, false
	}
	return httpErr()
}

func readFailure(status int, err error, sec *secretSet) attemptResult {
	return attemptResult{
		err:   newTransportError(fmt.Sprintf("reading the answer (HTTP %d) failed", status), err, true, sec, fmt.Sprintf("the answer (HTTP %d) was cut short", status)),
		retry: true,
	}
}

func (c *Client) hint(status int, resp *http.Response, sec *secretSet) string {
	switch {
	case status == http.StatusForbidden:
		return fmt.Sprintf("Authgear refused the Admin API token (every authentication failure is this same 403). Check: "+
			"(1) the key id %q (%s) is the Key ID shown in the portal (Advanced > Admin API) for this key; "+
			"(2) the project id %q (%s), sent as the token's aud, is the id of the project at this endpoint (the <id> of https://<id>.authgear.cloud); "+
			"(3) the private key (%s or %s) is the one downloaded for that key id, and the key has not been deleted in the portal; "+
			"(4) this machine's clock is right to within 5 minutes",
			c.tokens.KeyID(), EnvKeyID, c.tokens.ProjectID(), EnvProjectID, EnvKeyFile, EnvKey)
	case status == http.StatusNotFound:
		return fmt.Sprintf("no Authgear project or API answers at this address (%s): check %s", c.endpoint, EnvEndpoint)
	case status == http.StatusMethodNotAllowed:
		return fmt.Sprintf("this does not look like an Authgear Admin API: check %s (scheme, host and port only)", EnvEndpoint)
	case status == http.StatusUnsupportedMediaType:
		return "the server refused the request's content type; a proxy between here and Authgear may have changed it"
	case status >= 300 && status < 400:
		loc := sec.string(resp.Header.Get("Location"))
		if loc == "" {
			return "redirects are not followed"
		}
		return fmt.Sprintf("the endpoint redirects to %s; set %s to the final address (redirects are not followed, so the token is never sent elsewhere)", truncate(loc, 200), EnvEndpoint)
	case status >= 500:
		return "the server or a gateway in front of it failed"
	case status >= 200 && status < 300:
		return fmt.Sprintf("the answer is not the Admin API's {\"result\": ...}; is %s an Authgear server?", c.endpoint)
	}
	return ""
}

// retryAfter reads a Retry-After given in seconds on retryable answers.
func retryAfter(resp *http.Response, status int) time.Duration {
	if !retryableStatus(status) {
		return 0
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	if n > 3600 {
		n = 3600
	}
	return time.Duration(n) * time.Second
}

// classifyNetErr decides whether a failure to get an answer may pass, and
// gives a hint for those that will not.
func classifyNetErr(err error) (retry bool, hint string) {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return false, "the server's TLS certificate could not be verified (certificates are always verified; to trust a private CA, add it to the system's trust store or pass an http.Client whose transport has it)"
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) {
		return false, "the server does not speak TLS at this address: check the scheme and port of " + EnvEndpoint
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false, "the endpoint's host name does not exist: check " + EnvEndpoint
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol scheme") {
		return false, ""
	}
	return true, ""
}

// boundedReader reads at most max bytes and remembers a failure of the
// underlying reader.
type boundedReader struct {
	r      io.Reader
	max, n int64
	ioErr  error
	tooBig bool
}

var errTooBig = errors.New("answer too large")

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n >= b.max {
		// Probe for one more byte to tell "exactly max" from "more".
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			b.tooBig = true
			return 0, errTooBig
		}
		return 0, err
	}
	if int64(len(p)) > b.max-b.n {
		p = p[:b.max-b.n]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		b.ioErr = err
	}
	return n, err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	return t
}

// harden copies hc, refuses redirects and turns certificate checks back on.
func harden(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if t, ok := cp.Transport.(*http.Transport); ok && t.TLSClientConfig != nil && t.TLSClientConfig.InsecureSkipVerify {
		t2 := t.Clone()
		t2.TLSClientConfig.InsecureSkipVerify = false
		cp.Transport = t2
	}
	return &cp
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func nonNeg(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}
