package model

import (
	"net/url"
	"strings"
)

// Normalize removes the repetition platforms put in their answers, in
// place, so every collector gets the same treatment in one spot: images
// that name the same picture (the same URL up to scheme and host case, as
// marketplaces repeat carousel pictures) are kept once, with their alt
// texts merged; attributes that restate a variant option (a sale property
// such as colour listed again among the item's properties) or repeat an
// earlier attribute are dropped. The host normalizes every product a plugin
// returns before validating it.
func Normalize(p *Product) {
	if p == nil {
		return
	}
	p.Images = dedupeImages(p.GetImages())
	p.Attributes = dedupeAttributes(p.GetAttributes(), p.GetVariants())
}

func dedupeImages(images []*Image) []*Image {
	if len(images) < 2 {
		return images
	}
	seen := make(map[string]*Image, len(images))
	out := images[:0]
	for _, img := range images {
		if img == nil {
			continue
		}
		key := imageKey(img.GetUrl())
		if first, dup := seen[key]; dup {
			for loc, alt := range img.GetAlt() {
				if first.Alt == nil {
					first.Alt = map[string]string{}
				}
				if _, has := first.Alt[loc]; !has {
					first.Alt[loc] = alt
				}
			}
			continue
		}
		seen[key] = img
		out = append(out, img)
	}
	clear(images[len(out):])
	return out
}

// imageKey is the identity of a picture's URL: "//img.alicdn.com/a.jpg",
// "http://IMG.alicdn.com/a.jpg" and "https://img.alicdn.com/a.jpg" are the
// same file on the CDN.
func imageKey(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = ""
	u.Host = strings.ToLower(u.Host)
	return u.String()
}

func dedupeAttributes(attrs []*Attribute, variants []*Variant) []*Attribute {
	if len(attrs) == 0 {
		return attrs
	}
	axes := map[string]bool{}
	for _, v := range variants {
		for _, o := range v.GetOptions() {
			axes[strings.TrimSpace(o.GetName())] = true
		}
	}
	type key struct{ name, value, locale string }
	seen := make(map[key]bool, len(attrs))
	out := attrs[:0]
	for _, a := range attrs {
		if a == nil {
			continue
		}
		name := strings.TrimSpace(a.GetName())
		k := key{name, strings.TrimSpace(a.GetValue()), a.GetLocale()}
		if axes[name] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	clear(attrs[len(out):])
	return out
}
