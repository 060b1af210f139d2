package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// StatsSource serves GET /v1/stats, the windowed statistics of plugin
// calls. It is optional: without one the route answers 404.
type StatsSource interface {
	// StatsRetention is how long stats are kept: the longest range a
	// query may ask for.
	StatsRetention() time.Duration
	// Stats answers q. The server has checked it: Range is from a minute
	// to StatsRetention and Operation is empty or one of
	// client.StatsOperations. A Platform the source does not know is
	// UnknownPlatform.
	Stats(ctx context.Context, q client.StatsQuery) (*client.Stats, error)
}

// DefaultStatsRange is the range of a stats query that gives none, or the
// retention when that is shorter.
const DefaultStatsRange = time.Hour

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.stats == nil {
		return nil, NotFound(client.CodeNotFound, "stats are not enabled on this agent")
	}
	q, err := statsQuery(r.URL.Query(), s.stats.StatsRetention())
	if err != nil {
		return nil, err
	}
	st, err := s.stats.Stats(r.Context(), q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("the stats source returned no answer")
	}
	st.Rows = nonNil(st.Rows)
	nonNilErrors(&st.Total)
	for i := range st.Rows {
		nonNilErrors(&st.Rows[i])
	}
	for i := range st.Series {
		nonNilErrors(&st.Series[i].StatsRow)
	}
	return st, nil
}

// statsQuery reads and checks the parameters of GET /v1/stats.
func statsQuery(q url.Values, retention time.Duration) (client.StatsQuery, error) {
	out := client.StatsQuery{Platform: q.Get("platform"), Range: min(DefaultStatsRange, retention)}
	var err error
	if out.Operation, err = queryEnum(q, "operation", client.StatsOperations); err != nil {
		return out, err
	}
	if raw := q.Get("range"); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return out, BadRequest(client.CodeInvalidQuery, fmt.Sprintf(`range must be a duration such as "5m", "1h" or "24h", got %q`, raw))
		}
		if d < time.Minute || d > retention {
			return out, BadRequest(client.CodeInvalidQuery, fmt.Sprintf(`range must be from 1m to %s (how long this agent keeps stats), got %q`, shortDuration(retention), raw))
		}
		out.Range = d
	}
	if raw := q.Get("series"); raw != "" {
		if out.Series, err = strconv.ParseBool(raw); err != nil {
			return out, BadRequest(client.CodeInvalidQuery, fmt.Sprintf("series must be true or false, got %q", raw))
		}
	}
	return out, nil
}

// shortDuration writes d without trailing zero units: 24h, 1h30m, 90s as
// 1m30s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// nonNilErrors makes a row without errors encode "errors": {}.
func nonNilErrors(row *client.StatsRow) {
	if row.Errors == nil {
		row.Errors = map[string]int64{}
	}
}
