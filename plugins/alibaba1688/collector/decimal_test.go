package collector

import "testing"

func TestMinorUnits(t *testing.T) {
	for lit, want := range map[string]int64{
		"12":                1200,
		"12.5":              1250,
		"12.50":             1250,
		"0.99":              99,
		"0.01":              1,
		"0":                 0,
		"40.0":              4000,
		"12.500":            1250,
		"999999999999999.9": 99999999999999990,
	} {
		got, err := minorUnits(lit, 2)
		if err != nil || got != want {
			t.Errorf("minorUnits(%q) = %d, %v; want %d", lit, got, err, want)
		}
	}
	for _, lit := range []string{"", "-1", "+1", "1e3", "1.2E2", "12.345", "12.", ".5", "1,5", " 1", "NaN", "Infinity", "0x10", "1234567890123456"} {
		if got, err := minorUnits(lit, 2); err == nil {
			t.Errorf("minorUnits(%q) = %d, want an error", lit, got)
		}
	}
	if got, err := minorUnits("24000.0", 0); err != nil || got != 24000 {
		t.Errorf("whole number with .0: %d, %v", got, err)
	}
	if _, err := minorUnits("2.5", 0); err == nil {
		t.Error("a fraction of a piece was accepted as a stock count")
	}
}
