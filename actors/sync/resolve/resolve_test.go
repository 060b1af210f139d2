package resolve_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/actors/sync/resolve"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func variant(sku string, cents, stock int64) *model.Variant {
	return &model.Variant{Sku: sku, Price: &model.Money{Amount: cents, Currency: "USD"}, Stock: stock}
}

func listing(updated time.Time, variants ...*model.Variant) *render.Listing {
	return &render.Listing{
		Product: &model.Product{
			Id:          "6543210",
			Title:       map[string]string{"en": "Cotton T-shirt"},
			Description: map[string]string{"en": "Cotton, loose fit"},
			Images:      []*model.Image{{Url: "https://img.example/1.jpg"}},
			Variants:    variants,
			UpdatedAt:   timestamppb.New(updated),
		},
		Status: render.Status_STATUS_ACTIVE,
	}
}

// change sets the field of kind in l to a value named by tag.
func change(kind resolve.Kind, l *render.Listing, tag string) {
	p := l.Product
	switch kind {
	case resolve.Title:
		p.Title["en"] = "T-shirt " + tag
	case resolve.Description:
		p.Description["en"] = "纯棉 " + tag
	case resolve.Images:
		p.Images = append(p.Images, &model.Image{Url: "https://img.example/" + tag + ".jpg"})
	case resolve.Price:
		p.Variants[0].Price.Amount += int64(len(tag)) * 100
	case resolve.Stock:
		p.Variants[0].Stock += int64(len(tag))
	case resolve.Status:
		if tag == "source" {
			l.Status = render.Status_STATUS_DRAFT
		} else {
			l.Status = render.Status_STATUS_UNSPECIFIED + 3 // a status the store reports but this build does not name
		}
	}
}

// pushed reports whether the patch writes the field of kind, and checks
// that it writes the source's value.
func pushed(t *testing.T, kind resolve.Kind, p *resolve.Patch, source *render.Listing) bool {
	t.Helper()
	var ok bool
	switch kind {
	case resolve.Title:
		var v string
		v, ok = p.Title["en"]
		ok = ok && v == source.Product.Title["en"]
	case resolve.Description:
		var v string
		v, ok = p.Description["en"]
		ok = ok && v == source.Product.Description["en"]
	case resolve.Images:
		ok = p.SetImages && len(p.Images) == len(source.Product.Images)
	case resolve.Price:
		var v *model.Money
		v, ok = p.Prices["A"]
		ok = ok && proto.Equal(v, source.Product.Variants[0].Price)
	case resolve.Stock:
		var v int64
		v, ok = p.Stock["A"]
		ok = ok && v == source.Product.Variants[0].Stock
	case resolve.Status:
		ok = p.Status == source.Status
	}
	return ok
}

var kinds = []resolve.Kind{resolve.Title, resolve.Description, resolve.Images, resolve.Price, resolve.Stock, resolve.Status}

// TestFieldMatrix runs every field kind through every situation and
// strategy, on a product whose other fields do not change.
func TestFieldMatrix(t *testing.T) {
	for _, kind := range kinds {
		for _, tc := range []struct {
			name          string
			source, store string // "" leaves the side unchanged; the same tag converges
			strategy      resolve.Strategy
			overwrite     bool
			sourceNewer   bool
			push          bool
			rule          string
			conflict      bool
		}{
			{name: "unchanged", push: false},
			{name: "source only", source: "source", push: true, rule: resolve.RuleSourceChanged},
			{name: "store only", store: "store", push: false, rule: resolve.RuleRemoteChanged},
			{name: "store only, overwrite", store: "store", overwrite: true, push: true, rule: resolve.RuleOverwrite},
			{name: "both, same value", source: "same", store: "same", push: false, rule: resolve.RuleConverged},
			{name: "both, source_wins", source: "source", store: "store-side", strategy: resolve.SourceWins, push: true, rule: "source_wins"},
			{name: "both, default strategy", source: "source", store: "store-side", push: true, rule: "source_wins"},
			{name: "both, remote_wins", source: "source", store: "store-side", strategy: resolve.RemoteWins, push: false, rule: "remote_wins"},
			{name: "both, newest_wins, source newer", source: "source", store: "store-side", strategy: resolve.NewestWins, sourceNewer: true, push: true, rule: "newest_wins"},
			{name: "both, newest_wins, store newer", source: "source", store: "store-side", strategy: resolve.NewestWins, push: false, rule: "newest_wins"},
			{name: "both, manual", source: "source", store: "store-side", strategy: resolve.Manual, push: false, rule: "manual", conflict: true},
		} {
			t.Run(fmt.Sprintf("%s/%s", kind, tc.name), func(t *testing.T) {
				base := listing(t0, variant("A", 1299, 5), variant("B", 899, 1))
				source, store := proto.CloneOf(base), proto.CloneOf(base)
				source.Product.UpdatedAt = timestamppb.New(t0.Add(2 * time.Hour))
				store.Product.UpdatedAt = timestamppb.New(t0.Add(time.Hour))
				if !tc.sourceNewer {
					store.Product.UpdatedAt = timestamppb.New(t0.Add(3 * time.Hour))
				}
				if tc.source != "" {
					change(kind, source, tc.source)
				}
				if tc.store != "" {
					change(kind, store, tc.store)
				}
				policy := &resolve.Policy{
					Strategy:  map[resolve.Kind]resolve.Strategy{kind: tc.strategy},
					Overwrite: map[resolve.Kind]bool{kind: tc.overwrite},
				}
				before := []*render.Listing{proto.CloneOf(base), proto.CloneOf(source), proto.CloneOf(store)}
				res := resolve.Resolve(base, source, store, policy)
				for i, l := range []*render.Listing{base, source, store} {
					if !proto.Equal(l, before[i]) {
						t.Fatalf("Resolve modified input %d", i)
					}
				}
				if got := pushed(t, kind, &res.Patch, source); got != tc.push {
					t.Errorf("pushed = %v, want %v; patch %+v", got, tc.push, res.Patch)
				}
				// Nothing else is written.
				other := res.Patch
				switch kind {
				case resolve.Title:
					other.Title = nil
				case resolve.Description:
					other.Description = nil
				case resolve.Images:
					other.Images, other.SetImages = nil, false
				case resolve.Price:
					other.Prices = nil
				case resolve.Stock:
					other.Stock = nil
				case resolve.Status:
					other.Status = render.Status_STATUS_UNSPECIFIED
				}
				if !other.Empty() {
					t.Errorf("patch writes other fields: %+v", other)
				}
				switch {
				case tc.rule == "" && len(res.Decisions) != 0:
					t.Errorf("decisions = %+v, want none", res.Decisions)
				case tc.rule != "":
					if len(res.Decisions) != 1 {
						t.Fatalf("decisions = %+v, want one", res.Decisions)
					}
					d := res.Decisions[0]
					if d.Rule != tc.rule || d.Pushed != tc.push || d.Base == "" || d.Source == "" || d.Remote == "" {
						t.Errorf("decision = %+v, want rule %s, pushed %v and all three values", d, tc.rule, tc.push)
					}
					if want := d.Remote; tc.push && d.Chosen != d.Source || !tc.push && d.Chosen != want {
						t.Errorf("decision chose %q (source %q, remote %q), pushed %v", d.Chosen, d.Source, d.Remote, d.Pushed)
					}
				}
				if got := len(res.Conflicts) == 1; got != tc.conflict || len(res.Conflicts) > 1 {
					t.Errorf("conflicts = %+v, want conflict %v", res.Conflicts, tc.conflict)
				}
				if tc.conflict && res.Conflicts[0].Kind != kind {
					t.Errorf("conflict kind = %s, want %s", res.Conflicts[0].Kind, kind)
				}
			})
		}
	}
}

func TestManualConflictLetsTheRestSync(t *testing.T) {
	base := listing(t0, variant("A", 1299, 5))
	source, store := proto.CloneOf(base), proto.CloneOf(base)
	change(resolve.Title, source, "source")
	change(resolve.Title, store, "store")
	change(resolve.Price, source, "source")
	change(resolve.Stock, source, "src")
	res := resolve.Resolve(base, source, store, &resolve.Policy{Strategy: map[resolve.Kind]resolve.Strategy{resolve.Title: resolve.Manual}})
	if len(res.Conflicts) != 1 || res.Conflicts[0].Field != "title[en]" {
		t.Errorf("conflicts = %+v, want title[en]", res.Conflicts)
	}
	if res.Patch.Title != nil || res.Patch.Prices["A"].GetAmount() != 1899 || res.Patch.Stock["A"] != 8 {
		t.Errorf("patch = %+v, want price and stock without the title", res.Patch)
	}
}

func TestVariants(t *testing.T) {
	a, b, c := variant("A", 1299, 5), variant("B", 899, 1), variant("C", 499, 9)
	for _, tc := range []struct {
		name                string
		base, source, store []*model.Variant
		removed             render.VariantRemoved
		overwrite           bool
		add, remove         []string
		stock               map[string]int64
		decision, rule      string
		pushed              bool
	}{
		{name: "added in the source", base: vs(a), source: vs(a, c), store: vs(a),
			add: []string{"C"}, decision: "variant[C]", rule: resolve.RuleSourceChanged, pushed: true},
		{name: "added in the store", base: vs(a), source: vs(a), store: vs(a, c),
			decision: "variant[C]", rule: resolve.RuleRemoteChanged},
		{name: "removed in the source, keep", base: vs(a, b), source: vs(a), store: vs(a, b), removed: render.VariantRemovedKeep,
			decision: "variant[B]", rule: "on_variant_removed=keep"},
		{name: "removed in the source, default keeps", base: vs(a, b), source: vs(a), store: vs(a, b),
			decision: "variant[B]", rule: "on_variant_removed="},
		{name: "removed in the source, delete", base: vs(a, b), source: vs(a), store: vs(a, b), removed: render.VariantRemovedDelete,
			remove: []string{"B"}, decision: "variant[B]", rule: "on_variant_removed=delete", pushed: true},
		{name: "removed in the source, zero", base: vs(a, b), source: vs(a), store: vs(a, b), removed: render.VariantRemovedZero,
			stock: map[string]int64{"B": 0}, decision: "variant[B]", rule: "on_variant_removed=zero", pushed: true},
		{name: "removed in the source, zero, already 0", base: vs(a, b), source: vs(a), store: vs(a, variant("B", 899, 0)), removed: render.VariantRemovedZero,
			decision: "variant[B]", rule: "on_variant_removed=zero"},
		{name: "removed in the store, kept removed", base: vs(a, b), source: vs(a, b), store: vs(a),
			decision: "variant[B]", rule: resolve.RuleRemoteChanged},
		{name: "removed in the store, overwritten", base: vs(a, b), source: vs(a, b), store: vs(a), overwrite: true,
			add: []string{"B"}, decision: "variant[B]", rule: resolve.RuleOverwrite, pushed: true},
		{name: "removed on both sides", base: vs(a, b), source: vs(a), store: vs(a)},
		{name: "added on both sides, different stock: strategy", base: vs(a), source: vs(a, c), store: vs(a, variant("C", 499, 2)),
			stock: map[string]int64{"C": 9}, decision: "stock[C]", rule: "source_wins", pushed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := resolve.Resolve(listing(t0, tc.base...), listing(t0, tc.source...), listing(t0, tc.store...), &resolve.Policy{
				OnVariantRemoved: tc.removed,
				Overwrite:        map[resolve.Kind]bool{resolve.Variant: tc.overwrite},
			})
			var add []string
			for _, v := range res.Patch.AddVariants {
				add = append(add, v.GetSku())
			}
			if !slices.Equal(add, tc.add) || !slices.Equal(res.Patch.RemoveVariants, tc.remove) {
				t.Errorf("add %v remove %v, want %v %v", add, res.Patch.RemoveVariants, tc.add, tc.remove)
			}
			if fmt.Sprint(res.Patch.Stock) != fmt.Sprint(tc.stock) && len(res.Patch.Stock)+len(tc.stock) > 0 {
				t.Errorf("stock = %v, want %v", res.Patch.Stock, tc.stock)
			}
			if tc.decision == "" {
				if len(res.Decisions) != 0 {
					t.Errorf("decisions = %+v, want none", res.Decisions)
				}
				return
			}
			// A variant new on both sides also records its converged price.
			i := slices.IndexFunc(res.Decisions, func(d resolve.Decision) bool { return d.Field == tc.decision })
			if i < 0 || res.Decisions[i].Rule != tc.rule || res.Decisions[i].Pushed != tc.pushed {
				t.Errorf("decisions = %+v, want %s by %s, pushed %v", res.Decisions, tc.decision, tc.rule, tc.pushed)
			}
		})
	}
}

func vs(v ...*model.Variant) []*model.Variant {
	out := make([]*model.Variant, len(v))
	for i := range v {
		out[i] = proto.CloneOf(v[i])
	}
	return out
}

func TestFirstSync(t *testing.T) {
	source := listing(t0, variant("A", 1299, 5))
	t.Run("not in the store: everything pushed", func(t *testing.T) {
		res := resolve.Resolve(nil, source, nil, &resolve.Policy{})
		p := res.Patch
		if p.Title["en"] != "Cotton T-shirt" || p.Description["en"] == "" || !p.SetImages || p.Status != render.Status_STATUS_ACTIVE || len(p.AddVariants) != 1 {
			t.Errorf("patch = %+v, want the whole listing", p)
		}
	})
	t.Run("found in the store by SKU: differences by strategy", func(t *testing.T) {
		store := proto.CloneOf(source)
		change(resolve.Title, store, "store")
		change(resolve.Price, store, "store")
		res := resolve.Resolve(nil, source, store, &resolve.Policy{Strategy: map[resolve.Kind]resolve.Strategy{resolve.Title: resolve.RemoteWins}})
		if res.Patch.Title != nil || res.Patch.Prices["A"].GetAmount() != 1299 || len(res.Patch.AddVariants) != 0 {
			t.Errorf("patch = %+v, want the price only", res.Patch)
		}
	})
}

func TestHeldStockIsNeverPushed(t *testing.T) {
	base := listing(t0, variant("A", 1299, 5))
	source := proto.CloneOf(base)
	source.Product.Variants[0].Stock = 0
	source.HoldStock = []string{"A"}
	res := resolve.Resolve(base, source, proto.CloneOf(base), &resolve.Policy{})
	if !res.Patch.Empty() {
		t.Errorf("patch = %+v, want nothing", res.Patch)
	}
}

func TestDescriptionRemovedAtTheSource(t *testing.T) {
	base := listing(t0, variant("A", 1299, 5))
	source := proto.CloneOf(base)
	source.Product.Description = nil
	res := resolve.Resolve(base, source, proto.CloneOf(base), &resolve.Policy{})
	if v, ok := res.Patch.Description["en"]; !ok || v != "" {
		t.Errorf("description patch = %v, want en removed", res.Patch.Description)
	}
}

func TestPolicyOfConfig(t *testing.T) {
	p := resolve.PolicyOf(&config.Sync{
		OnVariantRemoved: "delete",
		Conflicts:        config.SyncConflicts{Default: "newest_wins", Fields: map[string]string{"title": "manual"}, Overwrite: []string{"stock", "variant"}},
	})
	if p.Strategy[resolve.Title] != resolve.Manual || p.Strategy[resolve.Price] != resolve.NewestWins ||
		!p.Overwrite[resolve.Stock] || !p.Overwrite[resolve.Variant] || p.Overwrite[resolve.Price] || p.OnVariantRemoved != render.VariantRemovedDelete {
		t.Errorf("policy = %+v", p)
	}
}

// TestNoBaseMatrix is the rebind case: a product found in the store by SKU
// with no snapshot of its last sync (lost state, a new node). Every
// difference is a change on both sides, settled by the kind's strategy;
// equal values write nothing.
func TestNoBaseMatrix(t *testing.T) {
	for _, kind := range kinds {
		for _, tc := range []struct {
			strategy    resolve.Strategy
			same        bool
			sourceNewer bool
			push        bool
			conflict    bool
		}{
			{strategy: resolve.SourceWins, push: true},
			{strategy: resolve.RemoteWins, push: false},
			{strategy: resolve.NewestWins, sourceNewer: true, push: true},
			{strategy: resolve.NewestWins, push: false},
			{strategy: resolve.Manual, push: false, conflict: true},
			{strategy: resolve.SourceWins, same: true, push: false},
			{strategy: resolve.Manual, same: true, push: false},
		} {
			name := fmt.Sprintf("%s/%s/same=%v/sourceNewer=%v", kind, tc.strategy, tc.same, tc.sourceNewer)
			t.Run(name, func(t *testing.T) {
				source := listing(t0.Add(2*time.Hour), variant("A", 1299, 5))
				store := proto.CloneOf(source)
				store.Product.UpdatedAt = timestamppb.New(t0.Add(time.Hour))
				if !tc.sourceNewer {
					store.Product.UpdatedAt = timestamppb.New(t0.Add(3 * time.Hour))
				}
				if !tc.same {
					change(kind, store, "store-side")
				}
				res := resolve.Resolve(nil, source, store, &resolve.Policy{Strategy: map[resolve.Kind]resolve.Strategy{kind: tc.strategy}})
				if got := pushed(t, kind, &res.Patch, source); got != tc.push {
					t.Errorf("pushed = %v, want %v; patch %+v", got, tc.push, res.Patch)
				}
				if got := len(res.Conflicts) == 1; got != tc.conflict {
					t.Errorf("conflicts = %+v, want conflict %v", res.Conflicts, tc.conflict)
				}
			})
		}
	}
}
