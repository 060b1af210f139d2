package collector

import (
	"errors"
	"testing"
)

func TestParseAmount(t *testing.T) {
	for name, tc := range map[string]struct {
		in     string
		digits int
		want   int64
		err    bool
	}{
		"two decimals":             {"54.69", 2, 5469, false},
		"one decimal":              {"12.5", 2, 1250, false},
		"no decimals":              {"13", 2, 1300, false},
		"zero":                     {"0", 2, 0, false},
		"zero point":               {"0.00", 2, 0, false},
		"cents only":               {"0.07", 2, 7, false},
		"leading zeros":            {"007.10", 2, 710, false},
		"trailing zero beyond":     {"2113.0", 0, 2113, false},
		"zeros beyond scale":       {"1200.00", 0, 1200, false},
		"yen":                      {"1200", 0, 1200, false},
		"three-decimal currency":   {"1.234", 3, 1234, false},
		"three-decimal, one given": {"1.2", 3, 1200, false},
		"too many decimals":        {"1.234", 2, 0, true},
		"decimal on yen":           {"1200.5", 0, 0, true},
		"non-zero after zeros":     {"1.2301", 2, 0, true},
		"negative":                 {"-1.00", 2, 0, true},
		"plus sign":                {"+1.00", 2, 0, true},
		"exponent":                 {"1e3", 2, 0, true},
		"grouping":                 {"1,000.00", 2, 0, true},
		"comma decimal":            {"12,50", 2, 0, true},
		"leading point":            {".5", 2, 0, true},
		"trailing point":           {"5.", 2, 0, true},
		"two points":               {"1.2.3", 2, 0, true},
		"empty":                    {"", 2, 0, true},
		"blank":                    {" 1.00", 2, 0, true},
		"currency sign":            {"$1.00", 2, 0, true},
		"largest":                  {"92233720368547758.07", 2, 9223372036854775807, false},
		"overflow by one":          {"92233720368547758.08", 2, 0, true},
		"overflow when scaling":    {"92233720368547759", 2, 0, true},
		"huge integer":             {"99999999999999999999", 0, 0, true},
		"NaN":                      {"NaN", 2, 0, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAmount(tc.in, tc.digits)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("ParseAmount(%q, %d) = %d, %v; want %d, error %v", tc.in, tc.digits, got, err, tc.want, tc.err)
			}
		})
	}
	if _, err := ParseAmount("99999999999999999999", 0); !errors.Is(err, errOverflow) {
		t.Errorf("overflow reported as %v", err)
	}
}

func TestMinorDigits(t *testing.T) {
	for code, want := range map[string]int{"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "RUB": 2, "BHD": 3} {
		if got, err := MinorDigits(code); err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", code, got, err, want)
		}
	}
	if _, err := MinorDigits("XYZ"); err == nil {
		t.Error("XYZ accepted")
	}
}
