package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// RaftTLS names the PEM files of raft's mutual TLS: this server's
// certificate and key, and the CAs that sign every server's certificate.
// Each server's certificate serves both ends of a connection, so it needs
// the server and client auth key usages, and must name the host of its
// raft address (a DNS or IP subject alternative name): a dialing server
// checks it, so a certificate of the same CA issued for another host
// cannot stand in for a server.
type RaftTLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

// Enabled says whether raft runs over TLS.
func (t RaftTLS) Enabled() bool { return t != RaftTLS{} }

// Load reads the files into the server and client sides of mutual TLS:
// each requires the peer's certificate and verifies it against the CAs,
// with TLS 1.2 at least (Go negotiates 1.3 between two agents).
func (t RaftTLS) Load() (server, client *tls.Config, err error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("raft TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, nil, fmt.Errorf("raft TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("raft TLS CA: %s holds no PEM certificate", t.CAFile)
	}
	server = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}
	client = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
	}
	return server, client, nil
}

// handshakeTimeout bounds a TLS handshake on either side, so that a peer
// that connects and says nothing holds no goroutine for long.
const handshakeTimeout = 10 * time.Second

// tlsStreamLayer is raft's network layer over mutual TLS. Accept hands
// raft only connections whose handshake verified the peer; a refused one
// is logged with its reason and closed, and raft never sees it.
type tlsStreamLayer struct {
	ln        net.Listener
	advertise net.Addr
	server    *tls.Config
	client    *tls.Config
	log       *slog.Logger

	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

// newTLSStreamLayer listens on bind and advertises advertise.
func newTLSStreamLayer(bind string, advertise net.Addr, files RaftTLS, log *slog.Logger) (*tlsStreamLayer, error) {
	server, client, err := files.Load()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	l := &tlsStreamLayer{ln: ln, advertise: advertise, server: server, client: client, log: log,
		conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l, nil
}

// acceptLoop accepts until Close, handing each connection to a handshake
// of its own so that a slow peer does not hold up the others. An accept
// error other than the close (out of file descriptors) is retried after a
// growing pause, as net/http does.
func (l *tlsStreamLayer) acceptLoop() {
	var pause time.Duration
	for {
		c, err := l.ln.Accept()
		if err == nil {
			pause = 0
			go l.handshake(c)
			continue
		}
		select {
		case <-l.done:
			return
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		pause = min(max(2*pause, 5*time.Millisecond), time.Second)
		l.log.Error("raft: accept failed; retrying", "err", err, "in", pause)
		select {
		case <-time.After(pause):
		case <-l.done:
			return
		}
	}
}

// handshake verifies an incoming connection's certificate before raft
// reads from it.
func (l *tlsStreamLayer) handshake(c net.Conn) {
	tc := tls.Server(c, l.server)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		l.log.Warn("raft: refused a connection that failed mutual TLS", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	select {
	case l.conns <- tc:
	case <-l.done:
		tc.Close()
	}
}

// Accept implements net.Listener for raft.
func (l *tlsStreamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops listening; connections raft holds are raft's to close.
func (l *tlsStreamLayer) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.ln.Close()
		close(l.done)
	})
	return err
}

// Addr is the address peers dial.
func (l *tlsStreamLayer) Addr() net.Addr { return l.advertise }

// Dial connects to a server and verifies its certificate against the CAs
// and the host it was dialed by.
func (l *tlsStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := tls.Dialer{Config: l.client}
	if timeout <= 0 || timeout > handshakeTimeout {
		timeout = handshakeTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", string(address))
	if err != nil {
		l.log.Warn("raft: could not connect over mutual TLS", "peer", string(address), "err", err)
		return nil, err
	}
	return c, nil
}
