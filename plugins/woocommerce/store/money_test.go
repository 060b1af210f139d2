package store

import "testing"

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		minor  int64
		digits int
		text   string
	}{{1990, 2, "19.90"}, {5, 2, "0.05"}, {0, 2, "0.00"}, {500, 0, "500"}, {1234, 3, "1.234"}} {
		if got := formatAmount(tc.minor, tc.digits); got != tc.text {
			t.Errorf("formatAmount(%d, %d) = %q, want %q", tc.minor, tc.digits, got, tc.text)
		}
		if got, err := parseAmount(tc.text, tc.digits); err != nil || got != tc.minor {
			t.Errorf("parseAmount(%q) = %d, %v", tc.text, got, err)
		}
	}
	for s, want := range map[string]int64{"19.9": 1990, "20": 2000, "": 0, "3.500": 350} {
		if got, err := parseAmount(s, 2); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"1.234", "-1", "1e3", "abc", ".5", "99999999999999999999"} {
		if _, err := parseAmount(bad, 2); err == nil {
			t.Errorf("parseAmount(%q) accepted", bad)
		}
	}
}
