package sim

import "testing"

// The simulator's own signature code against the worked example of
// https://open.1688.com/api/sysSignature.htm (b=2&a=1, secret test123),
// and against the UTF-16 ordering case the client's tests pin down.
func TestSignatureKnownVectors(t *testing.T) {
	for name, tc := range map[string]struct {
		pairs [][2]string
		want  string
	}{
		"documented example":   {[][2]string{{"b", "2"}, {"a", "1"}}, "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88"},
		"joined strings sort":  {[][2]string{{"a", "z"}, {"ab", "1"}}, "8455C1445CD6FD189617EBA7A8A5C98E78786564"},
		"UTF-16 order":         {[][2]string{{"ab", "！"}, {"a", "b😀"}}, "BB8945C4E28EFE4957ACBD3B0FC62558BF267221"},
		"signature not signed": {[][2]string{{"_aop_signature", "X"}, {"b", "2"}, {"a", "1"}}, "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88"},
	} {
		if got := signature("test123", "param2/1/system/currentTime/1000000", tc.pairs); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

func TestFenLiteral(t *testing.T) {
	for fen, want := range map[int64]string{4000: "40", 4050: "40.5", 4057: "40.57", 5: "0.05", 90: "0.9"} {
		if got := fenLiteral(fen, false); got != want {
			t.Errorf("fenLiteral(%d) = %s, want %s", fen, got, want)
		}
	}
	if got := fenLiteral(4000, true); got != "40.0" {
		t.Errorf("whole yuan as a Java Double: %s", got)
	}
}
