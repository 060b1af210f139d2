package sim

import (
	"fmt"
	"strconv"
	"time"
)

// Retitle is the seller appending suffix to the titles of the items with
// ids, as an edit in the seller centre: modified becomes the gateway's
// clock, so the answers and Expect carry the new title and time. An id the
// catalogue does not hold, or of a deleted item, fails the whole edit and
// changes nothing.
func (s *Server) Retitle(ids []string, suffix string) error {
	if suffix == "" {
		return fmt.Errorf("retitle: an empty suffix changes nothing")
	}
	return s.edit(ids, func(it *catalogItem) error {
		it.title += suffix
		return nil
	})
}

// Reprice is the seller changing the prices of the items with ids by
// percent (-50 halves them, 100 doubles them): every SKU's price, and the
// item's, which stays the lowest price of its SKUs on sale. Prices are
// rounded to the fen; a price that would fall below one fen fails the
// edit. As with Retitle, modified becomes the gateway's clock and a bad id
// changes nothing.
func (s *Server) Reprice(ids []string, percent int) error {
	if percent == 0 || percent <= -100 {
		return fmt.Errorf("reprice: percent %d must be above -100 and not 0", percent)
	}
	scale := func(fen int64) (int64, error) {
		// Rounded half up: fen × (100 + percent) / 100.
		n := (fen*int64(100+percent) + 50) / 100
		if n < 1 {
			return 0, fmt.Errorf("reprice: %d fen by %d%% is below one fen", fen, percent)
		}
		return n, nil
	}
	return s.edit(ids, func(it *catalogItem) error {
		if len(it.skus) == 0 {
			p, err := scale(it.price)
			it.price = p
			return err
		}
		lowest := int64(-1)
		for k := range it.skus {
			p, err := scale(it.skus[k].price)
			if err != nil {
				return err
			}
			it.skus[k].price = p
			if !it.skus[k].deleted && (lowest < 0 || p < lowest) {
				lowest = p
			}
		}
		if lowest >= 0 {
			it.price = lowest
		}
		return nil
	})
}

// edit applies change to copies of the items with ids and, when every one
// succeeds, stores them with modified set to the gateway's clock (to the
// second, in the platform's time zone, as the answers write it). It holds
// the catalogue's write lock, so an answer being written sees an item
// either before or after the edit, never half of it.
func (s *Server) edit(ids []string, change func(*catalogItem) error) error {
	if len(ids) == 0 {
		return fmt.Errorf("edit: no ids")
	}
	now := s.gw.Now().In(gmt8).Truncate(time.Second)
	s.cat.Lock()
	defer s.cat.Unlock()
	edited := make(map[int]catalogItem, len(ids))
	for _, id := range ids {
		i, ok := s.byID[id]
		if !ok {
			return fmt.Errorf("edit: no item %s in the catalogue", id)
		}
		it, seen := edited[i]
		if !seen {
			it = s.items[i]
			if it.state == deleted {
				return fmt.Errorf("edit: item %s is deleted", id)
			}
			// The SKUs are the item's own: copy them before changing.
			it.skus = append([]catalogSKU(nil), it.skus...)
		}
		if err := change(&it); err != nil {
			return fmt.Errorf("edit %s: %w", strconv.FormatInt(it.id, 10), err)
		}
		it.modified = now
		edited[i] = it
	}
	for i, it := range edited {
		s.items[i] = it
	}
	return nil
}
