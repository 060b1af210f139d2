// Package email sends alert notifications by SMTP as multipart text and
// HTML, through github.com/wneessen/go-mail: a maintained library that
// speaks STARTTLS and implicit TLS, negotiates SMTP AUTH and builds MIME
// messages, all of which net/smtp leaves to its caller (and net/smtp is
// frozen).
package email
