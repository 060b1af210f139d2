package outbox

import (
	"errors"
	"net/url"
	"strings"
)

// RedactURL returns rawURL fit to log or show to a read-only caller: its
// user info and query, where endpoints carry credentials
// (user:pass@, ?token=, ?access_token=), replaced by "xxxxx", its
// fragment dropped. A URL that cannot be parsed is replaced whole.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "xxxxx"
	}
	if u.User != nil {
		u.User = url.User("xxxxx")
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "xxxxx", false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// redactError returns err with the URLs it names redacted: the URL of a
// *url.Error (what http.Client.Do and NewRequest fail with, which may be
// a redirect's target) and any other occurrence of the sink's URL.
func redactError(err error, sinkURL string) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	if msg := err.Error(); sinkURL != "" && strings.Contains(msg, sinkURL) {
		err = errors.New(strings.ReplaceAll(msg, sinkURL, RedactURL(sinkURL)))
	}
	return err
}
