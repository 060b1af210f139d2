package store

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// minorDigits is the number of decimals of an ISO 4217 currency, from
// the table sdk.Money formats with.
func minorDigits(code string) (int, error) {
	unit, err := currency.ParseISO(code)
	if err != nil || strings.ToUpper(code) != code {
		return 0, fmt.Errorf("%q is not an upper-case ISO 4217 currency code", code)
	}
	digits, _ := currency.Standard.Rounding(unit)
	return digits, nil
}

// formatAmount writes minor units as the decimal string WooCommerce
// stores prices in: 1990 with 2 digits is "19.90", 500 with 0 is "500".
func formatAmount(minor int64, digits int) string {
	s := strconv.FormatInt(minor, 10)
	if digits == 0 {
		return s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return s[:len(s)-digits] + "." + s[len(s)-digits:]
}

// parseAmount reads a price WooCommerce answers ("19.9", "19.90", "20")
// into minor units, digit by digit. More decimals than the currency has
// are refused unless they are zeros; an empty price is 0 (a product
// without a price).
func parseAmount(s string, digits int) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("price %q is not a decimal number", s)
	}
	if t := strings.TrimRight(frac, "0"); len(t) > digits {
		return 0, fmt.Errorf("price %q has more than %d decimals", s, digits)
	}
	frac = strings.TrimRight(frac, "0")
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("price %q is too large", s)
	}
	return n, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
