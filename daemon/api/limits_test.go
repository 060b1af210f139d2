package api_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// serveLimited serves cfg on a loopback listener until the test ends and
// returns its address.
func serveLimited(t *testing.T, cfg api.Config) string {
	t.Helper()
	if cfg.Backend == nil {
		cfg.Backend = apitest.NewBackend()
	}
	s, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// closedByServer reads conn to its end and fails the test if the server
// has not closed it within limit (a guard, far above the server's
// timeouts: the event waited for is the read's end).
func closedByServer(t *testing.T, conn net.Conn, limit time.Duration) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	_, err := io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the stalled connection open for %v", limit)
	}
}

func TestStalledClientsAreCutOff(t *testing.T) {
	addr := serveLimited(t, api.Config{ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	for name, sent := range map[string]string{
		"half a header": "POST /v1/collect HTTP/1.1\r\nHost: localhost\r\nContent-Ty",
		"half a body": "POST /v1/collect HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" +
			`{"platform":"sandbox",`,
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, sent); err != nil {
				t.Fatal(err)
			}
			closedByServer(t, conn, 10*time.Second)
		})
	}
}

// slowJob answers a blocking query after its wait, or when the request's
// context ends, and says which.
type slowJob struct {
	*apitest.Backend
	cut chan bool
}

func (b slowJob) Job(ctx context.Context, id string, w client.WaitOptions) (*client.Job, error) {
	select {
	case <-time.After(w.Wait):
		b.cut <- false
	case <-ctx.Done():
		b.cut <- true
	}
	return &client.Job{ID: id, State: client.JobRunning, Index: w.Index}, nil
}

// TestBlockingQueryOutlastsReadTimeout: the read timeouts bound the
// request, not the answer, so a blocking query waits its whole wait.
func TestBlockingQueryOutlastsReadTimeout(t *testing.T) {
	b := slowJob{Backend: apitest.NewBackend(), cut: make(chan bool, 1)}
	addr := serveLimited(t, api.Config{Backend: b, ReadHeaderTimeout: 50 * time.Millisecond, ReadTimeout: 100 * time.Millisecond})
	c, err := client.New(client.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	j, err := c.Jobs().Watch(context.Background(), "j1", client.WaitOptions{Index: 7, Wait: 500 * time.Millisecond})
	if err != nil || j.Index != 7 {
		t.Fatalf("watch = %+v, %v", j, err)
	}
	if <-b.cut || time.Since(start) < 500*time.Millisecond {
		t.Errorf("the blocking query ended after %v, before its wait", time.Since(start))
	}
}

// TestConnectionCap: past MaxConns, a connection waits for one to close.
func TestConnectionCap(t *testing.T) {
	addr := serveLimited(t, api.Config{MaxConns: 1})
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if _, err := io.WriteString(second, "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := second.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the second connection was served while the first was open: %v", err)
	}
	first.Close()
	_ = second.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(second), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("once the first closed: %v, %v", resp, err)
	}
	resp.Body.Close()
}

// TestUnixSocket: the API serves a Unix socket whose file has the mode
// asked for, a stale socket file is replaced, and the client reaches it
// as unix:///path.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.sock")
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close() // leaves the file, as a crash would
	ln, err := api.ListenUnix(path, 0o660)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o660 || info.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket file: %v, %v; want a socket of mode 0660", info.Mode(), err)
	}
	if _, err := api.ListenUnix(path, 0o600); err == nil {
		t.Error("a socket in use was taken over")
	}
	s, err := api.New(api.Config{Backend: apitest.NewBackend()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	c, err := client.New(client.Config{Address: "unix://" + path})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := c.Health(context.Background()); err != nil || h.Status != "ok" {
		t.Errorf("health over the socket = %+v, %v", h, err)
	}
	if _, err := c.Jobs().List(context.Background(), client.JobListOptions{}); err != nil {
		t.Errorf("a tokenless agent refused its socket: %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket file outlived its listener: %v", err)
	}
	notSocket := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notSocket, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ListenUnix(notSocket, 0o600); err == nil {
		t.Error("a regular file was replaced by a socket")
	}
}
