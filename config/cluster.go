package config

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Cluster is the cluster block: present, the agent joins a cluster of
// agents (gossip through memberlist, locks through raft on the servers);
// absent (nil), the agent runs alone and starts neither.
type Cluster struct {
	// Name keeps clusters apart: a node of another name is refused.
	Name string
	// NodeName names this node, unique in the cluster (default: the
	// host name).
	NodeName string
	// BindAddr is where gossip listens, TCP and UDP (default
	// 0.0.0.0:7946); AdvertiseAddr what peers dial when that differs.
	BindAddr      string
	AdvertiseAddr string
	// RaftAddr is where a server's raft listens and what peers dial
	// (default: the gossip host, port 7947).
	RaftAddr string
	// Join lists gossip addresses of nodes to join, retried with
	// backoff until one answers.
	Join []string
	// Server makes this node a raft voter that serves the lock service.
	Server bool
	// BootstrapExpect is how many servers raft waits to see before it
	// bootstraps; every server must say the same. 0 joins a cluster that
	// already has a leader.
	BootstrapExpect int
	// Encrypt is the gossip key, base64 of 16, 24 or 32 bytes;
	// EncryptPrevious are keys still accepted, for rotation.
	Encrypt         Secret
	EncryptPrevious []string
	// LockDelay holds a lock back after its holder was lost (default
	// 5s); DeadServerGrace is how long a failed server keeps its raft
	// seat (default 30s).
	LockDelay       time.Duration
	DeadServerGrace time.Duration
	// A node forwards lock requests to the leader's agent API. With an
	// https API, APICAFile is the PEM file of the CAs that sign the other
	// agents' certificates (empty: the system's); APICertFile and
	// APIKeyFile are the certificate this node shows an API that requires
	// client certificates (api.tls.client_ca_file).
	APICAFile   string
	APICertFile string
	APIKeyFile  string
	// TLS runs raft between the servers over mutual TLS; zero when the
	// tls block is absent.
	TLS ClusterTLS
}

// ClusterTLS is the cluster block's tls block: PEM files of this server's
// raft certificate and key, and of the CAs that sign every server's. Each
// side of a raft connection requires and verifies the other's certificate.
type ClusterTLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

// Enabled says whether the tls block sets anything.
func (t ClusterTLS) Enabled() bool { return t != ClusterTLS{} }

type fileCluster struct {
	Name            *attr[string]        `hcl:"name"`
	NodeName        *attr[string]        `hcl:"node_name"`
	BindAddr        *attr[string]        `hcl:"bind_addr"`
	AdvertiseAddr   *attr[string]        `hcl:"advertise_addr"`
	RaftAddr        *attr[string]        `hcl:"raft_addr"`
	Join            *attr[[]string]      `hcl:"join"`
	Server          *attr[bool]          `hcl:"server"`
	BootstrapExpect *attr[int]           `hcl:"bootstrap_expect"`
	Encrypt         *attr[Secret]        `hcl:"encrypt"`
	EncryptPrevious *attr[[]string]      `hcl:"encrypt_previous"`
	LockDelay       *attr[time.Duration] `hcl:"lock_delay"`
	DeadServerGrace *attr[time.Duration] `hcl:"dead_server_grace"`
	APICAFile       *attr[string]        `hcl:"api_ca_file"`
	APICertFile     *attr[string]        `hcl:"api_cert_file"`
	APIKeyFile      *attr[string]        `hcl:"api_key_file"`
	TLS             *fileClusterTLS      `hcl:"tls,block"`
}

type fileClusterTLS struct {
	CertFile *attr[string] `hcl:"cert_file"`
	KeyFile  *attr[string] `hcl:"key_file"`
	CAFile   *attr[string] `hcl:"ca_file"`
}

// Defaults of the cluster block.
const (
	DefaultClusterName     = "marketsync"
	DefaultGossipPort      = 7946
	DefaultRaftPort        = 7947
	DefaultLockDelay       = 5 * time.Second
	DefaultDeadServerGrace = 30 * time.Second
)

// clusterDefaults fills what a cluster block left unset, once every file
// is merged.
func (c *Config) clusterDefaults() {
	cl := c.Cluster
	if cl == nil {
		return
	}
	if cl.Name == "" {
		cl.Name = DefaultClusterName
	}
	if cl.NodeName == "" {
		cl.NodeName, _ = os.Hostname()
	}
	if cl.BindAddr == "" {
		cl.BindAddr = fmt.Sprintf("0.0.0.0:%d", DefaultGossipPort)
	}
	if cl.RaftAddr == "" {
		host, _, _ := net.SplitHostPort(cl.AdvertiseAddr)
		if host == "" {
			host, _, _ = net.SplitHostPort(cl.BindAddr)
		}
		cl.RaftAddr = net.JoinHostPort(host, fmt.Sprint(DefaultRaftPort))
	}
	if _, set := c.ranges["cluster.lock_delay"]; !set {
		cl.LockDelay = DefaultLockDelay
	}
	if cl.DeadServerGrace == 0 {
		cl.DeadServerGrace = DefaultDeadServerGrace
	}
}

// GossipKeys decodes Encrypt and EncryptPrevious, the first key first;
// Validate has checked them.
func (cl Cluster) GossipKeys() [][]byte {
	var keys [][]byte
	for _, k := range append([]string{string(cl.Encrypt)}, cl.EncryptPrevious...) {
		if b, err := base64.StdEncoding.DecodeString(k); err == nil && k != "" {
			keys = append(keys, b)
		}
	}
	return keys
}

func (c *Config) validateCluster() hcl.Diagnostics {
	cl := c.Cluster
	if cl == nil {
		return nil
	}
	var diags hcl.Diagnostics
	bad := func(key, format string, args ...any) {
		diags = append(diags, diagnostic("Invalid cluster."+key, c.rangeOf("cluster."+key), format, args...))
	}
	if cl.NodeName == "" {
		bad("node_name", "cluster.node_name is required: the host name could not be read.")
	}
	for _, a := range []struct{ key, v string }{{"bind_addr", cl.BindAddr}, {"advertise_addr", cl.AdvertiseAddr}, {"raft_addr", cl.RaftAddr}} {
		if a.v == "" && a.key == "advertise_addr" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			bad(a.key, "cluster.%s must be host:port, such as \"10.0.0.5:%d\", not %q: %s.", a.key, DefaultGossipPort, a.v, err)
		}
	}
	if host, _, _ := net.SplitHostPort(cl.RaftAddr); cl.Server && (host == "" || host == "0.0.0.0" || host == "::") {
		bad("raft_addr", "cluster.raft_addr is the address other servers dial, so it needs a host they can reach, not %q; set it or cluster.advertise_addr.", cl.RaftAddr)
	}
	switch {
	case cl.BootstrapExpect < 0:
		bad("bootstrap_expect", "cluster.bootstrap_expect must not be negative.")
	case cl.BootstrapExpect > 0 && !cl.Server:
		bad("bootstrap_expect", "cluster.bootstrap_expect only applies to servers: set server = true, or remove it.")
	case cl.BootstrapExpect%2 == 0 && cl.BootstrapExpect > 0:
		bad("bootstrap_expect", "cluster.bootstrap_expect = %d: an even number of servers tolerates no more failures than %d; use an odd number (1, 3 or 5).", cl.BootstrapExpect, cl.BootstrapExpect-1)
	}
	keys := append([]string{string(cl.Encrypt)}, cl.EncryptPrevious...)
	for i, k := range keys {
		if k == "" && i == 0 {
			continue
		}
		key := "encrypt"
		if i > 0 {
			key = "encrypt_previous"
		}
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || (len(b) != 16 && len(b) != 24 && len(b) != 32) {
			bad(key, "cluster.%s must be base64 of 16, 24 or 32 random bytes (AES-128, -192 or -256), such as the output of \"openssl rand -base64 32\".", key)
		}
	}
	if cl.Encrypt == "" && len(cl.EncryptPrevious) > 0 {
		bad("encrypt_previous", "cluster.encrypt_previous needs cluster.encrypt: the first key is the one that encrypts.")
	}
	if cl.LockDelay < 0 {
		bad("lock_delay", "cluster.lock_delay must not be negative; \"0s\" turns it off.")
	}
	if cl.DeadServerGrace < time.Second {
		bad("dead_server_grace", "cluster.dead_server_grace must be at least 1s, not %s: a shorter one removes servers that only missed a few probes.", cl.DeadServerGrace)
	}
	if (cl.APICertFile == "") != (cl.APIKeyFile == "") {
		bad("api_cert_file", "cluster.api_cert_file and cluster.api_key_file go together: the PEM files of the certificate this node shows other agents' APIs, and its key.")
	}
	diags = append(diags, c.validateClusterTLS()...)
	return append(diags, c.validateForwarding()...)
}

// validateClusterTLS checks that a cluster tls block names all three files
// and that they hold what raft's mutual TLS needs: unlike api.tls, a
// server reads them as it starts raft, and a bad one would keep it out of
// the cluster, so validate reads them too.
func (c *Config) validateClusterTLS() hcl.Diagnostics {
	t := c.Cluster.TLS
	if !t.Enabled() {
		return nil
	}
	var diags hcl.Diagnostics
	set := ""
	files := []struct{ key, path string }{{"cert_file", t.CertFile}, {"key_file", t.KeyFile}, {"ca_file", t.CAFile}}
	for _, f := range files {
		if f.path != "" && set == "" {
			set = "cluster.tls." + f.key
		}
	}
	for _, f := range files {
		if f.path == "" {
			diags = append(diags, diagnostic("Missing cluster.tls."+f.key, c.rangeOf(set),
				"The cluster tls block needs cert_file, key_file and ca_file: the PEM files of this server's raft certificate, its key, and the CAs that sign every server's certificate."))
		}
	}
	if len(diags) > 0 {
		return diags
	}
	bad := func(key string, err error) {
		diags = append(diags, diagnostic("Invalid cluster.tls."+key, c.rangeOf("cluster.tls."+key), "%s", err))
	}
	for _, f := range files {
		if b, err := os.ReadFile(f.path); err != nil {
			bad(f.key, err)
		} else if len(b) == 0 {
			bad(f.key, fmt.Errorf("cluster.tls.%s %s is empty", f.key, f.path))
		}
	}
	if len(diags) > 0 {
		return diags
	}
	if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
		bad("cert_file", fmt.Errorf("cluster.tls.cert_file and key_file do not load as a certificate and its key: %w", err))
	}
	if pem, err := os.ReadFile(t.CAFile); err != nil {
		bad("ca_file", err)
	} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		bad("ca_file", fmt.Errorf("cluster.tls.ca_file %s holds no PEM certificate", t.CAFile))
	}
	return diags
}

// validateForwarding checks that the other agents can serve this node's
// forwarded lock requests and it theirs: each dials the API address a
// node advertises, and must be let in.
func (c *Config) validateForwarding() hcl.Diagnostics {
	cl := c.Cluster
	gossipHost, _, _ := net.SplitHostPort(cmp.Or(cl.AdvertiseAddr, cl.BindAddr))
	if ip := net.ParseIP(gossipHost); gossipHost == "localhost" || ip != nil && ip.IsLoopback() {
		return nil // every node on this machine: loopback reaches them all
	}
	var diags hcl.Diagnostics
	if c.API.Loopback() {
		diags = append(diags, diagnostic("Unreachable api.address", c.rangeOf("api.address"),
			"api.address %q listens on loopback only, but cluster nodes on other machines forward lock requests to it. Set api.address to an address they can reach, such as \":8787\" or this machine's address.", c.API.Address))
	}
	mtls := c.API.TLS.ClientCAFile != ""
	switch {
	case !c.API.Guarded():
		diags = append(diags, diagnostic("Unprotected cluster API", c.rangeOf("api.address"),
			"Cluster nodes forward lock requests to each other's APIs, which answer agents on other machines only when they authenticate them: set api.token (the same on every node), or api.tls.client_ca_file with cluster.api_cert_file and cluster.api_key_file."))
	case mtls && cl.APICertFile == "" && c.API.Token == "" && !c.API.writeToken():
		diags = append(diags, diagnostic("Missing cluster.api_cert_file", c.rangeOf("api.tls.client_ca_file"),
			"The API requires client certificates (api.tls.client_ca_file) and has no token that may write, so forwarded lock requests need a certificate: set cluster.api_cert_file and cluster.api_key_file."))
	case !mtls && c.API.Token == "" && !c.API.writeToken():
		diags = append(diags, diagnostic("Missing write token for the cluster", c.rangeOf("api.address"),
			"Forwarded lock requests need a token that may write, but every scoped_token is read-only: set api.token or a scoped_token of scope \"write\"."))
	}
	return diags
}

// writeToken says whether a scoped token may write.
func (a API) writeToken() bool {
	for _, t := range a.Tokens {
		if t.Scope != "read" {
			return true
		}
	}
	return false
}
