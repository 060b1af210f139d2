package model

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestNormalizeDropsRepeatedImagesAndSaleProperties(t *testing.T) {
	p := &Product{
		Images: []*Image{
			{Url: "https://img.alicdn.com/a.jpg"},
			{Url: "//img.alicdn.com/b.jpg", Alt: map[string]string{"en": "back"}},
			{Url: "http://IMG.alicdn.com/a.jpg", Alt: map[string]string{"zh-CN": "正面"}},
			{Url: "https://img.alicdn.com/b.jpg"},
			{Url: "https://img.alicdn.com/a.jpg?x=1"},
		},
		Attributes: []*Attribute{
			{Name: "材质", Value: "棉"},
			{Name: "颜色分类", Value: "红色"},
			{Name: "尺码", Value: "180/100(XL)"},
			{Name: "材质", Value: "棉"},
			{Name: "材质", Value: "cotton", Locale: "en"},
		},
		Variants: []*Variant{{Sku: "1", Options: []*Option{
			{Name: "颜色分类", Value: "红"},
			{Name: "尺码", Value: "XL", StandardValue: "180/100(XL)"},
		}}},
	}
	Normalize(p)
	want := &Product{
		Images: []*Image{
			{Url: "https://img.alicdn.com/a.jpg", Alt: map[string]string{"zh-CN": "正面"}},
			{Url: "//img.alicdn.com/b.jpg", Alt: map[string]string{"en": "back"}},
			{Url: "https://img.alicdn.com/a.jpg?x=1"},
		},
		Attributes: []*Attribute{
			{Name: "材质", Value: "棉"},
			{Name: "材质", Value: "cotton", Locale: "en"},
		},
		Variants: p.Variants,
	}
	if !proto.Equal(p, want) {
		t.Fatalf("normalized:\n%v\nwant:\n%v", p, want)
	}
}

func TestNormalizeKeepsAProductWithoutRepetition(t *testing.T) {
	p := &Product{Images: []*Image{{Url: "https://x/1.jpg"}}, Attributes: []*Attribute{{Name: "brand", Value: "x"}}}
	want := proto.Clone(p)
	Normalize(p)
	Normalize(nil)
	if !proto.Equal(p, want) {
		t.Fatalf("changed: %v", p)
	}
}
