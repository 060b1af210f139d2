package client

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

// A lock acquire may wait up to the API's longest wait (five minutes):
// the default client must not give up on it before its context does.
func TestDefaultClientOutlastsLongestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(Config{Address: "http://agent:8787"})
		if err != nil {
			t.Fatal(err)
		}
		// The agent is the far end of an in-memory pipe, which the
		// bubble's fake clock governs, and answers after 4m30s.
		c.http.Transport.(*http.Transport).DialContext = func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go func() {
				defer server.Close()
				req, err := http.ReadRequest(bufio.NewReader(server))
				if err != nil {
					return
				}
				req.Body.Close()
				time.Sleep(4*time.Minute + 30*time.Second)
				body := `{"name":"n","holder":"h","token":7,"ttl_seconds":10}`
				server.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
					strconv.Itoa(len(body)) + "\r\n\r\n" + body))
			}()
			return client, nil
		}
		start := time.Now()
		l, err := c.Locks().Acquire(t.Context(), LockRequest{Name: "n", Holder: "h", WaitSeconds: 300})
		if err != nil {
			t.Fatalf("acquire waiting %s: %v", time.Since(start), err)
		}
		if l.Token != 7 {
			t.Fatalf("lease %+v", l)
		}
	})
}
