package api_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

func statsServer(t *testing.T, st *apitest.Stats) *httptest.Server {
	t.Helper()
	return apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Stats: st})
}

func TestStatsNotEnabled(t *testing.T) {
	srv, _ := newServer(t)
	get(t, srv, "/v1/stats?range=1h").wantError(t, http.StatusNotFound, client.CodeNotFound, "stats are not enabled")
}

func TestStatsQuery(t *testing.T) {
	for name, tc := range map[string]struct {
		query     string
		retention time.Duration
		want      client.StatsQuery
	}{
		"defaults":                   {query: "", want: client.StatsQuery{Range: time.Hour}},
		"default within a short one": {query: "", retention: 30 * time.Minute, want: client.StatsQuery{Range: 30 * time.Minute}},
		"5m":                         {query: "?range=5m", want: client.StatsQuery{Range: 5 * time.Minute}},
		"the whole retention":        {query: "?range=24h", want: client.StatsQuery{Range: 24 * time.Hour}},
		"a minute":                   {query: "?range=60s", want: client.StatsQuery{Range: time.Minute}},
		"everything": {query: "?platform=tb&operation=list_products&range=90s&series=true",
			want: client.StatsQuery{Platform: "tb", Operation: "list_products", Range: 90 * time.Second, Series: true}},
		"series off": {query: "?series=false&range=2h", want: client.StatsQuery{Range: 2 * time.Hour}},
	} {
		t.Run(name, func(t *testing.T) {
			st := &apitest.Stats{Retention: tc.retention, Platforms: []string{"tb"}}
			var got client.Stats
			get(t, statsServer(t, st), "/v1/stats"+tc.query).decode(t, http.StatusOK, &got)
			if q := st.Queries(); len(q) != 1 || q[0] != tc.want {
				t.Errorf("the source got %+v, want %+v", q, tc.want)
			}
		})
	}
}

func TestStatsRejects(t *testing.T) {
	st := &apitest.Stats{Platforms: []string{"tb"}}
	srv := statsServer(t, st)
	for name, tc := range map[string]struct {
		query string
		code  string
		parts []string
	}{
		"words":             {"range=1%20hour", client.CodeInvalidQuery, []string{"range must be a duration", `"1 hour"`}},
		"a bare number":     {"range=60", client.CodeInvalidQuery, []string{"range must be a duration"}},
		"negative":          {"range=-5m", client.CodeInvalidQuery, []string{"from 1m to 24h", `"-5m"`}},
		"zero":              {"range=0s", client.CodeInvalidQuery, []string{"from 1m to 24h"}},
		"under a minute":    {"range=30s", client.CodeInvalidQuery, []string{"from 1m to 24h"}},
		"over the maximum":  {"range=24h1m", client.CodeInvalidQuery, []string{"from 1m to 24h", "keeps stats", `"24h1m"`}},
		"unknown operation": {"operation=fetch", client.CodeInvalidQuery, []string{"operation must be one of fetch_products, list_products", `"fetch"`}},
		"series":            {"series=yes", client.CodeInvalidQuery, []string{"series must be true or false"}},
		"unknown platform":  {"platform=nope", client.CodeUnknownPlatform, []string{`"nope"`}},
	} {
		t.Run(name, func(t *testing.T) {
			get(t, srv, "/v1/stats?"+tc.query).wantError(t, http.StatusBadRequest, tc.code, tc.parts...)
		})
	}
	if n := len(st.Queries()); n != 1 {
		t.Errorf("the source got %d queries, want only the one for an unknown platform", n)
	}
}

func TestStatsSourceFails(t *testing.T) {
	st := &apitest.Stats{Err: errors.New("badger: closed")}
	srv := statsServer(t, st)
	r := get(t, srv, "/v1/stats")
	r.wantError(t, http.StatusInternalServerError, client.CodeInternal)
	if strings.Contains(string(r.body), "badger") {
		t.Errorf("the cause leaked to the client: %s", r.body)
	}
}

// TestStatsEmptyAnswer checks that lists and error maps a source leaves
// nil are sent as [] and {}.
func TestStatsEmptyAnswer(t *testing.T) {
	st := &apitest.Stats{Answer: client.Stats{Series: []client.StatsPoint{{}}}}
	r := get(t, statsServer(t, st), "/v1/stats?series=true")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	body := string(r.body)
	if strings.Contains(body, "null") || !strings.Contains(body, `"rows":[]`) || strings.Count(body, `"errors":{}`) != 2 {
		t.Errorf("empty answer: %s", body)
	}
}
