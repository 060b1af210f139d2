package clustertest

import (
	"net"
	"sync"
	"testing"
)

// given holds the addresses FreeAddr has handed out in this process.
var given struct {
	sync.Mutex
	addrs map[string]bool
}

// FreeAddr is a loopback address whose port nobody listened on a moment
// ago, for a transport that must be given its address up front. It never
// hands out one address twice in a process: the kernel may give a port
// that was just closed to the next listener asking for any, so two
// agents of one test could otherwise be told the same port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	given.Lock()
	defer given.Unlock()
	if given.addrs == nil {
		given.addrs = map[string]bool{}
	}
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if !given.addrs[addr] {
			given.addrs[addr] = true
			return addr
		}
	}
	t.Fatal("no loopback port that was not handed out already")
	return ""
}
