package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
)

// Outcome classes, in the order the encoding stores them. "unknown" also
// takes any outcome name this version does not know.
var outcomeNames = [...]string{
	platform.OutcomeOK, platform.OutcomeTimeout, "rate_limited", "unavailable",
	"invalid", "auth", "not_found", "conflict", "unknown",
}

const (
	numOutcomes    = len(outcomeNames)
	outcomeOK      = 0
	outcomeLimited = 2
	outcomeUnknown = numOutcomes - 1
)

func outcomeIndex(name string) int {
	switch name {
	case platform.OutcomeOK:
		return outcomeOK
	case platform.OutcomeTimeout:
		return 1
	case "rate_limited":
		return outcomeLimited
	case "unavailable":
		return 3
	case "invalid":
		return 4
	case "auth":
		return 5
	case "not_found":
		return 6
	case "conflict":
		return 7
	}
	return outcomeUnknown
}

// counts aggregates the calls of one platform and operation over a time:
// one minute in memory and in the store, any window in a query. Durations
// are in nanoseconds.
type counts struct {
	outcomes        [numOutcomes]uint64
	retries         uint64
	budgetExhausted uint64
	items           uint64
	waited          uint64
	latencySum      uint64
	latencyMax      uint64
	latency         histogram
}

// record adds one call.
func (c *counts) record(rec *platform.CallRecord) {
	c.outcomes[outcomeIndex(rec.Outcome)]++
	if rec.Attempt > 1 {
		c.retries++
	}
	if rec.BudgetExhausted {
		c.budgetExhausted++
	}
	c.items += uint64(max(rec.Items, 0))
	c.waited += uint64(max(rec.Waited, 0))
	latency := max(rec.Latency, 0)
	c.latencySum += uint64(latency)
	c.latencyMax = max(c.latencyMax, uint64(latency))
	c.latency[bucketOf(latency)]++
}

// add adds o to c.
func (c *counts) add(o *counts) {
	for i, n := range o.outcomes {
		c.outcomes[i] += n
	}
	c.retries += o.retries
	c.budgetExhausted += o.budgetExhausted
	c.items += o.items
	c.waited += o.waited
	c.latencySum += o.latencySum
	c.latencyMax = max(c.latencyMax, o.latencyMax)
	for i, n := range o.latency {
		c.latency[i] += n
	}
}

func (c *counts) calls() uint64 {
	var n uint64
	for _, o := range c.outcomes {
		n += o
	}
	return n
}

// encodingV1 is the first byte of every stored value: the version of the
// layout that follows, all unsigned varints:
//
//	the 9 outcome counts, in the order of outcomeNames
//	retries, budget exhausted, items
//	time waited, latency sum, largest latency (nanoseconds)
//	k, the number of latency buckets that are not empty, then k pairs:
//	  the bucket's distance from the previous one listed (from -1), its count
const encodingV1 = 1

// appendEncoding appends c's stored form to b.
func (c *counts) appendEncoding(b []byte) []byte {
	b = append(b, encodingV1)
	for _, n := range c.outcomes {
		b = binary.AppendUvarint(b, n)
	}
	for _, n := range [...]uint64{c.retries, c.budgetExhausted, c.items, c.waited, c.latencySum, c.latencyMax} {
		b = binary.AppendUvarint(b, n)
	}
	nonEmpty := 0
	for _, n := range c.latency {
		if n > 0 {
			nonEmpty++
		}
	}
	b = binary.AppendUvarint(b, uint64(nonEmpty))
	prev := -1
	for i, n := range c.latency {
		if n > 0 {
			b = binary.AppendUvarint(b, uint64(i-prev))
			b = binary.AppendUvarint(b, n)
			prev = i
		}
	}
	return b
}

var errEncoding = errors.New("not a stats bucket of encoding 1")

// decode replaces c with the counts stored in b. It checks that the
// latency buckets count as many calls as the outcomes.
func (c *counts) decode(b []byte) error {
	*c = counts{}
	if len(b) == 0 || b[0] != encodingV1 {
		return errEncoding
	}
	d := decoder{b: b[1:]}
	for i := range c.outcomes {
		c.outcomes[i] = d.next()
	}
	for _, p := range [...]*uint64{&c.retries, &c.budgetExhausted, &c.items, &c.waited, &c.latencySum, &c.latencyMax} {
		*p = d.next()
	}
	i := -1
	var histCalls uint64
	for range d.next() {
		gap, n := d.next(), d.next()
		if d.err != nil || gap == 0 || gap >= uint64(numBuckets-i) {
			return errEncoding
		}
		i += int(gap)
		c.latency[i] += n
		histCalls += n
	}
	if d.err != nil || len(d.b) > 0 || histCalls != c.calls() {
		return errEncoding
	}
	return nil
}

// decoder reads unsigned varints until the first error, after which it
// returns zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) next() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errEncoding
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Keys are "m/<minute>/<platform>/<operation>" with the minute in UTC as
// 2006-01-02T15:04Z: fixed width, so keys sort by minute first and the
// minutes of a window, or those past retention, are one range. Operation
// names never hold "/", so the platform is what lies between the minute
// and the last "/".
const (
	minutePrefix = "m/"
	minuteLayout = "2006-01-02T15:04Z"
)

// minuteKey is the prefix of every key of minute m (Unix minutes).
func minuteKey(m int64) []byte {
	return minuteStart(m).AppendFormat([]byte(minutePrefix), minuteLayout)
}

func bucketKeyOf(m int64, platformName, operation string) []byte {
	k := append(minuteKey(m), '/')
	k = append(k, platformName...)
	k = append(k, '/')
	return append(k, operation...)
}

// parseKey splits a key into its minute, platform and operation.
func parseKey(k []byte) (m int64, platformName, operation string, err error) {
	s := string(k)
	rest, ok := strings.CutPrefix(s, minutePrefix)
	if !ok || len(rest) < len(minuteLayout)+1 || rest[len(minuteLayout)] != '/' {
		return 0, "", "", fmt.Errorf("malformed stats key %q", s)
	}
	t, err := time.Parse(minuteLayout, rest[:len(minuteLayout)])
	if err != nil {
		return 0, "", "", fmt.Errorf("malformed stats key %q: %w", s, err)
	}
	rest = rest[len(minuteLayout)+1:]
	slash := strings.LastIndexByte(rest, '/')
	if slash < 0 {
		return 0, "", "", fmt.Errorf("malformed stats key %q", s)
	}
	return unixMinute(t), rest[:slash], rest[slash+1:], nil
}

// unixMinute returns the Unix minute that holds t.
func unixMinute(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 59) / 60
	}
	return s / 60
}

// minuteStart is the time at which Unix minute m begins, in UTC.
func minuteStart(m int64) time.Time { return time.Unix(m*60, 0).UTC() }
