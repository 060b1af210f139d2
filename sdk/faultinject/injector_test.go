package faultinject_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
)

// drive sends n requests made by req straight to h and returns the numbers
// (from 1) of those that got a fault, told by status 503.
func drive(h http.Handler, n int, req func(i int) *http.Request) []int {
	var hit []int
	for i := 1; i <= n; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req(i))
		if rec.Code == http.StatusServiceUnavailable {
			hit = append(hit, i)
		}
	}
	return hit
}

func getRoot(int) *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }

var unavailable = faultinject.Status(503, nil)

func TestSchedules(t *testing.T) {
	for name, tc := range map[string]struct {
		when faultinject.Schedule
		n    int
		want []int
	}{
		"zero schedule is always":    {faultinject.Schedule{}, 3, []int{1, 2, 3}},
		"always":                     {faultinject.Always(), 3, []int{1, 2, 3}},
		"every 3rd":                  {faultinject.EveryNth(3), 10, []int{3, 6, 9}},
		"every 1st":                  {faultinject.EveryNth(1), 3, []int{1, 2, 3}},
		"bursts of 2 every 5":        {faultinject.Bursts(5, 2), 12, []int{4, 5, 9, 10}},
		"bursts filling the period":  {faultinject.Bursts(2, 2), 3, []int{1, 2, 3}},
		"next 3 is a burst now":      {faultinject.Next(3), 6, []int{1, 2, 3}},
		"requests 4 to 6":            {faultinject.Requests(4, 6), 10, []int{4, 5, 6}},
		"a single request":           {faultinject.Requests(2, 2), 4, []int{2}},
		"probability 0 never fires":  {faultinject.Probability(0), 100, nil},
		"probability 1 always fires": {faultinject.Probability(1), 5, []int{1, 2, 3, 4, 5}},
	} {
		t.Run(name, func(t *testing.T) {
			inj := newInjector(t, faultinject.Options{}, faultinject.Rule{Fault: unavailable, When: tc.when})
			got := drive(faultinject.Wrap(&platform{}, inj), tc.n, getRoot)
			if !slices.Equal(got, tc.want) {
				t.Errorf("faults on %v, want %v", got, tc.want)
			}
			if s := inj.Stats(); s.Requests != int64(tc.n) || s.Injected != int64(len(tc.want)) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestTimeWindow(t *testing.T) {
	var mu sync.Mutex
	clock := t0
	inj := newInjector(t, faultinject.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}}, faultinject.Rule{Fault: unavailable, When: faultinject.Between(t0.Add(10*time.Second), t0.Add(20*time.Second))})
	h := faultinject.Wrap(&platform{}, inj)
	// Request i arrives at t0 + 5(i-1) seconds: 0, 5, 10, 15, 20, 25.
	got := drive(h, 6, func(i int) *http.Request {
		mu.Lock()
		clock = t0.Add(time.Duration(5*(i-1)) * time.Second)
		mu.Unlock()
		return getRoot(i)
	})
	if want := []int{3, 4}; !slices.Equal(got, want) {
		t.Errorf("faults on %v, want %v (start included, end excluded)", got, want)
	}
}

func TestProbabilityIsReproducible(t *testing.T) {
	run := func(seed, ruleSeed uint64, name string) []int {
		inj := newInjector(t, faultinject.Options{Seed: seed},
			faultinject.Rule{Name: name, Fault: unavailable, When: faultinject.Probability(0.3), Seed: ruleSeed})
		return drive(faultinject.Wrap(&platform{}, inj), 2000, getRoot)
	}
	a := run(42, 0, "flaky")
	for name, tc := range map[string]struct {
		seed, ruleSeed uint64
		rule           string
		same           bool
	}{
		"same seed and name":      {42, 0, "flaky", true},
		"another injector seed":   {43, 0, "flaky", false},
		"another rule name":       {42, 0, "flaky-2", false},
		"an explicit rule seed":   {42, 99, "flaky", false},
		"explicit seed, new name": {42, 99, "other", false},
	} {
		t.Run(name, func(t *testing.T) {
			b := run(tc.seed, tc.ruleSeed, tc.rule)
			if slices.Equal(a, b) != tc.same {
				t.Errorf("same choices: %v, want %v", !tc.same, tc.same)
			}
			if n := len(b); n < 520 || n > 680 {
				t.Errorf("%d faults in 2000 at p=0.3", n)
			}
		})
	}
	t.Run("explicit rule seed ignores the name", func(t *testing.T) {
		if !slices.Equal(run(42, 99, "flaky"), run(42, 99, "other")) {
			t.Error("rule seed did not fix the choices")
		}
	})
}

func TestRuleOrderAndCounting(t *testing.T) {
	inj := newInjector(t, faultinject.Options{},
		faultinject.Rule{Name: "burst", Fault: faultinject.Status(500, nil), When: faultinject.Next(2)},
		faultinject.Rule{Name: "every-2nd", Fault: unavailable, When: faultinject.EveryNth(2)},
	)
	h := faultinject.Wrap(&platform{}, inj)
	var codes []int
	for range 6 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, getRoot(0))
		codes = append(codes, rec.Code)
	}
	// The burst wins requests 1 and 2; every-2nd counted request 2 all the
	// same, so it fires on 4 and 6.
	if want := []int{500, 500, 200, 503, 200, 503}; !slices.Equal(codes, want) {
		t.Errorf("statuses %v, want %v", codes, want)
	}
	s := inj.Stats()
	want := faultinject.Stats{
		Requests: 6, Injected: 4,
		ByKind: map[faultinject.Kind]int64{faultinject.KindStatus: 4},
		ByRule: map[string]int64{"burst": 2, "every-2nd": 2},
	}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Errorf("stats %+v, want %+v", s, want)
	}
}

func TestMatch(t *testing.T) {
	form := func(method string) func(int) *http.Request {
		return func(int) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/router/rest", strings.NewReader(url.Values{"method": {method}, "sign": {"ABC"}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return r
		}
	}
	query := func(target string) func(int) *http.Request {
		return func(int) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }
	}
	for name, tc := range map[string]struct {
		match faultinject.Match
		req   func(int) *http.Request
		hit   bool
	}{
		"nil matches all":          {nil, query("/x"), true},
		"path":                     {faultinject.Path("/api/items"), query("/api/items?page=2"), true},
		"other path":               {faultinject.Path("/api/items"), query("/api/items/2"), false},
		"path prefix":              {faultinject.PathPrefix("/api/"), query("/api/items/2"), true},
		"method":                   {faultinject.Method(http.MethodPost), form("x"), true},
		"other method":             {faultinject.Method(http.MethodPut), form("x"), false},
		"param in query":           {faultinject.Param("method", "taobao.item.get"), query("/router/rest?method=taobao.item.get"), true},
		"param in form":            {faultinject.Param("method", "taobao.item.get"), form("taobao.item.get"), true},
		"other param value":        {faultinject.Param("method", "taobao.item.get"), form("taobao.items.onsale.get"), false},
		"param in a JSON body":     {faultinject.Param("method", "x"), jsonPost(`{"method":"x"}`), false},
		"all":                      {faultinject.All(faultinject.Method(http.MethodPost), faultinject.Param("method", "a")), form("a"), true},
		"all, one fails":           {faultinject.All(faultinject.Method(http.MethodGet), faultinject.Param("method", "a")), form("a"), false},
		"all of none":              {faultinject.All(), query("/"), true},
		"any":                      {faultinject.Any(faultinject.Path("/no"), faultinject.Param("method", "a")), form("a"), true},
		"any, none match":          {faultinject.Any(faultinject.Path("/no"), faultinject.Param("method", "b")), form("a"), false},
		"any of none":              {faultinject.Any(), query("/"), false},
		"a predicate of one's own": {func(r *http.Request) bool { return r.Header.Get("X-Shop") == "s1" }, withHeader("X-Shop", "s1"), true},
	} {
		t.Run(name, func(t *testing.T) {
			var seen []byte
			real := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen, _ = io.ReadAll(r.Body) })
			inj := newInjector(t, faultinject.Options{}, faultinject.Rule{Fault: unavailable, Match: tc.match})
			h := faultinject.Wrap(real, inj)
			req := tc.req(1)
			var sent []byte
			if req.Body != nil {
				sent, _ = io.ReadAll(req.Body)
				req = tc.req(1)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if hit := rec.Code == http.StatusServiceUnavailable; hit != tc.hit {
				t.Fatalf("fault injected: %v, want %v", hit, tc.hit)
			}
			if !tc.hit && string(seen) != string(sent) {
				t.Errorf("real handler read body %q, client sent %q", seen, sent)
			}
		})
	}
}

func jsonPost(body string) func(int) *http.Request {
	return func(int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
}

func withHeader(k, v string) func(int) *http.Request {
	return func(int) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(k, v)
		return r
	}
}

func TestAddValidates(t *testing.T) {
	for name, tc := range map[string]struct {
		rule faultinject.Rule
		want string
	}{
		"zero fault":           {faultinject.Rule{Name: "r"}, "no fault"},
		"2xx status":           {faultinject.Rule{Fault: faultinject.Status(200, nil)}, "not an error status"},
		"negative retry":       {faultinject.Rule{Fault: faultinject.TooManyRequests(-time.Second)}, "negative"},
		"zero delay":           {faultinject.Rule{Fault: faultinject.Slow(0)}, "not positive"},
		"no body builder":      {faultinject.Rule{Fault: faultinject.ErrorBody(nil)}, "no body builder"},
		"probability over 1":   {faultinject.Rule{Fault: unavailable, When: faultinject.Probability(1.5)}, "not in [0, 1]"},
		"every 0th":            {faultinject.Rule{Fault: unavailable, When: faultinject.EveryNth(0)}, "want 1 <= run <= every"},
		"burst over period":    {faultinject.Rule{Fault: unavailable, When: faultinject.Bursts(2, 3)}, "want 1 <= run <= every"},
		"next 0":               {faultinject.Rule{Fault: unavailable, When: faultinject.Next(0)}, "want 1 <= from <= to"},
		"requests backwards":   {faultinject.Rule{Fault: unavailable, When: faultinject.Requests(5, 4)}, "want 1 <= from <= to"},
		"empty window":         {faultinject.Rule{Fault: unavailable, When: faultinject.Between(t0, t0)}, "is empty"},
		"duplicate name":       {faultinject.Rule{Name: "taken", Fault: unavailable}, "duplicate rule name"},
		"a default name taken": {faultinject.Rule{Name: "status-2", Fault: unavailable}, "duplicate rule name"},
	} {
		t.Run(name, func(t *testing.T) {
			inj := faultinject.New(faultinject.Options{})
			if err := inj.Add(faultinject.Rule{Name: "taken", Fault: unavailable}); err != nil {
				t.Fatal(err)
			}
			if err := inj.Add(faultinject.Rule{Fault: unavailable}); err != nil { // named status-2
				t.Fatal(err)
			}
			if err := inj.Add(faultinject.Rule{Name: "fine", Fault: unavailable}, tc.rule); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Add = %v, want an error with %q", err, tc.want)
			}
			// Nothing of a rejected call is added.
			if err := inj.Add(faultinject.Rule{Name: "fine", Fault: unavailable}); err != nil {
				t.Errorf("the valid rule of a rejected call was added: %v", err)
			}
		})
	}
	t.Run("default names stay unique", func(t *testing.T) {
		inj := faultinject.New(faultinject.Options{})
		err := inj.Add(
			faultinject.Rule{Name: "status-2", Fault: unavailable},
			faultinject.Rule{Fault: unavailable},
			faultinject.Rule{Fault: faultinject.Reset()},
		)
		if err != nil {
			t.Fatal(err)
		}
		h := faultinject.Wrap(&platform{}, inj)
		drive(h, 1, getRoot)
		inj.Remove("status-2")
		drive(h, 1, getRoot)
		inj.Remove("status-3")
		want := map[string]int64{"status-2": 1, "status-3": 1}
		if got := inj.Stats().ByRule; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("by rule %v, want %v", got, want)
		}
		if !inj.Remove("reset-3") {
			t.Error("no rule reset-3")
		}
	})
	t.Run("duplicate is a sentinel", func(t *testing.T) {
		inj := faultinject.New(faultinject.Options{})
		err := inj.Add(faultinject.Rule{Name: "a", Fault: unavailable}, faultinject.Rule{Name: "a", Fault: unavailable})
		if !errors.Is(err, faultinject.ErrDuplicateRule) {
			t.Errorf("error %v", err)
		}
	})
}

func TestRemoveClearResetStats(t *testing.T) {
	inj := newInjector(t, faultinject.Options{},
		faultinject.Rule{Name: "a", Fault: unavailable, When: faultinject.EveryNth(2)},
		faultinject.Rule{Name: "b", Fault: faultinject.Status(500, nil)},
	)
	h := faultinject.Wrap(&platform{}, inj)
	drive(h, 2, getRoot)
	if !inj.Remove("b") || inj.Remove("b") {
		t.Fatal("Remove did not report presence")
	}
	drive(h, 2, getRoot) // a's 3rd and 4th: 4 fires
	s := inj.Stats()
	if s.ByRule["a"] != 2 || s.ByRule["b"] != 1 || s.Requests != 4 {
		t.Errorf("after Remove: %+v", s)
	}
	inj.Clear()
	drive(h, 4, getRoot)
	if s := inj.Stats(); s.Injected != 3 || s.Requests != 8 {
		t.Errorf("after Clear: %+v", s)
	}
	inj.ResetStats()
	if s := inj.Stats(); s.Requests != 0 || s.Injected != 0 || len(s.ByKind) != 0 || len(s.ByRule) != 0 {
		t.Errorf("after ResetStats: %+v", s)
	}
	// Stats is a copy.
	s = inj.Stats()
	s.ByRule["x"] = 1
	if inj.Stats().ByRule["x"] != 0 {
		t.Error("Stats shares its maps")
	}
}

func TestWrapNilInjector(t *testing.T) {
	p := &platform{}
	if h := faultinject.Wrap(p, nil); h != http.Handler(p) {
		t.Error("Wrap(nil) did not return the handler itself")
	}
}

// Rules change while requests are served; run with -race.
func TestConcurrentRuleChanges(t *testing.T) {
	inj := newInjector(t, faultinject.Options{Seed: 3})
	srv, _ := simulate(t, inj, false)
	c := freshClient(t, srv)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				resp, err := c.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Go(func() {
		for i := range 25 {
			name := fmt.Sprint("r", i)
			if err := inj.Add(faultinject.Rule{Name: name, Fault: unavailable, When: faultinject.Probability(0.5)}); err != nil {
				t.Error(err)
			}
			_ = inj.Stats()
			if i%2 == 0 {
				inj.Remove(name)
			}
		}
	})
	wg.Wait()
	if s := inj.Stats(); s.Requests != 100 {
		t.Errorf("saw %d requests, want 100", s.Requests)
	}
}
