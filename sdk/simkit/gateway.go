package simkit

import (
	"net/http"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
)

// GatewayOptions configures a Gateway. Zero values take the defaults.
type GatewayOptions struct {
	// Clock is the gateway's clock: timestamps, the rate limit and the
	// fault injector's time windows read it. Default Wall.
	Clock Clock
	// After waits for slow faults; default time.After. FakeClock.After
	// makes them wait for the test instead.
	After func(time.Duration) <-chan time.Time
	// FaultSeed seeds the fault injector's random choices.
	FaultSeed uint64
	// Rate and Burst are the call-rate limit (see Bucket); Rate 0 means
	// no limit.
	Rate  float64
	Burst int
}

// Gateway is what a simulated platform gateway holds besides its rules:
// one clock, one call-rate limit and the fault injector in front of its
// handler, all on that clock.
type Gateway struct {
	Clock  Clock
	Limit  *Bucket
	Faults *faultinject.Injector
}

// NewGateway returns a gateway with a full bucket and a fault injector
// with no rules.
func NewGateway(o GatewayOptions) *Gateway {
	if o.Clock == nil {
		o.Clock = Wall
	}
	return &Gateway{
		Clock:  o.Clock,
		Limit:  NewBucket(o.Rate, o.Burst),
		Faults: faultinject.New(faultinject.Options{Seed: o.FaultSeed, Now: o.Clock.Now, After: o.After}),
	}
}

// Now is the gateway's time.
func (g *Gateway) Now() time.Time { return g.Clock.Now() }

// Wrap puts the fault injector in front of the simulator's handler: a
// fault answers before the simulator sees the request.
func (g *Gateway) Wrap(h http.Handler) http.Handler { return faultinject.Wrap(h, g.Faults) }

// WrapFunc is Wrap for a handler function.
func (g *Gateway) WrapFunc(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return g.Wrap(http.HandlerFunc(h))
}

// Take spends a call of the rate limit now, or says how long until one is
// allowed.
func (g *Gateway) Take() (time.Duration, bool) { return g.Limit.Take(g.Now()) }
