package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is a real SMTP server (github.com/emersion/go-smtp) listening on
// loopback in the test process: STARTTLS or implicit TLS with a
// certificate made for the test, AUTH PLAIN with one account.
type Server struct {
	Addr string
	// Pool trusts the server's certificate.
	Pool        *x509.CertPool
	requireAuth bool

	mu     sync.Mutex
	mails  []Mail
	authed []string
	tls    []bool
	reject string
	got    chan struct{}
}

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	Data []byte
	// TLS says the session was encrypted; Authed that it logged in.
	TLS, Authed bool
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	cur    Mail
	authOK bool
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		se.authOK = true
		se.s.mu.Lock()
		se.s.authed = append(se.s.authed, user)
		se.s.mu.Unlock()
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.requireAuth && !se.authOK {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	_, isTLS := se.conn.TLSConnectionState()
	se.s.mu.Lock()
	se.s.tls = append(se.s.tls, isTLS)
	se.s.mu.Unlock()
	se.cur.From, se.cur.TLS, se.cur.Authed = from, isTLS, se.authOK
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	reject := se.s.reject
	se.s.mu.Unlock()
	if reject != "" {
		code := 550
		if strings.HasPrefix(reject, "4") {
			code = 451
		}
		return &smtp.SMTPError{Code: code, Message: reject}
	}
	se.cur.To = append(se.cur.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.cur.Data = b
	se.s.mu.Lock()
	se.s.mails = append(se.s.mails, se.cur)
	close(se.s.got)
	se.s.got = make(chan struct{})
	se.s.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.cur = Mail{} }
func (se *session) Logout() error { return nil }

func Start(t testing.TB, implicitTLS, requireAuth bool) *Server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &Server{Pool: pool, requireAuth: requireAuth, got: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	var ln net.Listener
	var err error
	if implicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// Mails returns the accepted messages.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Arrived is closed when the next message is accepted.
func (s *Server) Arrived() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// Reject makes the server refuse recipients with text ("4..." is a
// temporary 451, anything else a permanent 550); "" accepts again.
func (s *Server) Reject(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = text
}
