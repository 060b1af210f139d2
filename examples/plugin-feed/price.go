package main

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/text/currency"
)

// parsePrice converts a decimal price such as "19.90" to integer minor
// units of cur (1990 fen for CNY) without floating point: it reads the
// digits. It refuses signs, exponents, thousands separators and currency
// symbols, and a price with more decimals than the currency has (19.999
// CNY) rather than rounding it; trailing zeros past the currency's
// decimals (19.900) change nothing and are accepted.
func parsePrice(s, cur string) (int64, error) {
	unit, err := currency.ParseISO(cur)
	if err != nil {
		return 0, fmt.Errorf("unknown currency %q", cur)
	}
	scale, _ := currency.Standard.Rounding(unit)
	whole, frac, point := strings.Cut(strings.TrimSpace(s), ".")
	if !isDigits(whole) || point && !isDigits(frac) {
		return 0, fmt.Errorf("price %q is not a decimal number such as 19.90", s)
	}
	if significant := strings.TrimRight(frac, "0"); len(significant) > scale {
		return 0, fmt.Errorf("price %q has more decimals than %s allows (%d)", s, cur, scale)
	}
	frac = strings.TrimRight(frac, "0")
	frac += strings.Repeat("0", scale-len(frac))
	var amount int64
	for _, d := range whole + frac {
		n := int64(d - '0')
		if amount > (math.MaxInt64-n)/10 {
			return 0, fmt.Errorf("price %q is too large", s)
		}
		amount = amount*10 + n
	}
	return amount, nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
