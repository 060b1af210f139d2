package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
	file string // its certificate, PEM
}

func newCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: dir, file: filepath.Join(dir, name+".pem")}
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// issue writes a certificate signed by ca and its key, for a server on
// loopback or a client, and returns their files.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, file, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := newCA(t, dir, "server-ca"), newCA(t, dir, "client-ca")
	serverCert, serverKey := serverCA.issue(t, "agent", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := clientCA.issue(t, "operator", x509.ExtKeyUsageClientAuth)
	strangerCert, strangerKey := serverCA.issue(t, "stranger", x509.ExtKeyUsageClientAuth)

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
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.file}); err != nil {
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
		tc, err := api.TLSConfig(serverCert, serverKey, clientCA.file)
		if err != nil {
			t.Fatal(err)
		}
		addr := serveLimited(t, api.Config{TLS: tc})
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.file, ClientCert: clientCert, ClientKey: clientKey}); err != nil {
			t.Errorf("with a client certificate: %v", err)
		}
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.file}); err == nil {
			t.Error("a client without a certificate was answered")
		}
		if err := health(client.Config{Address: "https://" + addr, CACert: serverCA.file, ClientCert: strangerCert, ClientKey: strangerKey}); err == nil {
			t.Error("a client certificate of another CA was accepted")
		}
	})

	t.Run("client env", func(t *testing.T) {
		t.Setenv(client.EnvCACert, serverCA.file)
		t.Setenv(client.EnvClientCert, clientCert)
		t.Setenv(client.EnvClientKey, "")
		if _, err := client.New(client.DefaultConfig()); err == nil {
			t.Error("a client certificate without its key was accepted")
		}
		t.Setenv(client.EnvClientKey, clientKey)
		if cfg := client.DefaultConfig(); cfg.CACert != serverCA.file || cfg.ClientCert != clientCert || cfg.ClientKey != clientKey {
			t.Errorf("DefaultConfig = %+v", cfg)
		}
	})
}
