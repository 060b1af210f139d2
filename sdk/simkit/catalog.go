package simkit

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Draw is the random source of one catalogue entry. It is seeded by the
// catalogue's seed and the entry's index, so entry i is the same whatever
// the catalogue's size and whichever entries were drawn before it.
type Draw struct {
	*rand.Rand
	// Index is the entry's position in the catalogue.
	Index int
}

// NewDraw returns the source of entry i of the catalogue seeded with
// seed.
func NewDraw(seed uint64, i int) *Draw {
	return &Draw{Rand: rand.New(rand.NewPCG(seed, uint64(i))), Index: i}
}

// NewDrawStream returns one of several independent sources of entry i
// (stream below 256), for generators that draw different aspects of an
// entry (its content, whether it is on sale) without one shifting the
// other.
func NewDrawStream(seed uint64, i int, stream uint8) *Draw {
	return &Draw{Rand: rand.New(rand.NewPCG(seed, uint64(i)<<8|uint64(stream))), Index: i}
}

// Generate builds n entries with entry(d), d seeded for each index.
func Generate[T any](seed uint64, n int, entry func(d *Draw) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = entry(NewDraw(seed, i))
	}
	return out
}

// Pick draws one element of s.
func Pick[T any](d *Draw, s []T) T { return s[d.IntN(len(s))] }

// Title draws one word from each list in order and joins them with sep;
// picked holds the index drawn from each list, for attributes that follow
// the title (a brand, a material).
func (d *Draw) Title(sep string, lists ...[]string) (title string, picked []int) {
	words := make([]string, len(lists))
	picked = make([]int, len(lists))
	for k, l := range lists {
		picked[k] = d.IntN(len(l))
		words[k] = l[picked[k]]
	}
	return strings.Join(words, sep), picked
}

// PriceFen draws a price in fen (minor units of two digits) of minYuan to
// minYuan+spanYuan-1 whole units, a third each written with no decimals,
// one and two: ¥59, ¥59.90, ¥59.99. A platform's writer of prices must
// cope with all three.
func (d *Draw) PriceFen(minYuan, spanYuan int) int64 {
	yuan := int64(minYuan + d.IntN(spanYuan))
	switch d.IntN(3) {
	case 0:
		return yuan * 100
	case 1:
		return yuan*100 + int64(d.IntN(10))*10
	}
	return yuan*100 + int64(d.IntN(100))
}

// Combinations lists every combination of one index per dimension, the
// first dimension varying slowest: the SKUs of a product whose options
// have sizes[k] values each. No dimensions give one empty combination, a
// product without options.
func Combinations(sizes ...int) [][]int {
	combos := [][]int{{}}
	for _, n := range sizes {
		next := make([][]int, 0, len(combos)*n)
		for _, c := range combos {
			for v := range n {
				next = append(next, append(append([]int(nil), c...), v))
			}
		}
		combos = next
	}
	return combos
}

// Decimal writes minor units with digits decimals, as platforms write
// prices: "54.69", "1200" for a currency without minor units, and with
// trim the trailing zeros dropped ("12.5", "13").
func Decimal(minor int64, digits int, trim bool) string {
	s := strconv.FormatInt(minor, 10)
	if digits == 0 {
		return s
	}
	for len(s) <= digits {
		s = "0" + s
	}
	s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	if trim {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "" {
		return "0"
	}
	return s
}
