package simkit

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// ASCIIJSON writes every non-ASCII character of a JSON text as a \uXXXX
// escape (a surrogate pair beyond the BMP), as the Java encoders behind
// TOP's, 1688's and Pinduoduo's gateways write Chinese in many answers
// ("\u5317\u4eac" for 北京). Such characters occur only inside strings,
// so the text means the same; a simulator sends both forms so that a
// client is tested on each.
func ASCIIJSON(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	for _, r := range string(b) {
		if r < utf8.RuneSelf {
			out.WriteByte(byte(r))
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return out.Bytes()
}
