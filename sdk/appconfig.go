package sdk

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Names of the config fields that every plugin calling an open platform as
// an app declares. A platform that names its credentials otherwise
// (Pinduoduo's client_id) says so in AppSpec.
const (
	FieldAppKey      = "app_key"
	FieldAppSecret   = "app_secret"
	FieldAccessToken = "access_token"
	FieldEndpoint    = "endpoint"
	FieldTimeout     = "timeout"
	FieldProxies     = "proxies"
)

// DefaultTimeout is the default of the timeout field.
const DefaultTimeout = "30s"

// AppSpec describes the config fields a plugin shares with every other
// plugin of an open platform: the app's key and secret, the user's access
// token, the gateway's URL, the time one call may take and the outbound
// proxies. The names default to the Field constants; the descriptions are
// the plugin's own, since each platform calls these things by its own
// names.
type AppSpec struct {
	// Plugin is the plugin's name, as in Description.Name.
	Plugin string
	// KeyField, SecretField and TokenField name the credential fields;
	// empty means FieldAppKey, FieldAppSecret and FieldAccessToken.
	KeyField, SecretField, TokenField string
	// Descriptions of the six fields.
	Key, Secret, Token, Endpoint, Timeout, Proxies string
	// DefaultEndpoint is the platform's gateway.
	DefaultEndpoint string
	// DefaultProxies, when not nil, is declared as the proxies field's
	// default (an empty list for "none"); nil declares no default.
	DefaultProxies []string
}

func (s AppSpec) names() (key, secret, token string) {
	key, secret, token = FieldAppKey, FieldAppSecret, FieldAccessToken
	if s.KeyField != "" {
		key = s.KeyField
	}
	if s.SecretField != "" {
		secret = s.SecretField
	}
	if s.TokenField != "" {
		token = s.TokenField
	}
	return key, secret, token
}

// Fields returns the shared fields, the credentials first, then endpoint,
// timeout and proxies, followed by the plugin's own fields.
func (s AppSpec) Fields(own ...ConfigField) ConfigSpec {
	key, secret, token := s.names()
	proxies := ConfigField{Name: FieldProxies, Type: FieldStringList, Description: s.Proxies}
	if s.DefaultProxies != nil {
		proxies.Default = s.DefaultProxies
	}
	out := ConfigSpec{
		{Name: key, Type: FieldString, Required: true, Description: s.Key},
		{Name: secret, Type: FieldString, Required: true, Sensitive: true, Description: s.Secret},
		{Name: token, Type: FieldString, Required: true, Sensitive: true, Description: s.Token},
		{Name: FieldEndpoint, Type: FieldString, Default: s.DefaultEndpoint, Description: s.Endpoint},
		{Name: FieldTimeout, Type: FieldDuration, Default: DefaultTimeout, Description: s.Timeout},
		proxies,
	}
	return append(out, own...)
}

// AppConfig is the shared fields as read from a Config.
type AppConfig struct {
	AppKey, AppSecret, AccessToken string
	Endpoint                       string
	Timeout                        time.Duration
	Proxies                        []string

	spec AppSpec
}

// Read returns the shared fields of cfg. It does not check them: see
// Check.
func (s AppSpec) Read(cfg *Config) AppConfig {
	key, secret, token := s.names()
	return AppConfig{
		AppKey:      cfg.String(key),
		AppSecret:   cfg.String(secret),
		AccessToken: cfg.String(token),
		Endpoint:    cfg.String(FieldEndpoint),
		Timeout:     cfg.Duration(FieldTimeout),
		Proxies:     cfg.StringList(FieldProxies),
		spec:        s,
	}
}

// Check refuses, as an INVALID "config" error naming the field, blank
// credentials, a timeout that is not positive and an endpoint that is not
// an absolute http(s) URL.
func (c AppConfig) Check() error {
	key, secret, token := c.spec.names()
	for _, f := range []struct{ name, value string }{{key, c.AppKey}, {secret, c.AppSecret}, {token, c.AccessToken}} {
		if strings.TrimSpace(f.value) == "" {
			return Invalid("config", f.name+" must not be empty")
		}
	}
	if c.Timeout <= 0 {
		return Invalid("config", FieldTimeout+" must be positive")
	}
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Invalid("config", fmt.Sprintf("%s must be an absolute http(s) URL, got %q", FieldEndpoint, c.Endpoint))
	}
	return nil
}

// NotConfigured is the error of a call that comes before Configure.
func (s AppSpec) NotConfigured() *Error {
	return Invalid("not_configured", "plugin "+s.Plugin+" is not configured")
}

// Configured holds what a plugin's Configure built (its client and
// settings, T) for the calls that follow, safe for concurrent use. A call
// before Configure gets the spec's NotConfigured error.
type Configured[T any] struct {
	Spec AppSpec

	mu sync.RWMutex
	v  *T
}

// Set stores what Configure built, replacing any earlier configuration.
func (c *Configured[T]) Set(v *T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v = v
}

// Get returns what Configure built, or NotConfigured.
func (c *Configured[T]) Get() (*T, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.v == nil {
		return nil, c.Spec.NotConfigured()
	}
	return c.v, nil
}
