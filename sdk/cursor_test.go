package sdk_test

import (
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

// A cursor round-trips its plugin's record; anything else, including a
// record of another shape, is refused.
func TestCursorRoundTrip(t *testing.T) {
	type pos struct {
		Scope string `json:"s"`
		Page  int    `json:"p"`
	}
	s := sdk.EncodeCursor(pos{Scope: "shop 7/å", Page: 3})
	var got pos
	if err := sdk.DecodeCursor(s, &got); err != nil || got != (pos{Scope: "shop 7/å", Page: 3}) {
		t.Fatalf("DecodeCursor(%q) = %+v, %v", s, got, err)
	}
	for _, bad := range []string{"", "%%%", sdk.EncodeCursor([]int{1}), sdk.EncodeCursor("x"), sdk.EncodeCursor(map[string]string{"p": "3"})} {
		var p pos
		if err := sdk.DecodeCursor(bad, &p); err == nil {
			t.Errorf("DecodeCursor(%q) = %+v, want an error", bad, p)
		}
	}
	if e := sdk.BadCursor("zz"); e.Kind != sdk.KindInvalid || e.Code != sdk.CodeBadCursor {
		t.Errorf("BadCursor = %+v", e)
	}
}
