package resolve

import (
	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/config"
)

// PolicyOf returns the resolution policy of a validated sync block: its
// conflicts default for every kind but those it names.
func PolicyOf(s *config.Sync) Policy {
	p := Policy{
		Strategy:         map[Kind]Strategy{},
		Overwrite:        map[Kind]bool{},
		OnVariantRemoved: render.VariantRemoved(s.OnVariantRemoved),
	}
	for _, k := range []Kind{Title, Description, Images, Price, Stock, Status} {
		p.Strategy[k] = Strategy(s.Conflicts.Default)
		if v, ok := s.Conflicts.Fields[string(k)]; ok {
			p.Strategy[k] = Strategy(v)
		}
	}
	for _, f := range s.Conflicts.Overwrite {
		p.Overwrite[Kind(f)] = true
	}
	return p
}
