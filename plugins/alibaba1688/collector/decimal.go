package collector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// decimal is a number from the platform kept as the text it was sent in.
// The gateway writes prices as JSON numbers (Java Doubles: 40, 12.5,
// 0.99) and some fields as strings ("500"); either way we keep the digits
// and never let a float64 near a price. Empty means absent or null.
type decimal string

func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*d = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(strings.TrimSpace(s))
	default:
		*d = decimal(b)
	}
	return nil
}

var errNotDecimal = errors.New("not a plain decimal number")

// minorUnits converts a decimal literal to integer minor units of a
// currency with scale decimals: "12" → 1200, "12.5" → 1250, "0.99" → 99
// at scale 2. It reads the digits; no float is involved. It refuses signs,
// exponents, and digits past the currency's scale unless they are zeros
// ("12.500" is 12.50; "12.345" is refused, as no CNY amount has a third
// decimal). It also refuses an integer part of more than 15 digits, far
// beyond any price, so the result cannot overflow.
func minorUnits(lit string, scale int) (int64, error) {
	intPart, frac, hasDot := strings.Cut(lit, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, fmt.Errorf("%q: %w", lit, errNotDecimal)
	}
	if len(intPart) > 15 {
		return 0, fmt.Errorf("%q is too large", lit)
	}
	if len(frac) > scale {
		if strings.Trim(frac[scale:], "0") != "" {
			return 0, fmt.Errorf("%q has more than %d decimals", lit, scale)
		}
		frac = frac[:scale]
	}
	var n int64
	for _, c := range intPart {
		n = n*10 + int64(c-'0')
	}
	for i := range scale {
		n *= 10
		if i < len(frac) {
			n += int64(frac[i] - '0')
		}
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isZero reports whether d is absent or a literal zero ("0", "0.0").
func (d decimal) isZero() bool {
	return strings.Trim(strings.Replace(string(d), ".", "", 1), "0") == ""
}
