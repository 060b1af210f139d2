package faultinject_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
)

// A simulator wraps its real handler once; each test then sets the faults
// it needs and checks the counters afterwards.
func Example() {
	// The simulator's real handler, here a one-line TOP gateway.
	gateway := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"item_get_response":{"item":{"num_iid":42}}}`)
	})
	inj := faultinject.New(faultinject.Options{Seed: 1})
	srv := httptest.NewServer(faultinject.Wrap(gateway, inj))
	defer srv.Close()

	// TOP reports its call limit inside a 200 body: the next two calls to
	// taobao.item.get get it. Every 4th call of any method is a 502, and
	// half the calls to taobao.items.onsale.get, drawn from the seed, are
	// rate limited.
	err := inj.Add(
		faultinject.Rule{
			Name:  "app-call-limited",
			Match: faultinject.Param("method", "taobao.item.get"),
			When:  faultinject.Next(2),
			Fault: faultinject.ErrorBody(func(r *http.Request) []byte {
				return []byte(`{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count"}}`)
			}),
		},
		faultinject.Rule{
			Name:  "gateway-502",
			When:  faultinject.EveryNth(4),
			Fault: faultinject.Status(http.StatusBadGateway, nil),
		},
		faultinject.Rule{
			Name:  "rate-limited",
			Match: faultinject.Param("method", "taobao.items.onsale.get"),
			When:  faultinject.Probability(0.5),
			Fault: faultinject.TooManyRequests(10 * time.Second),
		},
	)
	if err != nil {
		panic(err)
	}

	for range 3 {
		resp, err := http.Get(srv.URL + "/router/rest?method=taobao.item.get")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body)[:20])
	}

	s := inj.Stats()
	fmt.Println("requests", s.Requests, "faults", s.Injected, "call limit", s.ByRule["app-call-limited"])
	// Output:
	// 200 {"error_response":{"
	// 200 {"error_response":{"
	// 200 {"item_get_response"
	// requests 3 faults 2 call limit 2
}
