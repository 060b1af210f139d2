package sim

import (
	"maps"
	"net/http"
	"strconv"
	"testing"
)

// fenced posts a document with a fencing token (none for 0).
func fenced(t *testing.T, r *Running, token uint64, query string, vars map[string]any) (int, *answer) {
	t.Helper()
	h := http.Header{"X-Shopify-Access-Token": {r.Options().Token}}
	if token > 0 {
		h.Set(FencingHeader, strconv.FormatUint(token, 10))
	}
	return postHeader(t, r, h, query, vars)
}

// A write whose token is below one the shop accepted is refused whole
// with STALE_FENCING_TOKEN, is not applied and is counted under its
// token; once fenced writes came, an unfenced one is refused too; reads
// are not fenced.
func TestStaleFencingTokenRefused(t *testing.T) {
	r := ServeTest(t, Options{})
	// Before any fenced write the shop takes plain ones (a lone agent).
	if _, a := fenced(t, r, 0, setDoc, map[string]any{"in": input("plain", "P-1")}); len(a.Errors) > 0 {
		t.Fatalf("unfenced write to a shop that saw no token: %+v", a.Errors)
	}
	if _, a := fenced(t, r, 5, setDoc, map[string]any{"in": input("five", "F-1")}); len(a.Errors) > 0 {
		t.Fatalf("write under 5: %+v", a.Errors)
	}
	if _, a := fenced(t, r, 7, setDoc, map[string]any{"in": input("seven", "S-1")}); len(a.Errors) > 0 {
		t.Fatalf("write under 7: %+v", a.Errors)
	}
	for _, token := range []uint64{5, 6, 0} {
		code, a := fenced(t, r, token, setDoc, map[string]any{"in": input("stale", "X-"+strconv.FormatUint(token, 10))})
		if code != http.StatusOK || len(a.Errors) != 1 || a.Errors[0].Extensions["code"] != CodeStaleFencingToken || a.Data != nil {
			t.Fatalf("write under %d after 7: %d %+v", token, code, a)
		}
	}
	if n := r.ProductCount(); n != 3 {
		t.Fatalf("%d products, want the 3 accepted writes' (stale ones applied?)", n)
	}
	// A read under a stale token is answered.
	if _, a := fenced(t, r, 1, `{ shop { currencyCode } }`, nil); len(a.Errors) > 0 {
		t.Fatalf("read under a stale token: %+v", a.Errors)
	}
	if _, a := fenced(t, r, 9, setDoc, map[string]any{"in": input("nine", "N-1")}); len(a.Errors) > 0 {
		t.Fatalf("write under 9: %+v", a.Errors)
	}
	f := r.Fencing()
	if f.High != 9 || !maps.Equal(f.Accepted, map[uint64]int64{0: 1, 5: 1, 7: 1, 9: 1}) || !maps.Equal(f.Refused, map[uint64]int64{5: 1, 6: 1, 0: 1}) {
		t.Fatalf("fencing state %+v", f)
	}
	h := http.Header{"X-Shopify-Access-Token": {r.Options().Token}, FencingHeader: {"nope"}}
	if code, _ := postHeader(t, r, h, setDoc, map[string]any{"in": input("bad", "B-1")}); code != http.StatusBadRequest {
		t.Fatalf("a malformed token got %d, want 400", code)
	}
}
