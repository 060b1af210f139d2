package ratelimit

import (
	"testing"

	"golang.org/x/time/rate"
)

// BenchmarkAllow measures the bucket's fast path against
// golang.org/x/time/rate's Allow, the floor, in the same run: both with a
// rate high enough that every call is allowed.
func BenchmarkAllow(b *testing.B) {
	b.Run("marketsync", func(b *testing.B) {
		bk := New(1e12, 1<<30)
		for b.Loop() {
			if !bk.Allow(1) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(1e12, 1<<30)
		for b.Loop() {
			if !l.Allow() {
				b.Fatal("refused")
			}
		}
	})
}
