package email_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/email"
)

// server is a real SMTP server (github.com/emersion/go-smtp) listening on
// loopback in the test process: STARTTLS or implicit TLS with a
// certificate made for the test, AUTH PLAIN with one account.
type server struct {
	addr   string
	pool   *x509.CertPool
	mu     sync.Mutex
	mails  []received
	authed []string
	tls    []bool
	reject string // answer RCPT with this 4xx/5xx text when set
}

type received struct {
	from string
	to   []string
	data []byte
}

type session struct {
	s      *server
	conn   *smtp.Conn
	cur    received
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
	if !se.authOK {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	_, isTLS := se.conn.TLSConnectionState()
	se.s.mu.Lock()
	se.s.tls = append(se.s.tls, isTLS)
	se.s.mu.Unlock()
	se.cur.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.s.reject != "" {
		code := 550
		if strings.HasPrefix(se.s.reject, "4") {
			code = 451
		}
		return &smtp.SMTPError{Code: code, Message: se.s.reject}
	}
	se.cur.to = append(se.cur.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.cur.data = b
	se.s.mu.Lock()
	se.s.mails = append(se.s.mails, se.cur)
	se.s.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.cur = received{} }
func (se *session) Logout() error { return nil }

func startServer(t *testing.T, implicitTLS bool) *server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &server{pool: pool}
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
	s.addr = ln.Addr().String()
	return s
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
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

func message() *notify.Message {
	return &notify.Message{Status: "firing", Title: "[告警:1] taobao-errors", Text: "### 🔥 告警: taobao-errors\n- 平台账号: taobao-main\n- value: 0.3 <b>"}
}

func TestSendsMultipartOverTLSWithAuth(t *testing.T) {
	for _, mode := range []string{email.STARTTLS, email.TLS} {
		t.Run(mode, func(t *testing.T) {
			s := startServer(t, mode == email.TLS)
			n := &email.Notifier{Smarthost: s.addr, From: "marketsync@example.com", To: []string{"ops@example.com", "boss@example.com"},
				Username: "alerts", Password: "s3cret", TLS: mode, TLSConfig: &tls.Config{RootCAs: s.pool}}
			if _, err := n.Notify(context.Background(), message()); err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.mails) != 1 || len(s.authed) != 1 || !s.tls[0] {
				t.Fatalf("mails %d, auth %v, tls %v", len(s.mails), s.authed, s.tls)
			}
			got := s.mails[0]
			if got.from != "marketsync@example.com" || strings.Join(got.to, ",") != "ops@example.com,boss@example.com" {
				t.Errorf("envelope %s → %v", got.from, got.to)
			}
			checkMultipart(t, got.data)
		})
	}
}

// checkMultipart reads the message as a mail client would: the subject
// decoded, one text/plain and one text/html part with the alert.
func checkMultipart(t *testing.T, data []byte) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "[告警:1] taobao-errors" {
		t.Errorf("subject %q", subject)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", mt, err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = decode(t, p.Header.Get("Content-Transfer-Encoding"), body)
	}
	if !strings.Contains(parts["text/plain"], "平台账号: taobao-main") || !strings.Contains(parts["text/plain"], "<b>") {
		t.Errorf("text part %q", parts["text/plain"])
	}
	if !strings.Contains(parts["text/html"], "taobao-main") || !strings.Contains(parts["text/html"], "&lt;b&gt;") {
		t.Errorf("html part %q", parts["text/html"])
	}
}

func TestRefusals(t *testing.T) {
	s := startServer(t, false)
	base := email.Notifier{Smarthost: s.addr, From: "marketsync@example.com", To: []string{"ops@example.com"},
		Username: "alerts", Password: "s3cret", TLS: email.STARTTLS, TLSConfig: &tls.Config{RootCAs: s.pool}}

	wrong := base
	wrong.Password = "nope"
	if _, err := wrong.Notify(context.Background(), message()); err == nil {
		t.Error("a wrong password was accepted")
	}
	untrusted := base
	untrusted.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
	if _, err := untrusted.Notify(context.Background(), message()); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
	s.reject = "4.2.2 mailbox full"
	var ne *notify.Error
	if _, err := base.Notify(context.Background(), message()); !errors.As(err, &ne) || !ne.Retryable {
		t.Errorf("451: %v", err)
	}
	s.reject = "5.1.1 no such user"
	if _, err := base.Notify(context.Background(), message()); !errors.As(err, &ne) || ne.Retryable {
		t.Errorf("550: %v", err)
	}
	if len(s.mails) != 0 {
		t.Errorf("%d mails delivered", len(s.mails))
	}
}
