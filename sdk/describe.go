package sdk

import "github.com/marketsync/marketsync/sdk/model"

// Capability is a group of RPCs a plugin serves.
type Capability int

const (
	// CapabilityCollect: FetchProducts and ListProducts (a source marketplace).
	CapabilityCollect Capability = iota + 1
	// CapabilityPublish: UpsertProducts, SetInventory, SetPrices and
	// GetRemoteProducts (a store).
	CapabilityPublish
	// CapabilityWebhooks: the platform pushes changes.
	CapabilityWebhooks
)

func (c Capability) String() string {
	switch c {
	case CapabilityCollect:
		return "collect"
	case CapabilityPublish:
		return "publish"
	case CapabilityWebhooks:
		return "webhooks"
	}
	return "unknown"
}

// MarshalText writes the capability's name.
func (c Capability) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Operation names one data RPC, the unit of limits and metrics. Its
// numbers, names and capabilities are those of the operation table in
// sdk/model.
type Operation int

const (
	OpFetchProducts Operation = iota + 1
	OpListProducts
	OpUpsertProducts
	OpSetInventory
	OpSetPrices
	OpGetRemoteProducts
	// OpResolveURLs parses product URLs into ids; it makes no platform call.
	OpResolveURLs
	// OpVerifyWebhooks checks and parses pushed deliveries; it makes no
	// platform call.
	OpVerifyWebhooks
)

// Operations lists every operation in protocol order.
var Operations = func() []Operation {
	var out []Operation
	for _, spec := range model.Operations() {
		out = append(out, Operation(spec.Op))
	}
	return out
}()

func (o Operation) spec() *model.OperationSpec {
	spec, _ := model.LookupOperation(model.Operation(o))
	return spec
}

// String is the operation's name, "fetch_products".
func (o Operation) String() string {
	if spec := o.spec(); spec != nil {
		return spec.Name
	}
	return "unknown"
}

// MarshalText writes the operation's name.
func (o Operation) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Capability says which capability o belongs to.
func (o Operation) Capability() Capability {
	if spec := o.spec(); spec != nil {
		return Capability(spec.Capability)
	}
	return 0
}

// Description is what a plugin says of itself before it is configured.
type Description struct {
	// Name is the plugin's name, the first label of a platform block
	// (platform "<name>" "<account>" {}), and the suffix of its binary,
	// marketsync-plugin-<name>.
	Name    string
	Version string
	// Summary is one line for humans: what platform this talks to.
	Summary string
	// Capabilities are filled in by Serve from the interfaces the plugin
	// implements (Collector, Publisher); authors leave them empty.
	Capabilities []Capability
	Limits       Limits
	Config       ConfigSpec
}

// Has reports whether d lists capability c.
func (d Description) Has(c Capability) bool {
	for _, have := range d.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// Limits are the platform's documented limits for one account. The host
// uses them unless the operator's config says otherwise.
type Limits struct {
	// Rate is sustained calls per second; Burst is how many may go at once
	// after an idle period.
	Rate  float64
	Burst int
	// Operations holds per-operation batch caps and token costs.
	Operations map[Operation]OperationLimit
}

// OperationLimit caps one operation.
type OperationLimit struct {
	// MaxBatch is the most items one call may carry (0: no documented cap).
	MaxBatch int
	// Cost is the tokens one call takes from the rate limiter (0 means 1).
	Cost float64
}

// MaxBatch returns the batch cap for op, or fallback when none is declared.
func (l Limits) MaxBatch(op Operation, fallback int) int {
	if ol, ok := l.Operations[op]; ok && ol.MaxBatch > 0 {
		return ol.MaxBatch
	}
	return fallback
}

// Cost returns the limiter tokens one call of op takes (at least 1 unless
// the plugin declares a fraction). Operations that never reach the
// platform (resolving URLs) are free.
func (l Limits) Cost(op Operation) float64 {
	if spec := op.spec(); spec != nil && spec.Free {
		return 0
	}
	if ol, ok := l.Operations[op]; ok && ol.Cost > 0 {
		return ol.Cost
	}
	return 1
}
