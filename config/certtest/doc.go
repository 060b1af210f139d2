// Package certtest writes, for tests, what the tls blocks of a
// configuration name: a certificate authority's certificate, and
// certificates and keys it signed for both ends of a connection.
package certtest
