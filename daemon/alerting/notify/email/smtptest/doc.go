// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// loopback for tests of the email notifier: STARTTLS or implicit TLS with a
// certificate made for the test, AUTH PLAIN with the account
// alerts/s3cret, and every accepted message kept for the test to read.
package smtptest
