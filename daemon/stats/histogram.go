package stats

import (
	"math"
	"slices"
	"time"
)

// The latency histogram has fixed, log-spaced buckets: 16 per doubling
// from 1 µs to 2^27 µs (about 134 s), plus one below and one above.
//
//	bucket 0           [0, 1 µs)
//	bucket i, 1..432   [1 µs · 2^((i-1)/16), 1 µs · 2^(i/16))
//	bucket 433         [2^27 µs, ∞)
//
// A quantile is read as the geometric middle of the bucket that holds it,
// 1 µs · 2^((i-½)/16), so it is within 2^(1/32)-1 ≈ 2.2% of the exact
// nearest-rank quantile of the latencies recorded (bounds are whole
// nanoseconds, which adds under 0.05%). Bucket 0 reads as 1 µs and bucket
// 433 as its lower bound; any reading is capped at the largest latency
// recorded, which is kept exactly.
const (
	bucketsPerOctave = 16
	octaves          = 27
	minLatency       = time.Microsecond
	numBuckets       = octaves*bucketsPerOctave + 2
)

// QuantileError is the largest relative error of a quantile for latencies
// from 1 µs to 134 s.
const QuantileError = 0.023

var (
	// lowerBounds[j] is the lower bound of bucket j+1, in nanoseconds.
	lowerBounds [numBuckets - 1]int64
	// readings[i] is what a quantile in bucket i reads as.
	readings [numBuckets]time.Duration
)

func init() {
	for j := range lowerBounds {
		lowerBounds[j] = int64(math.Round(float64(minLatency) * math.Exp2(float64(j)/bucketsPerOctave)))
	}
	readings[0] = minLatency
	for i := 1; i < numBuckets-1; i++ {
		readings[i] = time.Duration(math.Round(float64(minLatency) * math.Exp2((float64(i)-0.5)/bucketsPerOctave)))
	}
	readings[numBuckets-1] = time.Duration(lowerBounds[len(lowerBounds)-1])
}

// bucketOf returns the bucket that holds latency d.
func bucketOf(d time.Duration) int {
	i, found := slices.BinarySearch(lowerBounds[:], int64(d))
	if found {
		return i + 1
	}
	return i
}

// histogram counts latencies by bucket.
type histogram [numBuckets]uint64

// quantile returns the latency below which a fraction q of the n counted
// ones lie (nearest rank: the ⌈q·n⌉-th smallest), read as described above
// and capped at largest; 0 when n is 0.
func (h *histogram) quantile(q float64, n uint64, largest time.Duration) time.Duration {
	if n == 0 {
		return 0
	}
	// The epsilon keeps 0.95·1000 at rank 950 despite rounding.
	rank := min(max(uint64(math.Ceil(q*float64(n)-1e-9)), 1), n)
	var seen uint64
	for i, c := range h {
		if seen += c; seen >= rank {
			return min(readings[i], largest)
		}
	}
	return largest
}
