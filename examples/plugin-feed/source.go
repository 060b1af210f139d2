package main

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// maxFeedBytes bounds a feed download; a larger feed is refused as
// INVALID rather than parsed half-read.
const maxFeedBytes = 64 << 20

type sourceOptions struct {
	url, format, authHeader string
	timeout, ttl            time.Duration
	settings                settings
	now                     func() time.Time
}

// source downloads and caches the feed. A downloaded feed is used for ttl,
// then revalidated with If-None-Match, so a batch of fetches or a walk
// through the listing downloads it once and an unchanged feed is not sent
// again. Downloads are one at a time: calls that arrive during one wait
// for it and share its result.
type source struct {
	opts   sourceOptions
	client *httpclient.Client
	// turn is held by the call that reads or refreshes the cache.
	turn chan struct{}

	cat     *catalog
	etag    string
	fetched time.Time
}

func newSource(o sourceOptions) (*source, error) {
	client, err := httpclient.New(httpclient.Options{
		Timeout:          o.timeout,
		MaxResponseBytes: maxFeedBytes,
		UserAgent:        "marketsync-plugin-feed/" + version,
		Quota:            httpclient.FirstQuota(httpclient.RateLimitHeaders, httpclient.XRateLimitHeaders),
		Now:              o.now,
	})
	if err != nil {
		return nil, sdk.Invalid("config", err.Error())
	}
	return &source{opts: o, client: client, turn: make(chan struct{}, 1)}, nil
}

// catalog returns the parsed feed, downloading it when the cached copy is
// missing or older than the TTL. The quota is the supplier's answer to a
// download, nil when the cache answered.
func (s *source) catalog(ctx context.Context) (*catalog, *sdk.Quota, error) {
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	if s.cat != nil && s.opts.now().Sub(s.fetched) < s.opts.ttl {
		return s.cat, nil, nil
	}
	req, err := http.NewRequest(http.MethodGet, s.opts.url, nil)
	if err != nil {
		return nil, nil, sdk.Invalid("config", err.Error())
	}
	req.Header.Set("Accept", "text/csv, application/json;q=0.9, */*;q=0.1")
	if s.opts.authHeader != "" {
		req.Header.Set("Authorization", s.opts.authHeader)
	}
	if s.cat != nil && s.etag != "" {
		req.Header.Set("If-None-Match", s.etag)
	}
	resp, err := s.client.Do(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode == http.StatusNotModified && s.cat != nil {
		s.fetched = resp.Received
		return s.cat, resp.Quota, nil
	}
	if e := statusError(resp); e != nil {
		return nil, resp.Quota, e
	}
	format := s.opts.format
	if format == "" {
		format = detectFormat(s.opts.url, resp.Header.Get("Content-Type"), resp.Body)
	}
	cat, err := parseFeed(format, resp.Body, s.opts.settings)
	if err != nil {
		return nil, resp.Quota, sdk.Invalid(CodeMalformedFeed, err.Error())
	}
	s.cat, s.etag, s.fetched = cat, resp.Header.Get("ETag"), resp.Received
	return cat, resp.Quota, nil
}

// statusError maps the download's status: 401 and 403 are AUTH, 429 is
// RATE_LIMITED with the Retry-After, 5xx UNAVAILABLE (httpclient's
// mapping). A feed URL that is not found is a wrong config, INVALID,
// rather than NOT_FOUND, which would blame the products asked for.
func statusError(resp *httpclient.Response) *sdk.Error {
	e := resp.StatusError()
	switch {
	case e == nil && resp.StatusCode != http.StatusOK:
		return sdk.Unavailable(fmt.Sprintf("http_%d", resp.StatusCode), "the feed server answered "+http.StatusText(resp.StatusCode)+" instead of the feed")
	case e != nil && e.Kind == sdk.KindNotFound:
		return sdk.Invalid(e.Code, "no feed at the configured url: "+e.Message)
	}
	return e
}

// detectFormat tells the format from the URL's extension, then the
// Content-Type, then the first byte of the body.
func detectFormat(rawURL, contentType string, body []byte) string {
	u := strings.ToLower(rawURL)
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	switch path.Ext(u) {
	case ".csv":
		return formatCSV
	case ".json":
		return formatJSON
	}
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		switch {
		case mt == "text/csv", strings.HasSuffix(mt, "+csv"):
			return formatCSV
		case mt == "application/json", strings.HasSuffix(mt, "+json"):
			return formatJSON
		}
	}
	if trimmed := strings.TrimSpace(string(body[:min(len(body), 64)])); strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
		return formatJSON
	}
	return formatCSV
}
