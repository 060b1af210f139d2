package httpclient_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// forwardProxy is a plain HTTP forward proxy: it forwards absolute-form
// requests and marks the answers with its name.
type forwardProxy struct {
	*httptest.Server
	requests atomic.Int64
}

func newForwardProxy(t *testing.T, name string) *forwardProxy {
	t.Helper()
	p := &forwardProxy{}
	upstream := &http.Transport{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := upstream.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		maps.Copy(w.Header(), resp.Header)
		w.Header().Set("X-Test-Proxy", name)
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(upstream.CloseIdleConnections)
	t.Cleanup(p.Close)
	return p
}

func newTarget(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the platform")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProxyRotation(t *testing.T) {
	target := newTarget(t)
	good := newForwardProxy(t, "good")
	refusing := "http://" + refusingAddr(t)
	clk := newClock()
	c := newClient(t, httpclient.Options{
		Proxies:       []string{refusing, good.URL},
		ProxyCooldown: time.Minute,
		Now:           clk.Now,
	})

	// The first request goes to the first proxy, which refuses: a
	// transport error that names the proxy.
	_, err := c.Do(context.Background(), get(t, target.URL))
	wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeConnection, "via proxy "+refusing)

	// The next ones go through the second proxy and stay there, also
	// after the first one's cool-down is over.
	for i, advance := range []time.Duration{time.Second, time.Second, 2 * time.Minute} {
		clk.Advance(advance)
		resp, err := c.Do(context.Background(), get(t, target.URL))
		if err != nil {
			t.Fatalf("request %d: %v", i+2, err)
		}
		if resp.Header.Get("X-Test-Proxy") != "good" || string(resp.Body) != "hello from the platform" {
			t.Fatalf("request %d: %v %q", i+2, resp.Header, resp.Body)
		}
	}
	if n := good.requests.Load(); n != 3 {
		t.Errorf("good proxy saw %d requests, want 3", n)
	}
}

func TestProxyAllCoolingDown(t *testing.T) {
	target := newTarget(t)
	first, second := "http://"+refusingAddr(t), "http://"+refusingAddr(t)
	clk := newClock()
	c := newClient(t, httpclient.Options{Proxies: []string{first, second}, Now: clk.Now})

	// Each failure moves on; with both cooling down the one that failed
	// longest ago is tried.
	for i, want := range []string{first, second, first, second} {
		_, err := c.Do(context.Background(), get(t, target.URL))
		wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeConnection, "via proxy "+want)
		if t.Failed() {
			t.Fatalf("request %d", i+1)
		}
		clk.Advance(time.Second)
	}
}

func TestProxyCredentialsRedacted(t *testing.T) {
	target := newTarget(t)
	proxy := "http://user:hunter2@" + refusingAddr(t)
	c := newClient(t, httpclient.Options{Proxies: []string{proxy}})
	_, err := c.Do(context.Background(), get(t, target.URL))
	e := wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeConnection, "via proxy http://user:xxxxx@")
	if strings.Contains(e.Error(), "hunter2") {
		t.Errorf("password in %v", e)
	}
}

func TestSOCKS5Proxy(t *testing.T) {
	target := newTarget(t)
	socks := newSOCKS5(t)
	c := newClient(t, httpclient.Options{Proxies: []string{"socks5://" + socks.addr}})
	resp, err := c.Do(context.Background(), get(t, target.URL))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "hello from the platform" {
		t.Errorf("body %q", resp.Body)
	}
	if n := socks.connects.Load(); n != 1 {
		t.Errorf("SOCKS server saw %d connects, want 1", n)
	}
}

// socks5 is the smallest SOCKS5 server (RFC 1928) that net/http's client
// needs: no authentication, CONNECT to an IPv4 address or a domain name.
type socks5 struct {
	addr     string
	connects atomic.Int64
}

func newSOCKS5(t *testing.T) *socks5 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks5{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Go(func() { s.serve(c, track) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func (s *socks5) serve(c net.Conn, track func(net.Conn)) {
	defer c.Close()
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 5 {
		return
	}
	if _, err := io.ReadFull(c, make([]byte, hdr[1])); err != nil {
		return
	}
	c.Write([]byte{5, 0}) // no authentication
	req := make([]byte, 4)
	if _, err := io.ReadFull(c, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(c, ip)
		host = net.IP(ip).String()
	case 3:
		n := make([]byte, 1)
		io.ReadFull(c, n)
		name := make([]byte, n[0])
		io.ReadFull(c, name)
		host = string(name)
	default:
		return
	}
	port := make([]byte, 2)
	if _, err := io.ReadFull(c, port); err != nil {
		return
	}
	up, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port)))))
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	track(up)
	defer up.Close()
	s.connects.Add(1)
	c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	go io.Copy(up, c)
	io.Copy(c, up)
}
