package sim

import (
	"math"
	"sync"
	"time"
)

// bucket is the calculated query cost leaky bucket of one app on one shop
// ("GraphQL Admin API rate limits",
// https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): a
// document is accepted when its requested cost fits in what is available,
// the requested cost is taken and the difference to the actual cost given
// back; the bucket refills at the restore rate up to its size.
type bucket struct {
	mu        sync.Mutex
	size      float64
	rate      float64
	available float64
	at        time.Time
}

func newBucket(size, rate float64, now time.Time) *bucket {
	return &bucket{size: size, rate: rate, available: size, at: now}
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.at) {
		b.available = math.Min(b.size, b.available+b.rate*now.Sub(b.at).Seconds())
		b.at = now
	}
}

// take takes requested points at now, or refuses; either way it returns
// the bucket's state after.
func (b *bucket) take(now time.Time, requested float64) (ok bool, st throttleStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if requested > b.available {
		return false, b.status()
	}
	b.available -= requested
	return true, b.status()
}

// refund gives back points a document did not use.
func (b *bucket) refund(points float64) throttleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.available = math.Min(b.size, b.available+points)
	return b.status()
}

func (b *bucket) set(size, rate float64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.size, b.rate, b.available, b.at = size, rate, size, now
}

func (b *bucket) status() throttleStatus {
	return throttleStatus{MaximumAvailable: b.size, CurrentlyAvailable: math.Floor(b.available), RestoreRate: b.rate}
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}
