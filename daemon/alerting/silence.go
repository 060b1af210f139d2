package alerting

import (
	"errors"
	"fmt"
	"time"

	"github.com/marketsync/marketsync/config"
)

// Silence mutes the alerts its matchers select from StartsAt to EndsAt.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []string  `json:"matchers"`
	Author    string    `json:"author"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`

	matchers []config.Matcher
}

// silenceKept is how long an expired silence stays listed.
const silenceKept = 24 * time.Hour

// ErrInvalidSilence is wrapped by the error of a silence that cannot be
// created; ErrSilenceNotFound by expiring an unknown one.
var (
	ErrInvalidSilence  = errors.New("invalid silence")
	ErrSilenceNotFound = errors.New("silence not found")
)

// compile parses the matchers and checks the rest.
func (s *Silence) compile() error {
	if len(s.Matchers) == 0 {
		return fmt.Errorf("%w: give at least one matcher, such as alertname=platform-error-rate", ErrInvalidSilence)
	}
	if s.Author == "" || s.Comment == "" {
		return fmt.Errorf("%w: author and comment are required, so that others know who muted what and why", ErrInvalidSilence)
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("%w: it must end after it starts", ErrInvalidSilence)
	}
	s.matchers = s.matchers[:0]
	for _, m := range s.Matchers {
		pm, err := config.ParseMatcher(m)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSilence, err)
		}
		s.matchers = append(s.matchers, pm)
	}
	return nil
}

// Active says whether s mutes alerts at now.
func (s *Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// State is "pending", "active" or "expired" at now.
func (s *Silence) State(now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return "pending"
	case s.Active(now):
		return "active"
	}
	return "expired"
}

func (s *Silence) mutes(labels map[string]string, now time.Time) bool {
	return s.Active(now) && config.MatchAll(s.matchers, labels)
}
