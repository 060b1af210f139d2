package clustertest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// GossipNet is an in-memory network for memberlist that behaves like UDP
// and TCP where a test needs it to: a packet to a node that is gone, cut
// off or not reading is dropped, never blocks the sender, and a cut link
// refuses streams. memberlist's own MockTransport blocks its senders once
// a peer stops reading, so it cannot model a crash.
type GossipNet struct {
	mu    sync.Mutex
	nodes map[string]*GossipTransport // by address
	cut   map[[2]string]bool          // by address pair, both orders
	port  int
}

// Empty says whether no transport was added yet.
func (n *GossipNet) Empty() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.port == 0
}

// NewTransport adds a node to the network under a fresh address.
func (n *GossipNet) NewTransport() *GossipTransport {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes == nil {
		n.nodes, n.cut = map[string]*GossipTransport{}, map[[2]string]bool{}
	}
	n.port++
	t := &GossipTransport{
		net: n, addr: "127.0.0.1:" + strconv.Itoa(n.port),
		packets: make(chan *memberlist.Packet, 1024), streams: make(chan net.Conn),
		done: make(chan struct{}),
	}
	n.nodes[t.addr] = t
	return t
}

// Partition cuts every link between a node of one group and a node of the
// other, by gossip address.
func (n *GossipNet) Partition(a, b []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range a {
		for _, y := range b {
			n.cut[[2]string{x, y}], n.cut[[2]string{y, x}] = true, true
		}
	}
}

// Heal restores every link.
func (n *GossipNet) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cut)
}

// peer is the transport at addr if from may reach it.
func (n *GossipNet) peer(from, addr string) (*GossipTransport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.nodes[addr]
	if !ok || n.cut[[2]string{from, addr}] {
		return nil, fmt.Errorf("no route from %s to %s", from, addr)
	}
	return t, nil
}

// GossipTransport is one node's end of a GossipNet.
type GossipTransport struct {
	net     *GossipNet
	addr    string
	packets chan *memberlist.Packet
	streams chan net.Conn
	done    chan struct{}
	once    sync.Once
}

var _ memberlist.NodeAwareTransport = (*GossipTransport)(nil)

// Addr is the node's address on the network.
func (t *GossipTransport) Addr() string { return t.addr }

func (t *GossipTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	host, port, _ := net.SplitHostPort(t.addr)
	p, _ := strconv.Atoi(port)
	return net.ParseIP(host), p, nil
}

func (t *GossipTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *GossipTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	now := time.Now()
	dst, err := t.net.peer(t.addr, a.Addr)
	if err != nil {
		return now, nil // UDP: a lost packet is not an error
	}
	from, _ := net.ResolveUDPAddr("udp", t.addr)
	select {
	case dst.packets <- &memberlist.Packet{Buf: append([]byte(nil), b...), From: from, Timestamp: now}:
	case <-dst.done:
	default: // the receiver is not keeping up: dropped, as UDP would
	}
	return now, nil
}

func (t *GossipTransport) PacketCh() <-chan *memberlist.Packet { return t.packets }

func (t *GossipTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *GossipTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	dst, err := t.net.peer(t.addr, a.Addr)
	if err != nil {
		return nil, err
	}
	local, remote := net.Pipe()
	select {
	case dst.streams <- remote:
		return local, nil
	case <-dst.done:
	case <-time.After(timeout):
	}
	local.Close()
	return nil, errors.New("connection refused")
}

func (t *GossipTransport) StreamCh() <-chan net.Conn { return t.streams }

func (t *GossipTransport) Shutdown() error {
	t.once.Do(func() {
		close(t.done)
		t.net.mu.Lock()
		delete(t.net.nodes, t.addr)
		t.net.mu.Unlock()
	})
	return nil
}
