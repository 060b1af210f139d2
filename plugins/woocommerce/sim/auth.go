package sim

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
)

// authError is the refusal of the credentials themselves
// (rest_authentication_errors), 401 woocommerce_rest_authentication_error.
func authError(msg string) *apiError {
	return newError(http.StatusUnauthorized, "woocommerce_rest_authentication_error", msg)
}

// authenticate is WC_REST_Authentication::authenticate: on TLS, Basic
// auth (or the consumer_key and consumer_secret query parameters); then,
// whatever the scheme, OAuth 1.0a. It returns whether the request carries
// the store's key, or the error that refuses it. A request with no
// credentials at all is not an error here: it reaches the routes
// anonymously and their permission checks refuse it.
func (s *Server) authenticate(r *http.Request, form url.Values) (ok bool, e *apiError) {
	if r.TLS != nil {
		key, secret := r.URL.Query().Get("consumer_key"), r.URL.Query().Get("consumer_secret")
		if key == "" || secret == "" {
			key, secret, _ = r.BasicAuth()
		}
		if key != "" && secret != "" && key == s.opts.ConsumerKey {
			if subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ConsumerSecret)) == 1 {
				return true, nil
			}
			// The error stands even if OAuth finds nothing below.
			e = authError("Consumer secret is invalid.")
		}
	}
	params, perr := oauthParams(r, form)
	if perr != nil {
		return false, perr
	}
	if params == nil {
		return false, e
	}
	if params[wcapi.OAuthConsumerKey] != s.opts.ConsumerKey {
		return false, authError("Consumer key is invalid.")
	}
	if err := s.checkSignature(r, params); err != nil {
		return false, err
	}
	if err := s.checkTimestampAndNonce(params[wcapi.OAuthTimestamp], params[wcapi.OAuthNonce]); err != nil {
		return false, err
	}
	return true, nil
}

var oauthHeaderParam = regexp.MustCompile(`(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))`)

// oauthParams is get_oauth_parameters: the query and form parameters,
// overridden by those of an "Authorization: OAuth" header. nil when none
// of the five required ones is there (not an OAuth request); an error
// when some but not all are.
func oauthParams(r *http.Request, form url.Values) (map[string]string, *apiError) {
	params := wcapi.Flatten(r.URL.Query())
	for k, v := range wcapi.Flatten(form) {
		params[k] = v
	}
	if h := strings.TrimSpace(r.Header.Get("Authorization")); strings.HasPrefix(h, "OAuth ") {
		for _, m := range oauthHeaderParam.FindAllStringSubmatch(h, -1) {
			v := m[3]
			if v == "" {
				v = m[4]
			}
			if d, err := url.QueryUnescape(v); err == nil {
				v = d
			}
			params[m[1]] = v
		}
	}
	var missing []string
	have := false
	for _, name := range []string{wcapi.OAuthConsumerKey, wcapi.OAuthTimestamp, wcapi.OAuthNonce, wcapi.OAuthSignature, wcapi.OAuthSignatureMethod} {
		if params[name] == "" {
			missing = append(missing, name)
		} else {
			have = true
		}
	}
	switch {
	case !have:
		return nil, nil
	case len(missing) == 1:
		return nil, newError(http.StatusUnauthorized, "woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameter "+missing[0])
	case len(missing) > 1:
		return nil, newError(http.StatusUnauthorized, "woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameters "+strings.Join(missing, ", "))
	}
	return params, nil
}

// checkSignature is check_oauth_signature: the base string from the
// method, the home URL with the request's path and the sorted, encoded
// parameters, signed with the consumer secret and "&".
func (s *Server) checkSignature(r *http.Request, params map[string]string) *apiError {
	given := strings.ReplaceAll(params[wcapi.OAuthSignature], " ", "+")
	var h func() hash.Hash
	switch params[wcapi.OAuthSignatureMethod] {
	case "HMAC-SHA1":
		h = sha1.New
	case "HMAC-SHA256":
		h = sha256.New
	default:
		return authError("Invalid signature - signature method is invalid.")
	}
	mac := hmac.New(h, []byte(s.opts.ConsumerSecret+"&"))
	mac.Write([]byte(wcapi.BaseString(r.Method, s.home(r)+r.URL.Path, params)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(given)) != 1 {
		return authError("Invalid signature - provided signature does not match.")
	}
	return nil
}

// checkTimestampAndNonce is check_oauth_timestamp_and_nonce: the
// timestamp within 15 minutes of the store's clock, the nonce not used
// in the last 15 minutes.
func (s *Server) checkTimestampAndNonce(ts, nonce string) *apiError {
	now := s.now()
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < now.Add(-OAuthWindow).Unix() || sec > now.Add(OAuthWindow).Unix() {
		return authError("Invalid timestamp.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, at := range s.nonces {
		if at.Before(now.Add(-OAuthWindow)) {
			delete(s.nonces, n)
		}
	}
	if _, used := s.nonces[nonce]; used {
		return authError("Invalid nonce - nonce has already been used.")
	}
	s.nonces[nonce] = time.Unix(sec, 0)
	return nil
}

// checkPermissions is check_permissions: the key's read or write right
// for the method.
func (s *Server) checkPermissions(method string) *apiError {
	p := s.opts.Permissions
	switch method {
	case http.MethodGet, http.MethodHead:
		if p != PermRead && p != PermReadWrite {
			return authError("The API key provided does not have read permissions.")
		}
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if p != PermWrite && p != PermReadWrite {
			return authError("The API key provided does not have write permissions.")
		}
	}
	return nil
}

// home is the store's home URL: the configured one, or the request's
// scheme and host.
func (s *Server) home(r *http.Request) string {
	if h := s.homeURL(); h != "" {
		return h
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// readBody reads the body and, for a form, its parameters (PHP's $_POST,
// which OAuth signs).
func readBody(r *http.Request) ([]byte, url.Values, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, nil, err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		return body, form, err
	}
	return body, nil, nil
}
