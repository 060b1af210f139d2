package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// EventTypes are the events an event_sink may subscribe to: the outbox's
// types (daemon/outbox), which a test keeps equal to this list.
var EventTypes = []string{"product.collected", "product.synced", "conflict.detected", "conflict.resolved", "job.finished"}

// EventSink is one event_sink "<name>" block: a webhook endpoint that
// receives the agent's events as signed JSON, from a durable outbox.
type EventSink struct {
	Name string // the label: names the sink's queue, metrics and status
	URL  string // http or https
	// Secret keys the signature; SecretFile is a file that holds it,
	// read at start and at every reload (relative to the config file's
	// directory). Exactly one is set.
	Secret     Secret
	SecretFile string
	// Events lists the event types the sink receives; nil (unset) means
	// every type.
	Events    []string
	DeclRange hcl.Range

	ranges map[string]hcl.Range // as Platform.ranges
	failed []hcl.Range          // as Platform.failed
}

type fileEventSink struct {
	Name       string          `hcl:"name,label"`
	URL        *attr[string]   `hcl:"url,required"`
	Secret     *attr[Secret]   `hcl:"secret"`
	SecretFile *attr[string]   `hcl:"secret_file"`
	Events     *attr[[]string] `hcl:"events"`
	DeclRange  hcl.Range       `hcl:",def_range"`
}

// Subscribes says whether the sink receives events of type t.
func (s EventSink) Subscribes(t string) bool {
	return s.Events == nil || slices.Contains(s.Events, t)
}

// SecretPath is SecretFile with a relative path taken from the directory
// of the file that holds the block, as file() reads it.
func (s EventSink) SecretPath() string {
	if s.SecretFile == "" || filepath.IsAbs(s.SecretFile) || s.DeclRange.Filename == "" {
		return s.SecretFile
	}
	return filepath.Join(filepath.Dir(s.DeclRange.Filename), s.SecretFile)
}

// LoadSecret returns the signing secret: Secret, or the text of
// SecretFile with trailing newlines trimmed. A missing, unreadable or
// empty file is an error that names the block.
func (s EventSink) LoadSecret() (Secret, error) {
	if s.SecretFile == "" {
		return s.Secret, nil
	}
	path := s.SecretPath()
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("event_sink %q: secret_file: there is no file at %s", s.Name, path)
	case err != nil:
		return "", fmt.Errorf("event_sink %q: secret_file: %w", s.Name, err)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	if secret == "" {
		return "", fmt.Errorf("event_sink %q: secret_file %s is empty", s.Name, path)
	}
	return Secret(secret), nil
}

func (s *EventSink) setRange(key string, r hcl.Range) {
	if s.ranges == nil {
		s.ranges = map[string]hcl.Range{}
	}
	s.ranges[key] = r
}

func (s *EventSink) setFailed(key string, r hcl.Range) {
	s.setRange(key, r)
	s.failed = append(s.failed, r)
}

// rangeOf says where key was set, else the block's header.
func (s *EventSink) rangeOf(key string) *hcl.Range {
	if r, ok := s.ranges[key]; ok {
		return &r
	}
	if s.DeclRange.Filename == "" {
		return nil
	}
	r := s.DeclRange
	return &r
}

// validateEventSinks checks every event_sink block: a unique valid name,
// an http(s) URL, one secret and known event types.
func (c *Config) validateEventSinks() hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := map[string]*EventSink{}
	for i := range c.EventSinks {
		s := &c.EventSinks[i]
		if prev, ok := first[s.Name]; ok {
			diags = append(diags, diagnostic("Duplicate event_sink name", s.rangeOf(""),
				"An event_sink named %q is already defined at %s. Each sink needs a name of its own: it names the sink's queue of events.", s.Name, prev.DeclRange))
			continue
		}
		first[s.Name] = s
		diags = append(diags, s.validate()...)
	}
	return diags
}

func (s *EventSink) validate() hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(summary, key, format string, args ...any) {
		diags = append(diags, diagnostic(summary, s.rangeOf(key), format, args...))
	}
	if !validName.MatchString(s.Name) {
		bad("Invalid event_sink name", "", "%q is not a valid event_sink name: use letters, digits, '-', '_' and '.', starting with a letter or digit.", s.Name)
	}
	if problem := checkSinkURL(s.URL); problem != "" {
		bad("Invalid url", "url", "url %q %s.", s.URL, problem)
	} else if u, _ := url.Parse(s.URL); u.Scheme == "http" && !loopbackName(u.Hostname()) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Events sent in clear text",
			Detail:  fmt.Sprintf("url %q is plain http to another machine: the signature proves where events come from, but anyone on the way can read them. Use https.", s.URL),
			Subject: s.rangeOf("url")})
	}
	switch {
	case s.Secret != "" && s.SecretFile != "":
		bad("Two secrets", "secret_file", "Set secret or secret_file, not both.")
	case s.Secret == "" && s.SecretFile == "" && s.ranges["secret"] == (hcl.Range{}):
		bad("Missing secret", "", `The event_sink block needs secret (such as secret = env("ERP_WEBHOOK_SECRET")) or secret_file: the key of the signature receivers check.`)
	case s.Secret == "" && s.SecretFile == "":
		bad("Empty secret", "secret", "secret is empty: every receiver could forge the signature. Set the key the receiver checks.")
	}
	if s.Events != nil && len(s.Events) == 0 {
		bad("Invalid events", "events", "events is empty, so the sink would receive nothing: list event types (%s), or leave events out for all of them.", strings.Join(EventTypes, ", "))
	}
	for _, t := range s.Events {
		if slices.Contains(EventTypes, t) {
			continue
		}
		hint := ""
		if sg := suggest(t, EventTypes); sg != "" {
			hint = fmt.Sprintf(" Did you mean %q?", sg)
		}
		bad("Unknown event type", "events", "%q is not an event type; the types are %s.%s", t, strings.Join(EventTypes, ", "), hint)
	}
	sortDiagnostics(diags)
	return withoutFailed(diags, s.failed)
}

// checkSinkURL says what is wrong with a sink's URL, "" when nothing.
func checkSinkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is empty"
	case err != nil:
		return "does not parse: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return `must start with https:// (or http://)`
	case u.Host == "" || u.Hostname() == "":
		return "names no host"
	case u.Fragment != "":
		return "has a #fragment, which is never sent to the server"
	}
	return ""
}

func loopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
