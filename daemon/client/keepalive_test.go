package client_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/marketsync/marketsync/daemon/client"
)

// Requests one after another share one connection, whether the answer is
// decoded (json.Encoder ends it with a newline the decoder leaves unread)
// or ignored (a release): a body closed before its end would close the
// connection, and every request would pay for a new one.
func TestRequestsReuseTheConnection(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(client.Lease{Name: "x", Holder: "h", Token: 7})
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		l, err := c.Locks().Acquire(t.Context(), client.LockRequest{Name: "x", Holder: "h"})
		if err != nil || l.Token != 7 {
			t.Fatalf("acquire: %+v, %v", l, err)
		}
		if err := c.Locks().Release(t.Context(), client.LockRequest{Name: "x", Holder: "h", Token: 7}); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("10 sequential requests opened %d connections, want 1", n)
	}
}
