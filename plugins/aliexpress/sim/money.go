package sim

import "github.com/marketsync/marketsync/sdk/simkit"

// currency is one target_currency the simulator converts to: its minor
// digits (ISO 4217) and a fixed exchange rate from CNY as num/den, so that
// conversions are exact integer arithmetic.
type currency struct {
	digits   int
	num, den int64
}

// currencies the simulator accepts as target_currency, a subset of the
// list aliexpress.ds.recommend.feed.get documents (USD, GBP, CAD, EUR, UAH,
// MXN, TRY, RUB, BRL, AUD, INR, JPY, IDR, SEK, KRW). The rates are
// invented and fixed.
var currencies = map[string]currency{
	"USD": {2, 100, 720},
	"EUR": {2, 100, 780},
	"GBP": {2, 100, 910},
	"CAD": {2, 100, 525},
	"AUD": {2, 100, 475},
	"BRL": {2, 72, 100},
	"RUB": {2, 1250, 100},
	"JPY": {0, 2050, 100},
	"KRW": {0, 19000, 100},
}

// convert turns CNY fen into minor units of c, rounding half up.
func (c currency) convert(fen int64) int64 {
	scale := int64(1)
	for range c.digits {
		scale *= 10
	}
	num := fen * c.num * scale
	den := c.den * 100
	return (2*num + den) / (2 * den)
}

// format writes minor units as the platform writes prices: a decimal
// string with the currency's digits ("54.69", "1200"), or with trailing
// zeros dropped ("12.5", "13") when trim is set.
func (c currency) format(minor int64, trim bool) string { return simkit.Decimal(minor, c.digits, trim) }

// cny formats fen as yuan, the currency of the store's own list prices.
func cny(fen int64) string { return currency{digits: 2}.format(fen, false) }
