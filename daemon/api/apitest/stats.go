package apitest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

// Stats is an api.StatsSource that answers every query with Answer and
// remembers the queries it got. A platform not in Platforms is unknown.
type Stats struct {
	// Retention is what StatsRetention returns; zero means 24 hours.
	Retention time.Duration
	Platforms []string
	Answer    client.Stats
	// Err, when set, is returned instead of Answer.
	Err error

	mu      sync.Mutex
	queries []client.StatsQuery
}

var _ api.StatsSource = (*Stats)(nil)

// StatsRetention implements api.StatsSource.
func (s *Stats) StatsRetention() time.Duration {
	if s.Retention == 0 {
		return 24 * time.Hour
	}
	return s.Retention
}

// Stats implements api.StatsSource.
func (s *Stats) Stats(ctx context.Context, q client.StatsQuery) (*client.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, q)
	switch {
	case s.Err != nil:
		return nil, s.Err
	case q.Platform != "" && !slices.Contains(s.Platforms, q.Platform):
		return nil, api.UnknownPlatform(q.Platform)
	}
	answer := s.Answer
	return &answer, nil
}

// Queries returns the queries answered so far, in order.
func (s *Stats) Queries() []client.StatsQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}
