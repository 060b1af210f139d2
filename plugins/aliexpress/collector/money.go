package collector

import (
	"errors"
	"fmt"
	"math"

	"golang.org/x/text/currency"
)

// MinorDigits is how many decimals the ISO 4217 currency code has: 2 for
// USD, 0 for JPY and KRW. It takes them from golang.org/x/text/currency's
// standard rounding, the table sdk.Money.String formats with, so a parsed
// amount prints back as the platform wrote it.
func MinorDigits(code string) (int, error) {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return 0, fmt.Errorf("unknown ISO 4217 currency %q", code)
	}
	scale, _ := currency.Standard.Rounding(unit)
	return scale, nil
}

var (
	errNotDecimal = errors.New("not a plain decimal number")
	errOverflow   = errors.New("too large for 64-bit minor units")
)

// ParseAmount reads a price as the platform writes it, "54.69", "12.5",
// "13" or "2113.0", into minor units of a currency with digits decimals,
// digit by digit: no float ever holds the amount.
//
// It accepts only digits with at most one point between digits: no sign,
// no exponent, no grouping, no blank. Decimals beyond the currency's are
// refused unless they are zeros ("2113.0" in RUB is 211300 kopecks,
// "1.234" in USD is an error): a price the currency cannot hold would
// otherwise be rounded without anyone noticing.
func ParseAmount(s string, digits int) (int64, error) {
	var n int64
	seenPoint, intDigits, decimals := false, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !seenPoint && intDigits > 0 && i < len(s)-1:
			seenPoint = true
		case c >= '0' && c <= '9':
			if !seenPoint {
				intDigits++
			} else {
				decimals++
				if decimals > digits {
					if c != '0' {
						return 0, fmt.Errorf("%q has more than the %d decimals of its currency", s, digits)
					}
					continue
				}
			}
			d := int64(c - '0')
			if n > (math.MaxInt64-d)/10 {
				return 0, fmt.Errorf("%q: %w", s, errOverflow)
			}
			n = n*10 + d
		default:
			return 0, fmt.Errorf("%q: %w", s, errNotDecimal)
		}
	}
	if intDigits == 0 {
		return 0, fmt.Errorf("%q: %w", s, errNotDecimal)
	}
	for range digits - min(decimals, digits) {
		if n > math.MaxInt64/10 {
			return 0, fmt.Errorf("%q: %w", s, errOverflow)
		}
		n *= 10
	}
	return n, nil
}
