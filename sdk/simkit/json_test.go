package simkit

import (
	"encoding/json"
	"testing"
)

func TestASCIIJSONMeansTheSame(t *testing.T) {
	in := []byte(`{"title":"北京 T恤 😀","n":1}`)
	out := ASCIIJSON(in)
	if want := `{"title":"\u5317\u4eac T\u6064 \ud83d\ude00","n":1}`; string(out) != want {
		t.Fatalf("got %s, want %s", out, want)
	}
	var a, b map[string]any
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if a["title"] != b["title"] {
		t.Errorf("decoded %q, want %q", b["title"], a["title"])
	}
}
