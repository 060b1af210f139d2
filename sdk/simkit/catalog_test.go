package simkit_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/marketsync/marketsync/sdk/simkit"
)

type entry struct {
	Title string
	Brand int
	Fen   int64
	SKUs  [][]int
}

func gen(d *simkit.Draw) entry {
	title, k := d.Title(" ", []string{"a", "b", "c"}, []string{"x", "y"})
	return entry{Title: title, Brand: k[0], Fen: d.PriceFen(9, 990), SKUs: simkit.Combinations(1+d.IntN(3), d.IntN(3))}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := simkit.Generate(7, 50, gen)
	b := simkit.Generate(7, 50, gen)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different catalogues")
	}
	// Entry i does not depend on the catalogue's size.
	if small := simkit.Generate(7, 10, gen); !reflect.DeepEqual(small, a[:10]) {
		t.Fatal("entry i changed with the catalogue's size")
	}
	if other := simkit.Generate(8, 50, gen); reflect.DeepEqual(other, a) {
		t.Fatal("another seed gave the same catalogue")
	}
}

func TestDrawStreamsAreIndependent(t *testing.T) {
	a := simkit.NewDrawStream(1, 5, 0).Uint64()
	b := simkit.NewDrawStream(1, 5, 1).Uint64()
	if a == b || simkit.NewDrawStream(1, 5, 0).Uint64() != a {
		t.Fatal("streams of one entry are not independent and reproducible")
	}
	if d := simkit.NewDraw(1, 5); d.Index != 5 {
		t.Errorf("Index %d", d.Index)
	}
}

func TestPriceFenForms(t *testing.T) {
	forms := map[string]bool{}
	for i := range 300 {
		fen := simkit.NewDraw(3, i).PriceFen(9, 990)
		if fen < 900 || fen >= 99900 {
			t.Fatalf("price %d fen out of range", fen)
		}
		switch {
		case fen%100 == 0:
			forms["whole"] = true
		case fen%10 == 0:
			forms["one"] = true
		default:
			forms["two"] = true
		}
	}
	if len(forms) != 3 {
		t.Errorf("drew only %v", forms)
	}
}

func TestPick(t *testing.T) {
	words := []string{"甲", "乙", "丙"}
	for i := range 20 {
		if w := simkit.Pick(simkit.NewDraw(1, i), words); !slices.Contains(words, w) {
			t.Fatalf("picked %q", w)
		}
	}
}

func TestCombinations(t *testing.T) {
	for name, tc := range map[string]struct {
		sizes []int
		want  [][]int
	}{
		"none":    {nil, [][]int{{}}},
		"one dim": {[]int{3}, [][]int{{0}, {1}, {2}}},
		"two":     {[]int{2, 2}, [][]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}}},
		"empty":   {[]int{2, 0}, [][]int{}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := simkit.Combinations(tc.sizes...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	for name, tc := range map[string]struct {
		minor  int64
		digits int
		trim   bool
		want   string
	}{
		"two digits":    {5469, 2, false, "54.69"},
		"whole kept":    {1300, 2, false, "13.00"},
		"trim whole":    {1300, 2, true, "13"},
		"trim one":      {1250, 2, true, "12.5"},
		"small":         {5, 2, false, "0.05"},
		"zero trimmed":  {0, 2, true, "0"},
		"no minor unit": {1200, 0, false, "1200"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := simkit.Decimal(tc.minor, tc.digits, tc.trim); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
