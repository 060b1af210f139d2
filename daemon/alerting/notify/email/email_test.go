package email_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/email"
	"github.com/marketsync/marketsync/daemon/alerting/notify/email/smtptest"
)

func message() *notify.Message {
	return &notify.Message{Status: "firing", Title: "[告警:1] taobao-errors", Text: "### 🔥 告警: taobao-errors\n- 平台账号: taobao-main\n- value: 0.3 <b>"}
}

func TestSendsMultipartOverTLSWithAuth(t *testing.T) {
	for _, mode := range []string{email.STARTTLS, email.TLS} {
		t.Run(mode, func(t *testing.T) {
			s := smtptest.Start(t, mode == email.TLS, true)
			n := &email.Notifier{Smarthost: s.Addr, From: "marketsync@example.com", To: []string{"ops@example.com", "boss@example.com"},
				Username: "alerts", Password: "s3cret", TLS: mode, TLSConfig: &tls.Config{RootCAs: s.Pool}}
			if _, err := n.Notify(context.Background(), message()); err != nil {
				t.Fatal(err)
			}
			mails := s.Mails()
			if len(mails) != 1 || !mails[0].Authed || !mails[0].TLS {
				t.Fatalf("mails %+v", mails)
			}
			got := mails[0]
			if got.From != "marketsync@example.com" || strings.Join(got.To, ",") != "ops@example.com,boss@example.com" {
				t.Errorf("envelope %s → %v", got.From, got.To)
			}
			checkMultipart(t, got.Data)
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
	s := smtptest.Start(t, false, true)
	base := email.Notifier{Smarthost: s.Addr, From: "marketsync@example.com", To: []string{"ops@example.com"},
		Username: "alerts", Password: "s3cret", TLS: email.STARTTLS, TLSConfig: &tls.Config{RootCAs: s.Pool}}

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
	s.Reject("4.2.2 mailbox full")
	var ne *notify.Error
	if _, err := base.Notify(context.Background(), message()); !errors.As(err, &ne) || !ne.Retryable {
		t.Errorf("451: %v", err)
	}
	s.Reject("5.1.1 no such user")
	if _, err := base.Notify(context.Background(), message()); !errors.As(err, &ne) || ne.Retryable {
		t.Errorf("550: %v", err)
	}
	if n := len(s.Mails()); n != 0 {
		t.Errorf("%d mails delivered", n)
	}
}
