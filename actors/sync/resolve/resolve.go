package resolve

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/sdk/model"
)

// Kind is a kind of field; a pipeline sets a strategy per kind.
type Kind string

const (
	Title       Kind = "title"       // per locale
	Description Kind = "description" // per locale
	Images      Kind = "images"      // the list, as a whole
	Price       Kind = "price"       // per variant
	Stock       Kind = "stock"       // per variant
	Status      Kind = "status"
	Variant     Kind = "variant" // a variant's presence
)

// Strategy settles a field changed on both sides.
type Strategy string

const (
	SourceWins Strategy = "source_wins"
	RemoteWins Strategy = "remote_wins"
	// NewestWins takes the side whose product was updated later (the
	// source product's updated_at against the store's); a tie, or a side
	// without a time, keeps the store's value, so equal clocks write
	// nothing.
	NewestWins Strategy = "newest_wins"
	// Manual writes nothing to the field and returns a Conflict.
	Manual Strategy = "manual"
)

// Policy is how a pipeline resolves.
type Policy struct {
	// Strategy per kind; a kind without one is SourceWins.
	Strategy map[Kind]Strategy
	// Overwrite lists the kinds where a change made only in the store is
	// overwritten with the source's value rather than kept.
	Overwrite map[Kind]bool
	// OnVariantRemoved is what happens in the store to a variant the
	// source no longer has; empty is keep.
	OnVariantRemoved render.VariantRemoved
}

// The rules a Decision names.
const (
	RuleSourceChanged = "source_changed" // only the source changed: pushed
	RuleRemoteChanged = "remote_changed" // only the store changed: kept
	RuleOverwrite     = "overwrite"      // only the store changed, overwritten
	RuleConverged     = "converged"      // both changed to the same value
	RuleNew           = "new"            // no base: the source's value is pushed
)

// Decision records how one field was resolved. Values are rendered as
// text; "" is absent.
type Decision struct {
	Field                string // "title[en]", "price[SKU-1]", "variant[SKU-1]"
	Base, Source, Remote string
	Chosen               string
	Rule                 string // one of the Rule constants or a Strategy
	Pushed               bool   // Chosen is written to the store
}

// Conflict is a field left for a person to settle (Manual).
type Conflict struct {
	Field                string
	Kind                 Kind
	Base, Source, Remote string
}

// Patch is what to write to the store: only what changed.
type Patch struct {
	Title       map[string]string // locale → text
	Description map[string]string // locale → text ("" removes it)
	Images      []*model.Image    // nil: unchanged; see SetImages
	SetImages   bool
	Prices      map[string]*model.Money // SKU → price
	Stock       map[string]int64        // SKU → stock
	Status      render.Status           // STATUS_UNSPECIFIED: unchanged
	// AddVariants are new in the source (or removed in the store and
	// overwritten); RemoveVariants are SKUs to delete.
	AddVariants    []*model.Variant
	RemoveVariants []string
}

// Empty reports whether the patch writes nothing.
func (p *Patch) Empty() bool {
	return len(p.Title) == 0 && len(p.Description) == 0 && !p.SetImages && len(p.Prices) == 0 &&
		len(p.Stock) == 0 && p.Status == render.Status_STATUS_UNSPECIFIED && len(p.AddVariants) == 0 && len(p.RemoveVariants) == 0
}

// Result is the outcome of Resolve.
type Result struct {
	Patch     Patch
	Decisions []Decision
	Conflicts []Conflict
}

// Resolve merges source and remote against base. base is nil on a
// product's first sync (every difference is then settled by strategy);
// remote is nil when the store has no such product yet (everything is
// pushed). None of them is modified.
func Resolve(base, source, remote *render.Listing, policy *Policy) *Result {
	r := &resolver{policy: policy, res: &Result{}}
	r.newer = newer(source.GetProduct().GetUpdatedAt().AsTime(), remote.GetProduct().GetUpdatedAt().AsTime(),
		source.GetProduct().GetUpdatedAt() != nil && remote.GetProduct().GetUpdatedAt() != nil)
	r.noBase, r.noRemote = base == nil, remote == nil
	b, s, m := base.GetProduct(), source.GetProduct(), remote.GetProduct()
	p := &r.res.Patch

	for _, loc := range keys(b.GetTitle(), s.GetTitle()) {
		if v, push := r.text(Title, loc, b.GetTitle(), s.GetTitle(), m.GetTitle()); push {
			p.Title = set(p.Title, loc, v)
		}
	}
	for _, loc := range keys(b.GetDescription(), s.GetDescription()) {
		if v, push := r.text(Description, loc, b.GetDescription(), s.GetDescription(), m.GetDescription()); push {
			p.Description = set(p.Description, loc, v)
		}
	}
	if _, push := r.field(Images, "images", images(b), images(s), images(m)); push {
		p.Images, p.SetImages = s.GetImages(), true
	}
	if v, push := r.field(Status, "status", status(base), status(source), status(remote)); push {
		p.Status = render.Status(render.Status_value[v.text])
	}
	r.variants(base, source, remote)
	return r.res
}

// value is one side's value of a field: its text, and whether the side
// has the field at all.
type value struct {
	text string
	ok   bool
}

type resolver struct {
	policy           *Policy
	res              *Result
	newer            bool // the source was updated after the store
	noBase, noRemote bool
}

// field settles one field and records the decision. It reports the value
// chosen and whether it is to be pushed (it is the source's and differs
// from the store's).
func (r *resolver) field(kind Kind, name string, b, s, m value) (value, bool) {
	d := Decision{Field: name, Base: b.text, Source: s.text, Remote: m.text}
	srcChanged, remChanged := s != b, m != b
	pick := func(rule string, push bool) (value, bool) {
		d.Rule, d.Pushed = rule, push
		chosen := m
		if push {
			chosen = s
		}
		d.Chosen = chosen.text
		r.res.Decisions = append(r.res.Decisions, d)
		return chosen, push
	}
	switch {
	case r.noRemote:
		return pick(RuleNew, s.ok)
	case s == m:
		if srcChanged {
			return pick(RuleConverged, false)
		}
		return m, false // nothing happened
	case r.noBase && !srcChanged:
		// No base, source absent: nothing to push for it.
		return pick(RuleRemoteChanged, false)
	case srcChanged && !remChanged:
		return pick(RuleSourceChanged, true)
	case !srcChanged && remChanged:
		if r.policy.Overwrite[kind] {
			return pick(RuleOverwrite, true)
		}
		return pick(RuleRemoteChanged, false)
	}
	strategy := r.policy.Strategy[kind]
	switch strategy {
	case "", SourceWins:
		return pick(string(SourceWins), true)
	case RemoteWins:
		return pick(string(RemoteWins), false)
	case NewestWins:
		return pick(string(NewestWins), r.newer)
	default: // Manual
		r.res.Conflicts = append(r.res.Conflicts, Conflict{Field: name, Kind: kind, Base: b.text, Source: s.text, Remote: m.text})
		return pick(string(Manual), false)
	}
}

func (r *resolver) text(kind Kind, loc string, b, s, m map[string]string) (string, bool) {
	v, push := r.field(kind, fmt.Sprintf("%s[%s]", kind, loc), lookup(b, loc), lookup(s, loc), lookup(m, loc))
	// A title is never removed: a store listing always has one.
	return v.text, push && (kind != Title || v.text != "")
}

// variants settles each variant's presence, then the price and stock of
// the variants that stay.
func (r *resolver) variants(base, source, remote *render.Listing) {
	b, s, m := bySKU(base), bySKU(source), bySKU(remote)
	held := map[string]bool{}
	for _, sku := range source.GetHoldStock() {
		held[sku] = true
	}
	p := &r.res.Patch
	for _, sku := range keys(b, s, m) {
		bv, sv, mv := b[sku], s[sku], m[sku]
		name := fmt.Sprintf("variant[%s]", sku)
		switch {
		case sv == nil && mv == nil:
			continue // gone from both sides
		case sv == nil && bv != nil:
			// The source removed it; the store still has it.
			r.removed(sku, name, mv)
			continue
		case sv == nil:
			// Added in the store only: the store's.
			r.res.Decisions = append(r.res.Decisions, Decision{Field: name, Remote: "present", Chosen: "present", Rule: RuleRemoteChanged})
			continue
		case mv == nil && (bv == nil || r.policy.Overwrite[Variant] || r.noRemote):
			// New in the source, or removed in the store and overwritten.
			rule := RuleSourceChanged
			switch {
			case r.noRemote:
				rule = RuleNew
			case bv != nil:
				rule = RuleOverwrite
			}
			r.res.Decisions = append(r.res.Decisions, Decision{Field: name, Base: present(bv), Source: "present", Chosen: "present", Rule: rule, Pushed: true})
			p.AddVariants = append(p.AddVariants, sv)
			continue
		case mv == nil:
			// Removed in the store only: kept removed.
			r.res.Decisions = append(r.res.Decisions, Decision{Field: name, Base: "present", Source: "present", Rule: RuleRemoteChanged})
			continue
		}
		// On both sides: price and stock. A variant new on both sides has
		// no base value, so a difference is settled by strategy.
		if _, push := r.field(Price, fmt.Sprintf("price[%s]", sku), money(bv), money(sv), money(mv)); push {
			p.Prices = set(p.Prices, sku, sv.GetPrice())
		}
		if held[sku] {
			continue // out_of_stock = "keep": the store's stock stays
		}
		if _, push := r.field(Stock, fmt.Sprintf("stock[%s]", sku), stock(bv), stock(sv), stock(mv)); push {
			p.Stock = set(p.Stock, sku, sv.GetStock())
		}
	}
}

// removed applies OnVariantRemoved to a variant the source dropped.
func (r *resolver) removed(sku, name string, mv *model.Variant) {
	p := &r.res.Patch
	d := Decision{Field: name, Base: "present", Remote: "present", Rule: "on_variant_removed=" + string(r.policy.OnVariantRemoved)}
	switch r.policy.OnVariantRemoved {
	case render.VariantRemovedDelete:
		p.RemoveVariants = append(p.RemoveVariants, sku)
		d.Pushed = true
	case render.VariantRemovedZero:
		d.Chosen = "present"
		if mv.GetStock() != 0 {
			p.Stock = set(p.Stock, sku, 0)
			d.Pushed = true
		}
	default:
		d.Chosen = "present"
	}
	r.res.Decisions = append(r.res.Decisions, d)
}

func newer(source, remote time.Time, both bool) bool {
	return both && source.After(remote)
}

func lookup(m map[string]string, k string) value {
	v, ok := m[k]
	return value{v, ok}
}

func images(p *model.Product) value {
	if p == nil {
		return value{}
	}
	urls := make([]string, len(p.GetImages()))
	for i, img := range p.GetImages() {
		urls[i] = img.GetUrl()
	}
	return value{strings.Join(urls, " "), true}
}

func status(l *render.Listing) value {
	if l == nil {
		return value{}
	}
	return value{l.GetStatus().String(), true}
}

func money(v *model.Variant) value {
	if v == nil || v.GetPrice() == nil {
		return value{}
	}
	return value{v.GetPrice().Format(), true}
}

func stock(v *model.Variant) value {
	if v == nil {
		return value{}
	}
	return value{strconv.FormatInt(v.GetStock(), 10), true}
}

func present(v *model.Variant) string {
	if v == nil {
		return ""
	}
	return "present"
}

func bySKU(l *render.Listing) map[string]*model.Variant {
	out := map[string]*model.Variant{}
	for _, v := range l.GetProduct().GetVariants() {
		out[v.GetSku()] = v
	}
	return out
}

// keys returns the keys of the maps, sorted, so decisions come in a
// stable order.
func keys[V any](ms ...map[string]V) []string {
	seen := map[string]bool{}
	for _, m := range ms {
		for k := range maps.Keys(m) {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func set[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}
