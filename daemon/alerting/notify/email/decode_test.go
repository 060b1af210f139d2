package email_test

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// decode undoes a part's transfer encoding.
func decode(t *testing.T, enc string, body []byte) string {
	t.Helper()
	switch strings.ToLower(enc) {
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(body))))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return string(body)
}
