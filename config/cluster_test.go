package config

import (
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config/certtest"
)

func TestNoClusterBlockRunsAlone(t *testing.T) {
	if cfg := loadText(t, `data_dir = "/tmp/x"`); cfg.Cluster != nil {
		t.Fatalf("a file without a cluster block gave %+v", cfg.Cluster)
	}
	if Dev().Cluster != nil {
		t.Fatal("-dev has a cluster block")
	}
}

func TestClusterDefaults(t *testing.T) {
	host, _ := os.Hostname()
	cl := loadText(t, "cluster {\n  server = true\n  bootstrap_expect = 3\n  bind_addr = \"10.0.0.5:7946\"\n}").Cluster
	want := Cluster{Name: "marketsync", NodeName: host, BindAddr: "10.0.0.5:7946", RaftAddr: "10.0.0.5:7947",
		Server: true, BootstrapExpect: 3, LockDelay: 5 * time.Second, DeadServerGrace: 30 * time.Second}
	if cl.Name != want.Name || cl.NodeName != want.NodeName || cl.RaftAddr != want.RaftAddr || cl.LockDelay != want.LockDelay || cl.DeadServerGrace != want.DeadServerGrace {
		t.Fatalf("defaults:\n got  %+v\n want %+v", *cl, want)
	}
	if cl := loadText(t, "cluster {\n  lock_delay = \"0s\"\n}").Cluster; cl.LockDelay != 0 {
		t.Fatalf("lock_delay = \"0s\" gave %s, want it off", cl.LockDelay)
	}
}

func TestClusterGossipKeys(t *testing.T) {
	cl := loadText(t, "cluster {\n  encrypt = \"MDEyMzQ1Njc4OWFiY2RlZg==\"\n  encrypt_previous = [\"ZmVkY2JhOTg3NjU0MzIxMA==\"]\n}").Cluster
	keys := cl.GossipKeys()
	if len(keys) != 2 || string(keys[0]) != "0123456789abcdef" || string(keys[1]) != "fedcba9876543210" {
		t.Fatalf("keys %q", keys)
	}
	if got := (Cluster{}).GossipKeys(); len(got) != 0 {
		t.Fatalf("no key gave %q", got)
	}
}

func TestClusterValidation(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"bad key":            {`encrypt = "not base64!"`, `agent.hcl:3,11-24: Invalid cluster.encrypt: cluster.encrypt must be base64 of 16, 24 or 32 random bytes`},
		"short key":          {`encrypt = "c2hvcnQ="`, `agent.hcl:3,11-21: Invalid cluster.encrypt:`},
		"previous alone":     {`encrypt_previous = ["MDEyMzQ1Njc4OWFiY2RlZg=="]`, `Invalid cluster.encrypt_previous: cluster.encrypt_previous needs cluster.encrypt`},
		"expect on a client": {`bootstrap_expect = 3`, `agent.hcl:3,20-21: Invalid cluster.bootstrap_expect: cluster.bootstrap_expect only applies to servers`},
		"even expect":        {"server = true\nraft_addr = \"10.0.0.1:7947\"\nbootstrap_expect = 2", `agent.hcl:5,20-21: Invalid cluster.bootstrap_expect: cluster.bootstrap_expect = 2: an even number`},
		"bad bind":           {`bind_addr = "10.0.0.1"`, `agent.hcl:3,13-23: Invalid cluster.bind_addr: cluster.bind_addr must be host:port`},
		"server on any":      {"server = true", `Invalid cluster.raft_addr: cluster.raft_addr is the address other servers dial`},
		"negative delay":     {`lock_delay = "-1s"`, `agent.hcl:3,14-19: Invalid cluster.lock_delay`},
		"short grace":        {`dead_server_grace = "10ms"`, `agent.hcl:3,21-27: Invalid cluster.dead_server_grace`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := loadText(t, "data_dir = \"/tmp/x\"\ncluster {\n"+tc.body+"\n}\n"+reachableAPI)
			var got []string
			for _, d := range cfg.validateCluster() {
				got = append(got, d.Subject.String()+": "+d.Summary+": "+d.Detail)
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("diagnostics %q\nwant one containing %q", got, tc.want)
			}
		})
	}
}

// reachableAPI is an api block that other nodes can reach and forward to.
const reachableAPI = "api {\n  address = \"10.0.0.9:8787\"\n  token = \"0123456789abcdef0123456789abcdef\"\n}\n"

// Nodes on several machines forward lock requests to each other's API:
// a loopback API, or one that lets no other agent in, is refused.
func TestClusterForwardingValidation(t *testing.T) {
	cluster := "data_dir = \"/tmp/x\"\ncluster {\n  bind_addr = \"10.0.0.9:7946\"\n}\n"
	for name, tc := range map[string]struct{ body, want string }{
		"loopback api": {"api {\n  token = \"0123456789abcdef0123456789abcdef\"\n}\n", `Unreachable api.address: api.address "127.0.0.1:8787" listens on loopback only`},
		"no token":     {"api {\n  address = \"10.0.0.9:8787\"\n  insecure_bind = true\n}\n", `Unprotected cluster API`},
		"read token only": {"api {\n  address = \"10.0.0.9:8787\"\n  scoped_token {\n    secret = \"0123456789abcdef0123456789abcdef\"\n    scope = \"read\"\n  }\n}\n",
			`Missing write token for the cluster`},
		"mtls without a client cert": {"api {\n  address = \"10.0.0.9:8787\"\n  tls {\n    cert_file = \"a.pem\"\n    key_file = \"a.key\"\n    client_ca_file = \"ca.pem\"\n  }\n}\n",
			`Missing cluster.api_cert_file`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := loadText(t, cluster+tc.body)
			var got []string
			for _, d := range cfg.validateCluster() {
				got = append(got, d.Subject.String()+": "+d.Summary+": "+d.Detail)
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("diagnostics %q\nwant one containing %q", got, tc.want)
			}
		})
	}
	for name, body := range map[string]string{
		"token":           reachableAPI,
		"mtls with cert":  "api {\n  address = \"10.0.0.9:8787\"\n  tls {\n    cert_file = \"a.pem\"\n    key_file = \"a.key\"\n    client_ca_file = \"ca.pem\"\n  }\n}\n",
		"all on loopback": "",
	} {
		text := cluster + body
		if name == "mtls with cert" {
			text = "data_dir = \"/tmp/x\"\ncluster {\n  bind_addr = \"10.0.0.9:7946\"\n  api_cert_file = \"n.pem\"\n  api_key_file = \"n.key\"\n}\n" + body
		}
		if name == "all on loopback" {
			text = "data_dir = \"/tmp/x\"\ncluster {\n  bind_addr = \"127.0.0.1:7946\"\n}\n"
		}
		if d := loadText(t, text).validateCluster(); len(d) != 0 {
			t.Errorf("%s: %v", name, d)
		}
	}
}

// raftPEMs is a CA's certificate and a certificate and key it signed.
func raftPEMs(t *testing.T) (ca, cert, key string) {
	dir := t.TempDir()
	authority := certtest.NewCA(t, dir, "raft")
	certFile, keyFile := authority.Issue(t, dir, "server")
	read := func(f string) string {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return read(authority.File), read(certFile), read(keyFile)
}

// The cluster tls block names three files that must all be set and hold a
// certificate, its key and CAs; what is wrong is reported where the file
// names it, and Validate (the validate command) reports it too.
func TestClusterTLSValidation(t *testing.T) {
	ca, cert, key := raftPEMs(t)
	files := map[string]string{"raft.pem": cert, "raft-key.pem": key, "ca.pem": ca, "junk.pem": "not a certificate\n"}
	tlsBlock := func(body string) string {
		return "data_dir = \"/tmp/x\"\ncluster {\n  tls {\n" + body + "\n  }\n}\n"
	}
	for name, tc := range map[string]struct{ body, want string }{
		"half set": {"    cert_file = \"raft.pem\"\n    key_file = \"raft-key.pem\"",
			`agent.hcl:4,17-27: Missing cluster.tls.ca_file: The cluster tls block needs cert_file, key_file and ca_file`},
		"missing file": {"    cert_file = \"raft.pem\"\n    key_file = \"raft-key.pem\"\n    ca_file = \"nowhere.pem\"",
			`agent.hcl:6,15-28: Invalid cluster.tls.ca_file: open nowhere.pem: no such file or directory`},
		"not a key": {"    cert_file = \"raft.pem\"\n    key_file = \"junk.pem\"\n    ca_file = \"ca.pem\"",
			`agent.hcl:4,17-27: Invalid cluster.tls.cert_file: cluster.tls.cert_file and key_file do not load as a certificate and its key`},
		"not a CA": {"    cert_file = \"raft.pem\"\n    key_file = \"raft-key.pem\"\n    ca_file = \"junk.pem\"",
			`agent.hcl:6,15-25: Invalid cluster.tls.ca_file: cluster.tls.ca_file junk.pem holds no PEM certificate`},
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string]string{"agent.hcl": tlsBlock(tc.body)}
			maps.Copy(in, files)
			inDir(t, in)
			cfg := mustLoad(t, "agent.hcl")
			var got []string
			for _, d := range cfg.Validate() {
				if strings.Contains(d.Summary, "cluster.tls") {
					got = append(got, d.Subject.String()+": "+d.Summary+": "+d.Detail)
				}
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("diagnostics %q\nwant one containing %q", got, tc.want)
			}
		})
	}
	in := map[string]string{"agent.hcl": tlsBlock("    cert_file = \"raft.pem\"\n    key_file = \"raft-key.pem\"\n    ca_file = \"ca.pem\"")}
	maps.Copy(in, files)
	inDir(t, in)
	cfg := mustLoad(t, "agent.hcl")
	if d := cfg.validateClusterTLS(); len(d) != 0 {
		t.Fatalf("a good tls block: %v", d)
	}
	if want := (ClusterTLS{CertFile: "raft.pem", KeyFile: "raft-key.pem", CAFile: "ca.pem"}); cfg.Cluster.TLS != want {
		t.Fatalf("tls block decoded as %+v", cfg.Cluster.TLS)
	}
}
