package plugintest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/host"
)

// faultRetryAfter is the Retry-After the kit's 429 and 503 carry.
const faultRetryAfter = 7 * time.Second

// faultCases is the trouble any platform reached over HTTP can be in, and
// what the plugin must report for each, followed by the platform's own
// errors from Faults.Errors.
func faultCases(f *Faults) []FaultError {
	return append([]FaultError{
		{Name: "a 503 with Retry-After", Fault: faultinject.Status(http.StatusServiceUnavailable, nil).WithHeader("Retry-After", fmt.Sprint(faultRetryAfter.Seconds())),
			Kind: sdk.KindUnavailable, RetryAfter: faultRetryAfter},
		{Name: "a 502", Fault: faultinject.Status(http.StatusBadGateway, nil), Kind: sdk.KindUnavailable},
		{Name: "a reset connection", Fault: faultinject.Reset(), Kind: sdk.KindUnavailable},
		{Name: "a truncated answer", Fault: faultinject.Truncated(), Kind: sdk.KindUnavailable},
		{Name: "a garbage body", Fault: faultinject.Garbage(32), Kind: sdk.KindUnavailable},
		{Name: "a 429 from in front of the platform", Fault: faultinject.TooManyRequests(faultRetryAfter),
			Kind: sdk.KindRateLimited, RetryAfter: faultRetryAfter},
	}, f.Errors...)
}

// CheckPlatformFaults checks that platform trouble fails the whole call
// with the kind the host acts on: a 5xx, a reset connection, a truncated
// answer or a garbage body as UNAVAILABLE (a 503 with the Retry-After it
// carried), a 429 as RATE_LIMITED with its Retry-After, and each of
// Faults.Errors as declared; and that the next call, once the fault is
// gone, works.
func CheckPlatformFaults() Check {
	return Check{Name: "platform_faults", run: func(h *harness) {
		f := h.target.Faults
		h.need(f != nil && f.Inject != nil, "Faults.Inject")
		p := h.configured(h.target.config())
		for _, c := range faultCases(f) {
			remove := f.Inject(h.t, c.Fault)
			item, err := h.probe(p)
			remove()
			e, _ := host.AsError(err)
			switch {
			case err == nil && item != nil && item.Kind == c.Kind:
				h.t.Errorf("%s concerns the whole call and must fail it as %s; the plugin reported it per item: %s", c.Name, c.Kind, item)
			case !isError(err, c.Kind, c.Code):
				h.t.Errorf("%s must fail the call as %s; it returned %s", c.Name, kindCode(c.Kind, c.Code), describeErr(err))
			case c.RetryAfter > 0 && e.RetryAfter != c.RetryAfter:
				h.t.Errorf("%s asked to wait %s; the error carries a retry-after of %s: %s", c.Name, c.RetryAfter, e.RetryAfter, e)
			}
			if _, err := h.probe(p); err != nil {
				h.t.Errorf("after %s was gone, a call still failed with %s", c.Name, describeErr(err))
			}
		}
	}}
}
