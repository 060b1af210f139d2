package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// Failures that a loopback test cannot produce (DNS, a dial that times out)
// are classified here from the errors the standard library returns.
func TestClassify(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want string
	}{
		"no such host": {
			&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "gw.api.example", IsNotFound: true}},
			CodeDNS,
		},
		"DNS timeout is DNS": {
			&net.DNSError{Err: "i/o timeout", Name: "gw.api.example", IsTimeout: true},
			CodeDNS,
		},
		"dial timeout": {
			&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded},
			CodeTimeout,
		},
		"dial timeout through a proxy": {
			&net.OpError{Op: "proxyconnect", Net: "tcp", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}},
			CodeTimeout,
		},
		"deadline from a context": {
			fmt.Errorf("reading body: %w", context.DeadlineExceeded),
			CodeTimeout,
		},
		"refused": {
			&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}},
			CodeConnection,
		},
		"refused by the proxy": {
			&net.OpError{Op: "proxyconnect", Net: "tcp", Err: syscall.ECONNREFUSED},
			CodeConnection,
		},
		"reset": {
			&net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}},
			CodeConnection,
		},
		"closed early": {io.ErrUnexpectedEOF, CodeConnection},
		"EOF":          {io.EOF, CodeConnection},
		"proxy said no to CONNECT": {
			errors.New("Proxy Authentication Required"),
			CodeConnection,
		},
		"unknown authority": {
			&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}},
			CodeTLS,
		},
		"wrong host name": {x509.HostnameError{Host: "gw.api.example", Certificate: &x509.Certificate{}}, CodeTLS},
		"expired":         {x509.CertificateInvalidError{Reason: x509.Expired, Cert: &x509.Certificate{}}, CodeTLS},
		"not TLS":         {tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, CodeTLS},
		"alert":           {tls.AlertError(40), CodeTLS},
	} {
		t.Run(name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify(%v) = %s, want %s", tc.err, got, tc.want)
			}
		})
	}
}

func TestProxyPool(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		at   time.Duration // after t0
		want string        // proxy picked
		fail bool          // the connection through it fails
	}
	for name, tc := range map[string]struct {
		proxies []string
		steps   []step
	}{
		"sticks to a working proxy": {
			proxies: []string{"http://a:1", "http://b:1"},
			steps:   []step{{0, "a", false}, {1, "a", false}, {2, "a", false}},
		},
		"moves on after a failure and stays": {
			proxies: []string{"http://a:1", "http://b:1", "http://c:1"},
			steps:   []step{{0, "a", true}, {1, "b", false}, {2, "b", false}, {90, "b", false}},
		},
		"skips proxies cooling down": {
			proxies: []string{"http://a:1", "http://b:1", "http://c:1"},
			steps:   []step{{0, "a", true}, {1, "b", true}, {2, "c", false}},
		},
		"all cooling down: least recently failed": {
			proxies: []string{"http://a:1", "http://b:1"},
			steps:   []step{{0, "a", true}, {1, "b", true}, {2, "a", true}, {3, "b", true}, {4, "a", false}, {5, "a", false}},
		},
		"back in rotation after the cool-down": {
			proxies: []string{"http://a:1", "http://b:1"},
			steps:   []step{{0, "a", true}, {1, "b", true}, {60, "a", false}, {61, "a", false}},
		},
		"cooled proxy not used while another works": {
			proxies: []string{"http://a:1", "http://b:1"},
			steps:   []step{{0, "a", true}, {1, "b", false}, {600, "b", false}},
		},
		"one proxy is always used": {
			proxies: []string{"socks5://a:1"},
			steps:   []step{{0, "a", true}, {1, "a", true}, {2, "a", false}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := newProxyPool(tc.proxies, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				at := t0.Add(s.at * time.Second)
				e := p.pick(at)
				if e.url.Hostname() != s.want {
					t.Fatalf("step %d at +%ds: picked %s, want %s", i, s.at, e.url.Hostname(), s.want)
				}
				if s.fail {
					p.failed(e, at)
				} else {
					p.succeeded(e)
				}
			}
		})
	}
}
