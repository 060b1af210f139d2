package main

import (
	"strings"
	"testing"
)

func TestParsePrice(t *testing.T) {
	for name, tc := range map[string]struct {
		in, currency string
		want         int64
		err          string
	}{
		"two decimals":             {in: "19.90", currency: "CNY", want: 1990},
		"one decimal":              {in: "59.9", currency: "CNY", want: 5990},
		"whole":                    {in: "128", currency: "CNY", want: 12800},
		"zero":                     {in: "0.00", currency: "CNY", want: 0},
		"spaces around":            {in: " 7.05 ", currency: "CNY", want: 705},
		"leading zeros":            {in: "007.50", currency: "CNY", want: 750},
		"trailing zeros past cent": {in: "12.3400", currency: "CNY", want: 1234},
		"yen has no decimals":      {in: "1500", currency: "JPY", want: 1500},
		"yen with zero decimals":   {in: "1500.00", currency: "JPY", want: 1500},
		"dinar has three":          {in: "1.234", currency: "BHD", want: 1234},
		"largest":                  {in: "92233720368547758.07", currency: "CNY", want: 9223372036854775807},
		"a decimal too many":       {in: "12.345", currency: "CNY", err: "more decimals than CNY allows (2)"},
		"yen cents":                {in: "1500.5", currency: "JPY", err: "more decimals than JPY allows (0)"},
		"overflow":                 {in: "92233720368547758.08", currency: "CNY", err: "too large"},
		"negative":                 {in: "-1.00", currency: "CNY", err: "not a decimal number"},
		"plus sign":                {in: "+1.00", currency: "CNY", err: "not a decimal number"},
		"exponent":                 {in: "1e3", currency: "CNY", err: "not a decimal number"},
		"comma decimal":            {in: "19,90", currency: "CNY", err: "not a decimal number"},
		"thousands separator":      {in: "1,000.00", currency: "CNY", err: "not a decimal number"},
		"currency symbol":          {in: "¥19.90", currency: "CNY", err: "not a decimal number"},
		"point without decimals":   {in: "19.", currency: "CNY", err: "not a decimal number"},
		"point without whole":      {in: ".5", currency: "CNY", err: "not a decimal number"},
		"empty":                    {in: "", currency: "CNY", err: "not a decimal number"},
		"full-width digits":        {in: "１９.９０", currency: "CNY", err: "not a decimal number"},
		"unknown currency":         {in: "1.00", currency: "XYZ", err: `unknown currency "XYZ"`},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parsePrice(tc.in, tc.currency)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parsePrice(%q, %s) = %d, %v; want an error containing %q", tc.in, tc.currency, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parsePrice(%q, %s) = %d, %v; want %d", tc.in, tc.currency, got, err, tc.want)
			}
		})
	}
}
