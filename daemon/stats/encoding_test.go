package stats

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk"
)

func TestBucketLayout(t *testing.T) {
	ratio := math.Exp2(1.0 / bucketsPerOctave)
	bound := math.Sqrt(ratio) - 1 + 0.0005 // geometric middle, plus rounding to whole ns
	if bound > QuantileError {
		t.Fatalf("the layout's bound %.4f is over QuantileError %.4f", bound, QuantileError)
	}
	if lowerBounds[0] != int64(minLatency) || time.Duration(lowerBounds[len(lowerBounds)-1]) != minLatency<<octaves {
		t.Fatalf("bounds run from %d to %d ns", lowerBounds[0], lowerBounds[len(lowerBounds)-1])
	}
	for i := 1; i < numBuckets-1; i++ {
		lo, hi := float64(lowerBounds[i-1]), float64(lowerBounds[i])
		if hi <= lo {
			t.Fatalf("bucket %d: bounds %v and %v do not increase", i, lo, hi)
		}
		// Every latency in the bucket reads within the bound.
		r := float64(readings[i])
		if (r-lo)/lo > bound || (hi-r)/(hi-1) > bound {
			t.Errorf("bucket %d [%v, %v) reads %v: over %.4f from an end", i, lo, hi, r, bound)
		}
		if got := bucketOf(time.Duration(lo)); got != i {
			t.Errorf("bucketOf(%v) = %d, want %d", lo, got, i)
		}
		if got := bucketOf(time.Duration(hi) - 1); got != i {
			t.Errorf("bucketOf(%v) = %d, want %d", hi-1, got, i)
		}
	}
	for d, want := range map[time.Duration]int{
		0:                      0,
		-time.Second:           0,
		minLatency - 1:         0,
		minLatency:             1,
		2 * minLatency:         bucketsPerOctave + 1,
		time.Millisecond:       int(math.Round(math.Log2(1000)*bucketsPerOctave)) + 1,
		minLatency << octaves:  numBuckets - 1,
		time.Hour:              numBuckets - 1,
		time.Duration(1 << 62): numBuckets - 1,
	} {
		if got := bucketOf(d); got != want {
			t.Errorf("bucketOf(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c counts
	outcomes := append(outcomeNames[:], "something_new")
	for range 5000 {
		c.record(&platform.CallRecord{
			Platform: "tb", Operation: sdk.OpFetchProducts,
			Outcome:         outcomes[rng.IntN(len(outcomes))],
			Latency:         time.Duration(rng.ExpFloat64() * float64(50*time.Millisecond)),
			Waited:          time.Duration(rng.IntN(1000)) * time.Microsecond,
			Attempt:         1 + rng.IntN(3),
			Items:           rng.IntN(50),
			BudgetExhausted: rng.IntN(10) == 0,
		})
	}
	b := c.appendEncoding(nil)
	if len(b) > 1<<10 {
		t.Errorf("5,000 calls encode in %d bytes; a bucket should stay under 1 KB, in the LSM tree", len(b))
	}
	var got counts
	if err := got.decode(b); err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Fatalf("decoded counts differ:\n got %+v\nwant %+v", got, c)
	}
	if got.outcomes[outcomeUnknown] == 0 {
		t.Error("an outcome this version does not know was not counted as unknown")
	}
	var empty counts
	if err := got.decode(empty.appendEncoding(nil)); err != nil || got != empty {
		t.Errorf("empty counts: %v, %+v", err, got)
	}
}

func TestDecodeRejects(t *testing.T) {
	var c counts
	c.record(&platform.CallRecord{Outcome: "ok", Latency: time.Millisecond})
	c.record(&platform.CallRecord{Outcome: "timeout", Latency: time.Second})
	good := c.appendEncoding(nil)
	for name, b := range map[string][]byte{
		"empty":          nil,
		"other version":  append([]byte{2}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), 0),
		"bucket out of range": func() []byte {
			b := []byte{encodingV1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
			b = append(b, 0xff, 0x03) // skip 511 buckets
			return append(b, 1)
		}(),
		"histogram disagrees": func() []byte {
			b := bytes.Clone(good)
			b[1]++ // one more ok call than the histogram holds
			return b
		}(),
	} {
		if err := new(counts).decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestKeys(t *testing.T) {
	m := unixMinute(time.Date(2026, 3, 4, 5, 6, 59, 0, time.UTC))
	k := bucketKeyOf(m, "tb/main", "fetch_products")
	if string(k) != "m/2026-03-04T05:06Z/tb/main/fetch_products" {
		t.Fatalf("key %q", k)
	}
	gm, p, op, err := parseKey(k)
	if err != nil || gm != m || p != "tb/main" || op != "fetch_products" {
		t.Fatalf("parseKey = %d %q %q %v", gm, p, op, err)
	}
	// Keys sort by minute across hour, day and year boundaries.
	prev := minuteKey(m)
	for _, d := range []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 365 * 24 * time.Hour} {
		next := minuteKey(m + int64(d/time.Minute))
		if bytes.Compare(prev, next) >= 0 {
			t.Errorf("%q sorts after %q", prev, next)
		}
		prev = next
	}
	for _, bad := range []string{"", "m/", "m/2026-03-04T05:06Z", "m/2026-03-04T05:06Zx/a/b", "m/2026-13-04T05:06Z/a/b", "m/2026-03-04T05:06Z/nosep"} {
		if _, _, _, err := parseKey([]byte(bad)); err == nil {
			t.Errorf("parseKey(%q) succeeded", bad)
		}
	}
	if got := unixMinute(time.Unix(-1, 0)); got != -1 {
		t.Errorf("unixMinute of 1969-12-31T23:59:59 = %d, want -1", got)
	}
}
