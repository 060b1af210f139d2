package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/wneessen/go-mail"
)

// The TLS modes of the receiver block's tls setting.
const (
	STARTTLS = "starttls" // plain connection upgraded with STARTTLS, required
	TLS      = "tls"      // implicit TLS from the first byte (port 465)
	None     = "none"     // no encryption: only for a relay on loopback
)

// Notifier sends mail through one SMTP server.
type Notifier struct {
	Smarthost string // host:port
	From      string
	To        []string
	Username  string
	Password  string
	TLS       string
	// TLSConfig overrides the TLS settings (the server name is filled in);
	// tests use it to trust their own CA.
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// Notify sends m as one mail to every recipient.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (notify.Answer, error) {
	host, portText, err := net.SplitHostPort(n.Smarthost)
	if err != nil {
		return notify.Answer{}, &notify.Error{Message: "smarthost: " + err.Error()}
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return notify.Answer{}, &notify.Error{Message: "smarthost port: " + err.Error()}
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(cmpDuration(n.Timeout, 30*time.Second))}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if n.TLSConfig != nil {
		tc = n.TLSConfig.Clone()
		tc.ServerName = host
	}
	opts = append(opts, mail.WithTLSConfig(tc))
	switch n.TLS {
	case TLS:
		opts = append(opts, mail.WithSSL())
	case None:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if n.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(n.Username), mail.WithPassword(n.Password))
	}
	c, err := mail.NewClient(host, opts...)
	if err != nil {
		return notify.Answer{}, &notify.Error{Message: err.Error()}
	}
	msg := mail.NewMsg()
	if err := msg.From(n.From); err != nil {
		return notify.Answer{}, &notify.Error{Message: "from: " + err.Error()}
	}
	if err := msg.To(n.To...); err != nil {
		return notify.Answer{}, &notify.Error{Message: "to: " + err.Error()}
	}
	msg.Subject(m.Title)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, htmlBody(m))
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) {
			return notify.Answer{Status: se.ErrorCode(), Body: se.Error()}, &notify.Error{Retryable: se.IsTemp(), Code: se.ErrorCode(), Message: se.Error()}
		}
		return notify.Answer{Body: err.Error()}, err
	}
	return notify.Answer{Body: fmt.Sprintf("accepted for %s", strings.Join(n.To, ", "))}, nil
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// htmlBody is the text in a minimal HTML page: the Markdown is kept as
// preformatted text rather than rendered, which mail clients show as sent.
func htmlBody(m *notify.Message) string {
	color := "#c0392b"
	if m.Status != "firing" {
		color = "#27ae60"
	}
	return `<!DOCTYPE html><html><body><h2 style="color:` + color + `">` + html.EscapeString(m.Title) +
		`</h2><pre style="font-family:sans-serif;white-space:pre-wrap">` + html.EscapeString(m.Text) + `</pre></body></html>`
}
