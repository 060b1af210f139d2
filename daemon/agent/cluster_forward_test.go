package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/config/certtest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
)

// Under mutual TLS a forwarded lock request trusts the other agent's
// certificate through cluster.api_ca_file and shows it cluster.api_cert_file.
func TestForwardingUnderMutualTLS(t *testing.T) {
	dir := t.TempDir()
	nodes := certtest.NewCA(t, dir, "nodes")
	certFile, keyFile := nodes.Issue(t, dir, "node-1")
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.Header.Get("Authorization") != "Bearer w" {
			http.Error(w, `{"code":"forbidden","message":"who are you"}`, http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"name":"x","holder":"h","token":3,"ttl_seconds":10}`))
	}))
	pool := x509.NewCertPool()
	if caPEM, err := os.ReadFile(nodes.File); err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("the nodes' CA: %v", err)
	}
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	ts.StartTLS()
	defer ts.Close()
	caFile := filepath.Join(dir, "peers-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	api := config.API{TLS: config.APITLS{CertFile: "own.pem", KeyFile: "own-key.pem", ClientCAFile: "clients.pem"},
		Tokens: []config.ScopedToken{{Secret: "w", Scope: "write"}}}
	cc := &config.Cluster{APICAFile: caFile, APICertFile: certFile, APIKeyFile: keyFile}
	c := &agentCluster{forward: forwardConfig(api, cc), scheme: "https://"}
	cl, err := c.dial(strings.TrimPrefix(ts.URL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := cl.Locks().Acquire(t.Context(), client.LockRequest{Name: "x", Holder: "h"})
	if err != nil || l.Token != 3 {
		t.Fatalf("forwarded acquire: %+v, %v", l, err)
	}
}

// A forwarded request carries the least token that may take locks.
func TestForwardTokenPrefersWriteScope(t *testing.T) {
	for name, tc := range map[string]struct {
		api  config.API
		want string
	}{
		"write over full":     {config.API{Token: "full", Tokens: []config.ScopedToken{{Secret: "r", Scope: "read"}, {Secret: "op", Scope: "operator"}, {Secret: "w", Scope: "write"}}}, "w"},
		"operator over full":  {config.API{Token: "full", Tokens: []config.ScopedToken{{Secret: "op", Scope: "operator"}}}, "op"},
		"full when only read": {config.API{Token: "full", Tokens: []config.ScopedToken{{Secret: "r", Scope: "read"}}}, "full"},
	} {
		if got := forwardToken(tc.api); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

// The agent warns when a forwarded request's token would cross the
// network in clear, and only then.
func TestClearTokenWarning(t *testing.T) {
	for _, tc := range []struct {
		scheme, token, adv, bind string
		want                     bool
	}{
		{"http://", "t", "", "10.0.0.5", true},
		{"http://", "t", "10.0.0.5", "0.0.0.0", true},
		{"https://", "t", "", "10.0.0.5", false},
		{"http://", "", "", "10.0.0.5", false},
		{"http://", "t", "", "127.0.0.1", false},
	} {
		c := &agentCluster{forward: client.Config{Token: tc.token}, scheme: tc.scheme}
		if got := c.tokenInClear(tc.adv, tc.bind); got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
}

// grantAll grants every lock at once: ownership of one node alone.
type grantAll struct{}

func (grantAll) Acquire(_ context.Context, name, holder string, ttl time.Duration, _ bool) (locks.Lease, error) {
	return locks.Lease{Name: name, Holder: holder, Token: 1, TTL: ttl}, nil
}
func (grantAll) Renew(_ context.Context, name, holder string, token uint64) (locks.Lease, error) {
	return locks.Lease{Name: name, Holder: holder, Token: token, TTL: time.Minute}, nil
}
func (grantAll) Release(context.Context, string, string, uint64) error { return nil }

// A reload hands its platforms to ownership: an added account is owned
// at the next step, a removed one no longer.
func TestReloadHandsPlatformsToOwnership(t *testing.T) {
	owner := ownership.New(ownership.Config{Node: "a", Resources: ownedResources([]config.Platform{{Name: "old"}}), Locker: grantAll{},
		Healthy: func() []string { return []string{"a"} }, Logger: slog.New(slog.DiscardHandler)})
	a := &Agent{cluster: &agentCluster{owner: owner}}
	owner.Step(t.Context())
	a.reloadCluster(&config.Config{Platforms: []config.Platform{{Name: "new"}}})
	owner.Step(t.Context())
	if got := owner.Owned(); !slices.Equal(got, []string{"platform/new"}) {
		t.Fatalf("owned after the reload: %v, want [platform/new]", got)
	}
}
