package render

import (
	"fmt"
	"math/big"

	"github.com/marketsync/marketsync/sdk/model"
	"golang.org/x/text/currency"
)

// scaleOf returns the number of decimals of an ISO 4217 currency's minor
// unit: 2 for CNY and USD, 0 for JPY and KRW, 3 for KWD.
func scaleOf(code string) (int, error) {
	unit, err := currency.ParseISO(code)
	if err != nil || unit.String() != code {
		return 0, fmt.Errorf("render: unknown ISO 4217 currency %q", code)
	}
	scale, _ := currency.Standard.Rounding(unit)
	return scale, nil
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// toMajor is amount minor units as a rational number of major units.
func toMajor(amount int64, scale int) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(amount), pow10(scale))
}

// toMinor rounds x major units to the nearest minor unit, half away from
// zero, and checks that the result fits.
func toMinor(x *big.Rat, scale int) (int64, error) {
	scaled := new(big.Rat).Mul(x, new(big.Rat).SetInt(pow10(scale)))
	num, den := scaled.Num(), scaled.Denom()
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	// |2r| >= den: the fraction is a half or more.
	if new(big.Int).Abs(new(big.Int).Lsh(r, 1)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("render: %s is too large an amount", x.FloatString(scale))
	}
	return q.Int64(), nil
}

// Charm moves amount (minor units) up to the nearest price at or above it
// that ends in ending (major units). The ending's whole digits set the
// step: 0.99 repeats every 1 (12.30 → 12.99, 12.99 stays), 9 every 10
// (1234 → 1239), 99 every 100 (1234 → 1299), 9.99 every 10 (12.50 →
// 19.99). An ending finer than the currency's minor unit is an error.
func Charm(amount int64, ending *big.Rat, scale int) (int64, error) {
	end := new(big.Rat).Mul(ending, new(big.Rat).SetInt(pow10(scale)))
	if !end.IsInt() || end.Sign() <= 0 {
		return 0, fmt.Errorf("render: the charm ending %s has more decimals than the currency's %d", ending.RatString(), scale)
	}
	whole := new(big.Int).Quo(ending.Num(), ending.Denom()) // integer part
	step := pow10(scale)
	if whole.Sign() > 0 {
		step = new(big.Int).Mul(step, pow10(len(whole.String())))
	}
	e := new(big.Int).Mod(end.Num(), step)
	// The smallest x >= amount with x ≡ e (mod step).
	a := big.NewInt(amount)
	gap := new(big.Int).Sub(e, a)
	gap.Mod(gap, step)
	x := a.Add(a, gap)
	if !x.IsInt64() {
		return 0, fmt.Errorf("render: %d with the charm ending %s is too large an amount", amount, ending.RatString())
	}
	return x.Int64(), nil
}

// price renders one variant's price and compare-at price.
func (p *Price) render(src *model.Money) (price, compareAt *model.Money, err error) {
	srcScale, err := scaleOf(src.GetCurrency())
	if err != nil {
		return nil, nil, err
	}
	if src.GetAmount() < 0 {
		return nil, nil, fmt.Errorf("render: negative price %d", src.GetAmount())
	}
	code, scale := src.GetCurrency(), srcScale
	cost := toMajor(src.GetAmount(), srcScale)
	if p.Currency != "" {
		code = p.Currency
		if scale, err = scaleOf(code); err != nil {
			return nil, nil, err
		}
		if p.Rate != nil {
			cost.Mul(cost, p.Rate)
		}
	}
	rule, ok := p.match(cost)
	if !ok {
		return nil, nil, fmt.Errorf("render: no price rule covers a cost of %s %s", cost.FloatString(scale), code)
	}
	marked := new(big.Rat).Set(cost)
	if rule.Multiply != nil {
		marked.Mul(marked, rule.Multiply)
	}
	if rule.Add != nil {
		marked.Add(marked, rule.Add)
	}
	amount, err := p.finish(marked, scale)
	if err != nil {
		return nil, nil, err
	}
	price = &model.Money{Amount: amount, Currency: code}
	if p.CompareAt != nil {
		was := new(big.Rat).Mul(toMajor(amount, scale), p.CompareAt)
		wasAmount, err := p.finish(was, scale)
		if err != nil {
			return nil, nil, err
		}
		compareAt = &model.Money{Amount: wasAmount, Currency: code}
	}
	return price, compareAt, nil
}

// finish rounds x to the minor unit and applies the charm ending.
func (p *Price) finish(x *big.Rat, scale int) (int64, error) {
	amount, err := toMinor(x, scale)
	if err != nil || p.Round == nil {
		return amount, err
	}
	return Charm(amount, p.Round, scale)
}

// match returns the first rule whose range holds cost. No rules is one
// rule that changes nothing.
func (p *Price) match(cost *big.Rat) (Markup, bool) {
	if len(p.Markup) == 0 {
		return Markup{}, true
	}
	for _, m := range p.Markup {
		if m.Below == nil || cost.Cmp(m.Below) < 0 {
			return m, true
		}
	}
	return Markup{}, false
}
