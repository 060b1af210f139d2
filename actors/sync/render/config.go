package render

import "github.com/marketsync/marketsync/config"

// RulesOf returns the rendering rules of a validated sync block.
func RulesOf(s *config.Sync) Rules {
	r := Rules{
		Fields: Fields{Title: s.Fields.Title, Description: s.Fields.Description},
		Price: Price{
			Currency:  s.Price.Currency,
			Rate:      s.Price.Rate,
			Round:     s.Price.Round,
			CompareAt: s.Price.CompareAt,
		},
		Stock: Stock{Reserve: s.Stock.Reserve, OutOfStock: OutOfStock(s.Stock.OutOfStock)},
	}
	for _, rule := range s.Price.Rules {
		r.Price.Markup = append(r.Price.Markup, Markup{Below: rule.Below, Multiply: rule.Multiply, Add: rule.Add})
	}
	return r
}
