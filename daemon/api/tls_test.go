package api_test

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/config/certtest"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := certtest.NewCA(t, dir, "server"), certtest.NewCA(t, dir, "client")
	serverCert, serverKey := serverCA.Issue(t, dir, "agent")
	clientCert, clientKey := clientCA.Issue(t, dir, "operator")
	strangerCert, strangerKey := serverCA.Issue(t, dir, "stranger")

	health := func(cfg client.Config) error {
		c, err := client.New(cfg)
		if err != nil {
			return err
		}
		_, err = c.Jobs().List(context.Background(), client.JobListOptions{})
		return err
	}

	t.Run("server certificate", func(t *testing.T) {
		tc, err := api.TLSConfig(serverCert, serverKey, "")
		if err != nil {
			t.Fatal(err)
		}
		addr := serveLimited(t, api.Config{TLS: tc})
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.File}); err != nil {
			t.Errorf("with the CA: %v", err)
		}
		if err := health(client.Config{Address: "https://" + addr}); err == nil {
			t.Error("a client that does not trust the agent's CA connected")
		}
		if err := health(client.Config{Address: "http://" + addr}); err == nil {
			t.Error("plain HTTP was answered")
		}
	})

	t.Run("mutual TLS", func(t *testing.T) {
		tc, err := api.TLSConfig(serverCert, serverKey, clientCA.File)
		if err != nil {
			t.Fatal(err)
		}
		addr := serveLimited(t, api.Config{TLS: tc})
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.File, ClientCert: clientCert, ClientKey: clientKey}); err != nil {
			t.Errorf("with a client certificate: %v", err)
		}
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.File}); err == nil {
			t.Error("a client without a certificate was answered")
		}
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.File, ClientCert: strangerCert, ClientKey: strangerKey}); err == nil {
			t.Error("a client certificate of another CA was accepted")
		}
	})

	t.Run("client env", func(t *testing.T) {
		t.Setenv(client.EnvCACert, serverCA.File)
		t.Setenv(client.EnvClientCert, clientCert)
		t.Setenv(client.EnvClientKey, "")
		if _, err := client.New(client.DefaultConfig()); err == nil {
			t.Error("a client certificate without its key was accepted")
		}
		t.Setenv(client.EnvClientKey, clientKey)
		if cfg := client.DefaultConfig(); cfg.CACert != serverCA.File || cfg.ClientCert != clientCert || cfg.ClientKey != clientKey {
			t.Errorf("DefaultConfig = %+v", cfg)
		}
	})
}
