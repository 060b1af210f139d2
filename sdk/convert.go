package sdk

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// This file converts between the author-facing types and the canonical
// model that the protocol carries. Only the adapter behind Serve uses it;
// hosts speak the model directly.

func productToModel(p *Product) *model.Product {
	if p == nil {
		return nil
	}
	out := &model.Product{Id: p.ID, Source: p.Source, Title: p.Title, Description: p.Description, Url: p.URL, Status: statusToModel(p.Status)}
	if !p.UpdatedAt.IsZero() {
		out.UpdatedAt = timestamppb.New(p.UpdatedAt)
	}
	if len(p.Images) > 0 {
		out.Images = make([]*model.Image, len(p.Images))
		for i, img := range p.Images {
			out.Images[i] = &model.Image{Url: img.URL, Alt: img.Alt}
		}
	}
	if len(p.Attributes) > 0 {
		out.Attributes = make([]*model.Attribute, len(p.Attributes))
		for i, a := range p.Attributes {
			out.Attributes[i] = &model.Attribute{Name: a.Name, Value: a.Value, Locale: a.Locale}
		}
	}
	out.Variants = make([]*model.Variant, len(p.Variants))
	for i, v := range p.Variants {
		mv := &model.Variant{Sku: v.SKU, Price: moneyToModel(v.Price), Stock: v.Stock, Barcode: v.Barcode, Image: v.Image}
		if v.CompareAt != nil {
			mv.CompareAt = moneyToModel(*v.CompareAt)
		}
		if len(v.Options) > 0 {
			mv.Options = make([]*model.Option, len(v.Options))
			for k, o := range v.Options {
				mv.Options[k] = &model.Option{Name: o.Name, Value: o.Value, StandardValue: o.StandardValue}
			}
		}
		out.Variants[i] = mv
	}
	return out
}

func productFromModel(p *model.Product) Product {
	out := Product{
		ID: p.GetId(), Source: p.GetSource(), Title: p.GetTitle(), Description: p.GetDescription(), URL: p.GetUrl(),
		Status: statusFromModel(p.GetStatus()),
	}
	if p.GetUpdatedAt() != nil {
		out.UpdatedAt = p.GetUpdatedAt().AsTime()
	}
	if len(p.GetImages()) > 0 {
		out.Images = make([]Image, len(p.GetImages()))
		for i, img := range p.GetImages() {
			out.Images[i] = Image{URL: img.GetUrl(), Alt: img.GetAlt()}
		}
	}
	if len(p.GetAttributes()) > 0 {
		out.Attributes = make([]Attribute, len(p.GetAttributes()))
		for i, a := range p.GetAttributes() {
			out.Attributes[i] = Attribute{Name: a.GetName(), Value: a.GetValue(), Locale: a.GetLocale()}
		}
	}
	out.Variants = make([]Variant, len(p.GetVariants()))
	for i, v := range p.GetVariants() {
		ov := Variant{SKU: v.GetSku(), Price: moneyFromModel(v.GetPrice()), Stock: v.GetStock(), Barcode: v.GetBarcode(), Image: v.GetImage()}
		if v.GetCompareAt() != nil {
			was := moneyFromModel(v.GetCompareAt())
			ov.CompareAt = &was
		}
		if len(v.GetOptions()) > 0 {
			ov.Options = make([]Option, len(v.GetOptions()))
			for k, o := range v.GetOptions() {
				ov.Options[k] = Option{Name: o.GetName(), Value: o.GetValue(), StandardValue: o.GetStandardValue()}
			}
		}
		out.Variants[i] = ov
	}
	return out
}

// statusToModel converts s; a status the model does not know becomes an
// out-of-range number so that validation names it instead of it turning
// into "the store decides".
func statusToModel(s Status) model.PublishStatus {
	switch s {
	case "":
		return model.PublishStatus_PUBLISH_STATUS_UNSPECIFIED
	case StatusActive:
		return model.PublishStatus_PUBLISH_STATUS_ACTIVE
	case StatusDraft:
		return model.PublishStatus_PUBLISH_STATUS_DRAFT
	}
	return -1
}

func statusFromModel(s model.PublishStatus) Status {
	switch s {
	case model.PublishStatus_PUBLISH_STATUS_ACTIVE:
		return StatusActive
	case model.PublishStatus_PUBLISH_STATUS_DRAFT:
		return StatusDraft
	}
	return ""
}

func moneyToModel(m Money) *model.Money { return &model.Money{Amount: m.Amount, Currency: m.Currency} }

func moneyFromModel(m *model.Money) Money {
	return Money{Amount: m.GetAmount(), Currency: m.GetCurrency()}
}

// errorToModel converts e; nil stays nil. The kinds share their numbers.
func errorToModel(e *Error) *model.Error {
	if e == nil {
		return nil
	}
	return model.NewError(model.ErrorKind(e.Kind), e.Code, e.Message, e.RetryAfter)
}

// errorFromModel converts e; nil stays nil.
func errorFromModel(e *model.Error) *Error {
	if e == nil {
		return nil
	}
	return &Error{Kind: ErrorKind(e.GetKind()), Code: e.GetCode(), Message: e.GetMessage(), RetryAfter: e.Wait()}
}

func quotaToModel(q *Quota) *model.Quota {
	if q == nil {
		return nil
	}
	out := &model.Quota{Remaining: q.Remaining, Limit: q.Limit, Cost: q.Cost}
	if !q.Reset.IsZero() {
		out.Reset_ = timestamppb.New(q.Reset)
	}
	return out
}

func productResultsToModel(rs []ProductResult) []*model.ProductResult {
	out := make([]*model.ProductResult, len(rs))
	for i, r := range rs {
		out[i] = &model.ProductResult{Id: r.ID, Product: productToModel(r.Product), Error: errorToModel(r.Err)}
	}
	return out
}

func writeResultsToModel(rs []WriteResult) []*model.WriteResult {
	out := make([]*model.WriteResult, len(rs))
	for i, r := range rs {
		out[i] = &model.WriteResult{RemoteId: r.RemoteID, IdempotencyKey: r.IdempotencyKey, Error: errorToModel(r.Err)}
	}
	return out
}

// descriptionToModel converts d; defaults are encoded as JSON so that any
// field type travels without a oneof per type.
func descriptionToModel(d Description) (*model.Description, error) {
	out := &model.Description{
		Name: d.Name, Version: d.Version, Summary: d.Summary,
		Limits:       &model.Limits{Rate: d.Limits.Rate, Burst: int32(d.Limits.Burst)},
		ConfigSchema: &model.ConfigSchema{},
	}
	for _, c := range d.Capabilities {
		out.Capabilities = append(out.Capabilities, model.Capability(c))
	}
	for _, op := range Operations {
		if ol, ok := d.Limits.Operations[op]; ok {
			out.Limits.Operations = append(out.Limits.Operations, &model.OperationLimit{
				Operation: model.Operation(op), MaxBatch: int32(ol.MaxBatch), Cost: ol.Cost,
			})
		}
	}
	for _, f := range d.Config {
		mf := &model.ConfigField{
			Name: f.Name, Type: model.FieldType(f.Type), Required: f.Required,
			Sensitive: f.Sensitive, Description: f.Description,
		}
		if f.Default != nil {
			def := f.Default
			if dur, ok := def.(time.Duration); ok {
				def = dur.String()
			}
			b, err := json.Marshal(def)
			if err != nil {
				return nil, fmt.Errorf("config field %q default: %w", f.Name, err)
			}
			mf.DefaultJson = string(b)
		}
		out.ConfigSchema.Fields = append(out.ConfigSchema.Fields, mf)
	}
	return out, nil
}
