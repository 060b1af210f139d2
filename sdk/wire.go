package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// This file converts between the SDK's types and the generated protocol.
// Plugin authors never need it; hosts (sdk/host and the agent) do, because
// they carry protocol messages end to end.

// ProductToProto converts p to its wire form.
func ProductToProto(p *Product) *pluginv1.Product {
	if p == nil {
		return nil
	}
	out := &pluginv1.Product{
		Id:          p.ID,
		Source:      p.Source,
		Title:       p.Title,
		Description: p.Description,
		Url:         p.URL,
	}
	if !p.UpdatedAt.IsZero() {
		out.UpdatedAt = timestamppb.New(p.UpdatedAt)
	}
	if len(p.Images) > 0 {
		out.Images = make([]*pluginv1.Image, len(p.Images))
		for i, img := range p.Images {
			out.Images[i] = &pluginv1.Image{Url: img.URL, Alt: img.Alt}
		}
	}
	if len(p.Attributes) > 0 {
		out.Attributes = make([]*pluginv1.Attribute, len(p.Attributes))
		for i, a := range p.Attributes {
			out.Attributes[i] = &pluginv1.Attribute{Name: a.Name, Value: a.Value, Locale: a.Locale}
		}
	}
	out.Variants = make([]*pluginv1.Variant, len(p.Variants))
	for i, v := range p.Variants {
		pv := &pluginv1.Variant{
			Sku:     v.SKU,
			Price:   MoneyToProto(v.Price),
			Stock:   v.Stock,
			Barcode: v.Barcode,
			Image:   v.Image,
		}
		if len(v.Options) > 0 {
			pv.Options = make([]*pluginv1.Option, len(v.Options))
			for k, o := range v.Options {
				pv.Options[k] = &pluginv1.Option{Name: o.Name, Value: o.Value}
			}
		}
		out.Variants[i] = pv
	}
	return out
}

// ProductFromProto converts a wire product; nil stays nil.
func ProductFromProto(p *pluginv1.Product) *Product {
	if p == nil {
		return nil
	}
	out := &Product{
		ID:          p.GetId(),
		Source:      p.GetSource(),
		Title:       p.GetTitle(),
		Description: p.GetDescription(),
		URL:         p.GetUrl(),
	}
	if p.UpdatedAt != nil {
		out.UpdatedAt = p.UpdatedAt.AsTime()
	}
	if len(p.Images) > 0 {
		out.Images = make([]Image, len(p.Images))
		for i, img := range p.Images {
			out.Images[i] = Image{URL: img.GetUrl(), Alt: img.GetAlt()}
		}
	}
	if len(p.Attributes) > 0 {
		out.Attributes = make([]Attribute, len(p.Attributes))
		for i, a := range p.Attributes {
			out.Attributes[i] = Attribute{Name: a.GetName(), Value: a.GetValue(), Locale: a.GetLocale()}
		}
	}
	out.Variants = make([]Variant, len(p.Variants))
	for i, v := range p.Variants {
		ov := Variant{
			SKU:     v.GetSku(),
			Price:   MoneyFromProto(v.GetPrice()),
			Stock:   v.GetStock(),
			Barcode: v.GetBarcode(),
			Image:   v.GetImage(),
		}
		if len(v.Options) > 0 {
			ov.Options = make([]Option, len(v.Options))
			for k, o := range v.Options {
				ov.Options[k] = Option{Name: o.GetName(), Value: o.GetValue()}
			}
		}
		out.Variants[i] = ov
	}
	return out
}

// MoneyToProto converts m to its wire form.
func MoneyToProto(m Money) *pluginv1.Money {
	return &pluginv1.Money{Amount: m.Amount, Currency: m.Currency}
}

// MoneyFromProto converts a wire amount; nil is the zero Money.
func MoneyFromProto(m *pluginv1.Money) Money {
	return Money{Amount: m.GetAmount(), Currency: m.GetCurrency()}
}

var kindToProto = map[ErrorKind]pluginv1.ErrorKind{
	KindRateLimited: pluginv1.ErrorKind_ERROR_KIND_RATE_LIMITED,
	KindUnavailable: pluginv1.ErrorKind_ERROR_KIND_UNAVAILABLE,
	KindInvalid:     pluginv1.ErrorKind_ERROR_KIND_INVALID,
	KindAuth:        pluginv1.ErrorKind_ERROR_KIND_AUTH,
	KindNotFound:    pluginv1.ErrorKind_ERROR_KIND_NOT_FOUND,
	KindConflict:    pluginv1.ErrorKind_ERROR_KIND_CONFLICT,
}

// ErrorToProto converts e to its wire form; nil stays nil.
func ErrorToProto(e *Error) *pluginv1.Error {
	if e == nil {
		return nil
	}
	out := &pluginv1.Error{Kind: kindToProto[e.Kind], Code: e.Code, Message: e.Message}
	if e.RetryAfter > 0 {
		out.RetryAfter = durationpb.New(e.RetryAfter)
	}
	return out
}

// ErrorFromProto converts a wire error; nil stays nil. An unknown kind
// from a newer plugin is read as KindUnavailable: retryable, so that a
// protocol mismatch costs retries rather than data.
func ErrorFromProto(e *pluginv1.Error) *Error {
	if e == nil {
		return nil
	}
	out := &Error{Kind: KindUnavailable, Code: e.GetCode(), Message: e.GetMessage()}
	for k, pk := range kindToProto {
		if pk == e.GetKind() {
			out.Kind = k
		}
	}
	if e.RetryAfter != nil {
		out.RetryAfter = e.RetryAfter.AsDuration()
	}
	return out
}

var kindToCode = map[ErrorKind]codes.Code{
	KindRateLimited: codes.ResourceExhausted,
	KindUnavailable: codes.Unavailable,
	KindInvalid:     codes.InvalidArgument,
	KindAuth:        codes.Unauthenticated,
	KindNotFound:    codes.NotFound,
	KindConflict:    codes.Aborted,
}

// ToStatus turns an error of a whole call into a gRPC status error with the
// typed Error attached as a detail. An error that is not an *Error is sent
// as UNAVAILABLE (retryable): plain errors from plugins are mostly network
// failures, and a plugin signals permanent ones with the typed constructors.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	e, ok := AsError(err)
	if !ok {
		switch {
		case errors.Is(err, context.Canceled):
			return status.Error(codes.Canceled, err.Error())
		case errors.Is(err, context.DeadlineExceeded):
			e = Unavailable("timeout", err.Error())
		default:
			e = Unavailable("plugin_error", err.Error())
		}
	}
	st := status.New(kindToCode[e.Kind], e.Error())
	if withDetail, derr := st.WithDetails(ErrorToProto(e)); derr == nil {
		st = withDetail
	}
	return st.Err()
}

// CodePluginUnreachable is the code of an UNAVAILABLE error that the
// plugin did not send: the connection to the plugin process failed, most
// often because it crashed. Hosts check the process when they see it.
const CodePluginUnreachable = "plugin_unreachable"

// FromStatus reads the typed Error out of a gRPC error returned by a
// plugin. Errors without a detail are classified by their gRPC code: a
// plugin process that died or a connection that broke is UNAVAILABLE,
// a method the plugin does not serve is INVALID. Context cancellation is
// returned as is, so callers can tell their own deadline from the
// platform's.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return Unavailable(CodePluginUnreachable, err.Error())
	}
	for _, d := range st.Details() {
		if pe, ok := d.(*pluginv1.Error); ok {
			return ErrorFromProto(pe)
		}
	}
	switch st.Code() {
	case codes.Unavailable:
		return Unavailable(CodePluginUnreachable, st.Message())
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Unimplemented:
		return Invalid("plugin_unimplemented", st.Message())
	case codes.InvalidArgument:
		return Invalid("plugin_invalid_argument", st.Message())
	case codes.Unauthenticated, codes.PermissionDenied:
		return Auth("plugin_auth", st.Message())
	case codes.NotFound:
		return NotFound("plugin_not_found", st.Message())
	case codes.ResourceExhausted:
		return RateLimited(0, "plugin_resource_exhausted", st.Message())
	}
	return Unavailable("plugin_"+st.Code().String(), st.Message())
}

// QuotaToProto converts q; nil stays nil.
func QuotaToProto(q *Quota) *pluginv1.Quota {
	if q == nil {
		return nil
	}
	out := &pluginv1.Quota{Remaining: q.Remaining, Limit: q.Limit}
	if !q.Reset.IsZero() {
		out.Reset_ = timestamppb.New(q.Reset)
	}
	return out
}

// QuotaFromProto converts a wire quota; nil stays nil.
func QuotaFromProto(q *pluginv1.Quota) *Quota {
	if q == nil {
		return nil
	}
	out := &Quota{Remaining: q.GetRemaining(), Limit: q.GetLimit()}
	if q.Reset_ != nil {
		out.Reset = q.Reset_.AsTime()
	}
	return out
}

var capToProto = map[Capability]pluginv1.Capability{
	CapabilityCollect:  pluginv1.Capability_CAPABILITY_COLLECT,
	CapabilityPublish:  pluginv1.Capability_CAPABILITY_PUBLISH,
	CapabilityWebhooks: pluginv1.Capability_CAPABILITY_WEBHOOKS,
}

var opToProto = map[Operation]pluginv1.Operation{
	OpFetchProducts:     pluginv1.Operation_OPERATION_FETCH_PRODUCTS,
	OpListProducts:      pluginv1.Operation_OPERATION_LIST_PRODUCTS,
	OpUpsertProducts:    pluginv1.Operation_OPERATION_UPSERT_PRODUCTS,
	OpSetInventory:      pluginv1.Operation_OPERATION_SET_INVENTORY,
	OpSetPrices:         pluginv1.Operation_OPERATION_SET_PRICES,
	OpGetRemoteProducts: pluginv1.Operation_OPERATION_GET_REMOTE_PRODUCTS,
	OpResolveURLs:       pluginv1.Operation_OPERATION_RESOLVE_URLS,
}

var fieldToProto = map[FieldType]pluginv1.FieldType{
	FieldString:     pluginv1.FieldType_FIELD_TYPE_STRING,
	FieldInt:        pluginv1.FieldType_FIELD_TYPE_INT,
	FieldFloat:      pluginv1.FieldType_FIELD_TYPE_FLOAT,
	FieldBool:       pluginv1.FieldType_FIELD_TYPE_BOOL,
	FieldDuration:   pluginv1.FieldType_FIELD_TYPE_DURATION,
	FieldStringList: pluginv1.FieldType_FIELD_TYPE_STRING_LIST,
}

// OperationToProto converts op to its wire enum.
func OperationToProto(op Operation) pluginv1.Operation { return opToProto[op] }

// OperationFromProto converts a wire operation; unknown values give 0.
func OperationFromProto(op pluginv1.Operation) Operation { return reverse(opToProto, op) }

func reverse[K comparable, V comparable](m map[K]V, v V) K {
	for k, mv := range m {
		if mv == v {
			return k
		}
	}
	var zero K
	return zero
}

// DescriptionToProto converts d; defaults are encoded as JSON so that any
// field type travels without a oneof per type.
func DescriptionToProto(d Description) (*pluginv1.DescribeResponse, error) {
	out := &pluginv1.DescribeResponse{
		Name:         d.Name,
		Version:      d.Version,
		Summary:      d.Summary,
		Limits:       &pluginv1.Limits{Rate: d.Limits.Rate, Burst: int32(d.Limits.Burst)},
		ConfigSchema: &pluginv1.ConfigSchema{},
	}
	for _, c := range d.Capabilities {
		out.Capabilities = append(out.Capabilities, capToProto[c])
	}
	for _, op := range Operations {
		if ol, ok := d.Limits.Operations[op]; ok {
			out.Limits.Operations = append(out.Limits.Operations, &pluginv1.OperationLimit{
				Operation: opToProto[op], MaxBatch: int32(ol.MaxBatch), Cost: ol.Cost,
			})
		}
	}
	for _, f := range d.Config {
		pf := &pluginv1.ConfigField{
			Name: f.Name, Type: fieldToProto[f.Type], Required: f.Required,
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
			pf.DefaultJson = string(b)
		}
		out.ConfigSchema.Fields = append(out.ConfigSchema.Fields, pf)
	}
	return out, nil
}

// DescriptionFromProto converts a Describe answer and checks its config
// spec, so a host never builds a schema from a malformed description.
func DescriptionFromProto(r *pluginv1.DescribeResponse) (Description, error) {
	d := Description{
		Name:    r.GetName(),
		Version: r.GetVersion(),
		Summary: r.GetSummary(),
		Limits: Limits{
			Rate:  r.GetLimits().GetRate(),
			Burst: int(r.GetLimits().GetBurst()),
		},
	}
	for _, c := range r.GetCapabilities() {
		if k := reverse(capToProto, c); k != 0 {
			d.Capabilities = append(d.Capabilities, k)
		}
	}
	for _, ol := range r.GetLimits().GetOperations() {
		op := OperationFromProto(ol.GetOperation())
		if op == 0 {
			continue
		}
		if d.Limits.Operations == nil {
			d.Limits.Operations = map[Operation]OperationLimit{}
		}
		d.Limits.Operations[op] = OperationLimit{MaxBatch: int(ol.GetMaxBatch()), Cost: ol.GetCost()}
	}
	for _, pf := range r.GetConfigSchema().GetFields() {
		f := ConfigField{
			Name: pf.GetName(), Type: reverse(fieldToProto, pf.GetType()), Required: pf.GetRequired(),
			Sensitive: pf.GetSensitive(), Description: pf.GetDescription(),
		}
		if pf.GetDefaultJson() != "" {
			var def any
			if err := json.Unmarshal([]byte(pf.GetDefaultJson()), &def); err != nil {
				return d, fmt.Errorf("config field %q: default is not JSON: %w", f.Name, err)
			}
			f.Default = def
		}
		d.Config = append(d.Config, f)
	}
	if d.Name == "" {
		return d, errors.New("plugin description has no name")
	}
	if err := d.Config.Validate(); err != nil {
		return d, fmt.Errorf("plugin %s: %w", d.Name, err)
	}
	return d, nil
}
