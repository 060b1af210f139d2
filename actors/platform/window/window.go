package window

import "time"

// Counter sums values added over the last Span, with the resolution of
// one slot (Span divided by the number of slots). The zero value is not
// usable; call New. It is not safe for concurrent use: its owners hold
// their own locks.
type Counter struct {
	slot  time.Duration
	sums  []float64
	ticks []int64 // the slot-sized tick each entry holds
}

// New returns a counter over span with the given number of slots.
func New(span time.Duration, slots int) *Counter {
	return &Counter{slot: span / time.Duration(slots), sums: make([]float64, slots), ticks: make([]int64, slots)}
}

// Add adds v at time now.
func (c *Counter) Add(now time.Time, v float64) {
	t := now.UnixNano() / int64(c.slot)
	i := int(t % int64(len(c.sums)))
	if c.ticks[i] != t {
		c.sums[i], c.ticks[i] = 0, t
	}
	c.sums[i] += v
}

// Sum returns what was added within the window ending at now.
func (c *Counter) Sum(now time.Time) float64 {
	t := now.UnixNano() / int64(c.slot)
	var sum float64
	for i, at := range c.ticks {
		if age := t - at; age >= 0 && age < int64(len(c.sums)) {
			sum += c.sums[i]
		}
	}
	return sum
}

// Span is the length of the window.
func (c *Counter) Span() time.Duration { return c.slot * time.Duration(len(c.sums)) }

// Rate returns Sum per second over the window.
func (c *Counter) Rate(now time.Time) float64 { return c.Sum(now) / c.Span().Seconds() }
