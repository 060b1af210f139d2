package retry

import (
	"sync"
	"time"

	"github.com/marketsync/marketsync/actors/platform/window"
)

// Budget allows a retry while retries over the last TTL stay within
// Percent of the calls made in that time plus MinPerSec·TTL. Finagle's
// defaults are a 10 s TTL, 20 % and 10 retries per second; platforms here
// allow tens of calls per second, so the agent's floor is lower.
type Budget struct {
	mu        sync.Mutex
	percent   float64
	reserve   float64
	calls     *window.Counter
	retries   *window.Counter
	withdrawn int64
	refused   int64
}

// NewBudget returns a budget over ttl.
func NewBudget(ttl time.Duration, percent, minPerSec float64) *Budget {
	return &Budget{
		percent: percent,
		reserve: minPerSec * ttl.Seconds(),
		calls:   window.New(ttl, 10),
		retries: window.New(ttl, 10),
	}
}

// Deposit records a first attempt of a call.
func (b *Budget) Deposit() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls.Add(time.Now(), 1)
}

// TryWithdraw takes one retry from the budget, or says there is none.
func (b *Budget) TryWithdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.reserve+b.percent*b.calls.Sum(now)-b.retries.Sum(now) < 1 {
		b.refused++
		return false
	}
	b.retries.Add(now, 1)
	b.withdrawn++
	return true
}

// Balance is how many retries the budget would allow now.
func (b *Budget) Balance() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	return max(0, b.reserve+b.percent*b.calls.Sum(now)-b.retries.Sum(now))
}

// Refused counts retries the budget refused since it was made.
func (b *Budget) Refused() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}
