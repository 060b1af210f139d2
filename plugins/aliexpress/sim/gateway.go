package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// apiError is an error answer: the envelope's type, code and message.
type apiError struct {
	typ, code, msg string
	// retryAfter, when set, is sent as a Retry-After header (seconds).
	retryAfter int64
}

// The gateway's errors. Texts in quotes are the platform's own where a
// real answer was seen (IncompleteSignature, IllegalAccessToken,
// InvalidApiPath, ApiCallLimit); the others are worded after them.
func missing(name string) *apiError {
	return &apiError{typ: "ISV", code: "MissingParameter", msg: fmt.Sprintf("The input parameter “%s” that is mandatory for processing this request is not supplied.", name)}
}

func invalid(name, why string) *apiError {
	return &apiError{typ: "ISV", code: "InvalidParameter", msg: fmt.Sprintf("The input parameter “%s” is invalid: %s", name, why)}
}

var (
	errSignature = &apiError{typ: "ISV", code: "IncompleteSignature", msg: "The request signature does not conform to platform standards"}
	errToken     = &apiError{typ: "ISV", code: "IllegalAccessToken", msg: "The specified access token is invalid or expired"}
	errAppKey    = &apiError{typ: "ISV", code: "InvalidAppKey", msg: "The specified app key is invalid"}
	errAPIPath   = &apiError{typ: "ISV", code: "InvalidApiPath", msg: "The specified API Path is invalid"}
)

// systemParams are the common parameters a /sync request may carry
// (TopExecutor of the Java SDK sends app_key, v, timestamp, method,
// format, session, partner_id, sign_method, simplify, debug and sign).
var systemParams = []string{"app_key", "method", "session", "timestamp", "sign_method", "sign", "format", "v", "partner_id", "simplify", "debug"}

// maxBody bounds the form body the gateway reads.
const maxBody = 1 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()

	var rest bool
	apiPath := ""
	switch {
	case r.URL.Path == "/sync":
	case strings.HasPrefix(r.URL.Path, "/rest/"):
		rest, apiPath = true, strings.TrimPrefix(r.URL.Path, "/rest")
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	params, aerr := readParams(r)
	if aerr == nil {
		aerr = s.authenticate(params, apiPath, rest)
	}
	if aerr == nil && rest {
		// No system API is simulated: a request that passes the checks
		// still names a path this gateway does not have.
		aerr = errAPIPath
	}
	if aerr != nil {
		s.fail(w, rest, aerr)
		return
	}
	method := params["method"]
	api, ok := apis[method]
	if !ok {
		s.fail(w, false, errAPIPath)
		return
	}
	aerr = checkBusinessParams(params, api)
	var body map[string]any
	var rspCode string
	if aerr == nil {
		body, rspCode, aerr = api.handle(s, params)
	}
	if aerr != nil {
		s.fail(w, false, aerr)
		return
	}
	s.mu.Lock()
	if rspCode == "" {
		s.stats.Calls[method]++
	} else {
		s.stats.Errors[rspCode]++
	}
	s.mu.Unlock()
	s.write(w, map[string]any{strings.ReplaceAll(method, ".", "_") + "_response": body})
}

// readParams reads the parameters from the bytes received: the raw query
// and, for a form, the raw body, each parsed by url.ParseQuery and nothing
// else. A name given twice must carry the same value (the Java SDK sends
// "method" both in the URL it builds and among the common parameters).
func readParams(r *http.Request) (map[string]string, *apiError) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid("query", "not valid URL encoding")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, invalid("body", "could not be read")
	}
	if len(raw) > maxBody {
		return nil, invalid("body", "larger than 1 MiB")
	}
	var form url.Values
	if len(raw) > 0 {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, invalid("body", "only application/x-www-form-urlencoded bodies are accepted")
		}
		if form, err = url.ParseQuery(string(raw)); err != nil {
			return nil, invalid("body", "not valid URL encoding")
		}
	}
	params := map[string]string{}
	for _, vals := range []url.Values{query, form} {
		for k, vs := range vals {
			for _, v := range vs {
				if prev, seen := params[k]; seen && prev != v {
					return nil, invalid(k, "given twice with different values")
				}
				params[k] = v
			}
		}
	}
	return params, nil
}

// authenticate checks what every request must have, in the order a
// gateway can check it: the common parameters, the app, the clock, the
// signature, blank values, the token, then flow control.
func (s *Server) authenticate(params map[string]string, apiPath string, rest bool) *apiError {
	if _, ok := params["method"]; !ok && !rest {
		return missing("method")
	}
	for _, name := range []string{"app_key", "sign_method", "timestamp", "sign"} {
		if _, ok := params[name]; !ok {
			return missing(name)
		}
	}
	if params["app_key"] != s.opts.AppKey {
		return errAppKey
	}
	// IopUtils.signApiRequest accepts both names of HMAC-SHA256.
	if m := params["sign_method"]; m != "sha256" && m != "HmacSHA256" {
		return invalid("sign_method", fmt.Sprintf("%q is not supported; use sha256", m))
	}
	if aerr := s.checkTimestamp(params["timestamp"]); aerr != nil {
		return aerr
	}
	if !hmac.Equal([]byte(strings.ToUpper(params["sign"])), []byte(signature(s.opts.AppSecret, apiPath, params))) {
		return errSignature
	}
	for k, v := range params {
		if blank(v) {
			return invalid(k, "must not be empty")
		}
	}
	if !rest {
		for _, name := range []string{"format", "simplify"} {
			if v, ok := params[name]; ok && !(name == "format" && v == "json" || name == "simplify" && v == "false") {
				return invalid(name, fmt.Sprintf("%q is not simulated; the simulator answers unsimplified JSON", v))
			}
		}
		// The token is "session" on /sync. (No simulated /rest path
		// needs one; GopExecutor would send it as "access_token".)
		token, ok := params["session"]
		if !ok {
			return missing("session")
		}
		if token != s.opts.AccessToken {
			return errToken
		}
	}
	if wait, ok := s.gw.Take(); !ok {
		return s.limited(wait)
	}
	return nil
}

// limited is the flow-control refusal, saying when to come back as
// Options.Throttle chose.
func (s *Server) limited(wait time.Duration) *apiError {
	switch s.opts.Throttle.Or(simkit.ThrottleBan) {
	case simkit.ThrottleRetryAfter:
		return &apiError{typ: "ISV", code: "ApiCallLimit", msg: frequencyExceeded, retryAfter: simkit.BanSeconds(wait)}
	case simkit.ThrottleNoHint:
		return &apiError{typ: "ISV", code: "ApiCallLimit", msg: frequencyExceeded}
	}
	return banError(wait)
}

const frequencyExceeded = "Api access frequency exceeds the limit."

// banError is the gateway's flow-control refusal, with the ban rounded up
// to whole seconds as the platform states it.
func banError(wait time.Duration) *apiError {
	return &apiError{typ: "ISV", code: "ApiCallLimit", msg: fmt.Sprintf("%s this ban will last %d seconds", frequencyExceeded, simkit.BanSeconds(wait))}
}

// syncEnvelope is a /sync error answer.
func syncEnvelope(e *apiError, requestID string) map[string]any {
	return map[string]any{"error_response": map[string]any{"type": e.typ, "code": e.code, "msg": e.msg, "request_id": requestID}}
}

// checkTimestamp accepts the two forms "Calling parameters" names,
// milliseconds ("1517886554000") and UTC ("2017-11-11T12:00:00Z"), within
// the window of the gateway's clock.
func (s *Server) checkTimestamp(v string) *apiError {
	var t time.Time
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		t = time.UnixMilli(ms)
	} else if u, err := time.Parse("2006-01-02T15:04:05Z", v); err == nil {
		t = u
	} else {
		return &apiError{typ: "ISV", code: "InvalidTimestamp", msg: fmt.Sprintf("The timestamp %q is neither milliseconds nor yyyy-MM-ddTHH:mm:ssZ", v)}
	}
	skew := s.gw.Now().Sub(t)
	if skew < 0 {
		skew = -skew
	}
	if skew > s.opts.TimestampWindow {
		return &apiError{typ: "ISV", code: "InvalidTimestamp", msg: fmt.Sprintf("The timestamp is %s away from the server time, more than the %d seconds allowed", skew.Round(time.Second), int(s.opts.TimestampWindow.Seconds()))}
	}
	return nil
}

// signature is what the gateway expects in "sign", computed here from the
// parameters as received. It is the platform's side of the algorithm and
// deliberately written apart from the plugin's signer: were they one
// function, a mistake in it would pass every end-to-end test. Rules as
// the Java SDK's IopUtils.signApiRequest: names sorted, "sign" and blank
// values left out, the API path (for /rest) in front, HMAC-SHA256 of the
// UTF-8 bytes keyed by the app secret, upper-case hex.
func signature(secret, apiPath string, params map[string]string) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, v := range params {
		if k != "sign" && !blank(k) && !blank(v) {
			pairs = append(pairs, pair{k, v})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, apiPath)
	for _, p := range pairs {
		io.WriteString(mac, p.k)
		io.WriteString(mac, p.v)
	}
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// blank is true for a value the Java SDK treats as empty: no characters
// but java.lang.Character.isWhitespace ones (which excludes the
// non-breaking spaces U+00A0, U+2007 and U+202F).
func blank(v string) bool {
	return strings.TrimFunc(v, func(r rune) bool {
		if r == 0xA0 || r == 0x2007 || r == 0x202F {
			return false
		}
		return r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || (r >= 0x1C && r <= 0x1F) ||
			unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
	}) == ""
}

// checkBusinessParams refuses a business parameter the API does not have
// and a required one that is missing.
func checkBusinessParams(params map[string]string, a api) *apiError {
	for k := range params {
		if !slices.Contains(systemParams, k) && !slices.Contains(a.optional, k) && !slices.Contains(a.required, k) {
			return invalid(k, "is not a parameter of this API")
		}
	}
	for _, k := range a.required {
		if _, ok := params[k]; !ok {
			return missing(k)
		}
	}
	return nil
}

// fail writes an error answer in the envelope of the call's style, with
// status 200 as the gateway does.
func (s *Server) fail(w http.ResponseWriter, rest bool, e *apiError) {
	s.mu.Lock()
	s.stats.Errors[e.code]++
	s.mu.Unlock()
	id := s.requestID()
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(e.retryAfter, 10))
	}
	if rest {
		s.writeRaw(w, map[string]any{"type": e.typ, "code": e.code, "message": e.msg, "request_id": id})
		return
	}
	s.writeRaw(w, syncEnvelope(e, id))
}

// write answers a successful call, adding its request id.
func (s *Server) write(w http.ResponseWriter, body map[string]any) {
	escape := false
	for _, v := range body {
		if m, ok := v.(map[string]any); ok {
			id := s.requestID()
			m["request_id"] = id
			// Every other answer escapes its non-ASCII text as \uXXXX,
			// as the gateway's JSON writer does in many answers, so that
			// clients meet both spellings.
			escape = id[len(id)-1]%2 == 0
		}
	}
	b, err := marshal(body)
	if err == nil && escape {
		b = simkit.ASCIIJSON(b)
	}
	s.send(w, b, err)
}

func (s *Server) writeRaw(w http.ResponseWriter, body any) {
	b, err := marshal(body)
	s.send(w, b, err)
}

func (s *Server) send(w http.ResponseWriter, b []byte, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Write(b)
}

// marshal writes JSON with HTML left as it is, as the gateway writes a
// description's tags.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// requestID makes ids shaped like the platform's ("2140fa3517044610955631799").
func (s *Server) requestID() string {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	return fmt.Sprintf("2140fa35%017d", n)
}
