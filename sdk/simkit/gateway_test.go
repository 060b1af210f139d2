package simkit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

func TestGatewayFaultsAndLimitShareTheClock(t *testing.T) {
	clock := simkit.NewFakeClock(t0)
	gw := simkit.NewGateway(simkit.GatewayOptions{Clock: clock, After: clock.After, Rate: 1, Burst: 1})
	h := gw.WrapFunc(func(w http.ResponseWriter, _ *http.Request) {
		if wait, ok := gw.Take(); !ok {
			w.Header().Set("Retry-After", wait.String())
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	})
	call := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Code
	}
	if err := gw.Faults.Add(faultinject.Rule{
		Name:  "outage",
		Fault: faultinject.Status(http.StatusBadGateway, nil),
		When:  faultinject.Between(t0.Add(time.Minute), t0.Add(2*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	if got := call(); got != http.StatusOK {
		t.Fatalf("first call: %d", got)
	}
	if got := call(); got != http.StatusTooManyRequests {
		t.Fatalf("second call at once: %d, want 429 from the bucket", got)
	}
	clock.Advance(time.Minute)
	if got := call(); got != http.StatusBadGateway {
		t.Fatalf("inside the fault window: %d, want 502", got)
	}
	clock.Advance(time.Minute)
	if got := call(); got != http.StatusOK {
		t.Fatalf("after the window: %d", got)
	}
	if !gw.Now().Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("gateway time %v", gw.Now())
	}
}

func TestGatewayDefaults(t *testing.T) {
	gw := simkit.NewGateway(simkit.GatewayOptions{})
	if gw.Clock != simkit.Wall || gw.Limit.Limited() || gw.Faults == nil {
		t.Fatalf("defaults: %+v", gw)
	}
}
