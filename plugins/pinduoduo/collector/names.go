package collector

import (
	"context"
	"time"

	"github.com/marketsync/marketsync/sdk/memo"
)

// apiCatTemplate is pdd.goods.cat.template.get (获取商品类目属性): one cat_id
// in, the category's template of properties out. It is the documented
// way to name the properties pdd.goods.detail.get gives by id
// (goods_property_list's template_pid and ref_pid).
const apiCatTemplate = "pdd.goods.cat.template.get"

// The template cache. A plugin cannot reach the agent's cache (it lives
// in the agent process, behind the plugin protocol), so the templates are
// kept here, per configured plugin: bounded, so a mall spread over many
// categories cannot grow the plugin without limit, and expiring, so a
// template the platform changes is read again.
const (
	maxCachedCategories = 2048
	categoryTTL         = 12 * time.Hour
)

// propertyNames is what a category's template says of its properties.
type propertyNames struct {
	// byTemplate and byRef name properties by template_pid and by
	// ref_pid.
	byTemplate, byRef map[int64]string
	// sale holds the template_pids of sale properties (is_sale), which
	// are the SKUs' specs, not attributes.
	sale map[int64]bool
	// refused: the platform refused the template (the app lacks the
	// API's permission), so nothing is named.
	refused bool
}

// name names a goods property: by its template property id, else by the
// property it refers to.
func (n propertyNames) name(p goodsProperty) (string, bool) {
	if s, ok := n.byTemplate[int64(p.TemplatePid)]; ok {
		return s, true
	}
	s, ok := n.byRef[int64(p.RefPid)]
	return s, ok
}

// templates caches the property names of categories, one
// pdd.goods.cat.template.get per category while its entry lives.
type templates = memo.Cache[int64, propertyNames]

func newTemplates(now func() time.Time, fetch func(ctx context.Context, cat int64) (propertyNames, error)) *templates {
	return memo.New(maxCachedCategories, categoryTTL, now, fetch)
}

// namesOf reads a template into names.
func namesOf(t *catTemplate) propertyNames {
	n := propertyNames{byTemplate: map[int64]string{}, byRef: map[int64]string{}, sale: map[int64]bool{}}
	for _, p := range t.Properties {
		if p.Name == "" {
			continue
		}
		if p.ID != 0 {
			n.byTemplate[int64(p.ID)] = p.Name
		}
		if p.RefPid != 0 {
			n.byRef[int64(p.RefPid)] = p.Name
		}
		if p.IsSale {
			n.sale[int64(p.ID)] = true
		}
	}
	return n
}
