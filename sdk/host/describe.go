package host

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// descriptionFromModel converts a Describe answer and checks its config
// spec, so a host never builds a schema from a malformed description. The
// enums of sdk and model share their numbers.
func descriptionFromModel(r *model.Description) (sdk.Description, error) {
	d := sdk.Description{
		Name:    r.GetName(),
		Version: r.GetVersion(),
		Summary: r.GetSummary(),
		Limits: sdk.Limits{
			Rate:  r.GetLimits().GetRate(),
			Burst: int(r.GetLimits().GetBurst()),
		},
	}
	for _, c := range r.GetCapabilities() {
		if c != model.Capability_CAPABILITY_UNSPECIFIED {
			d.Capabilities = append(d.Capabilities, sdk.Capability(c))
		}
	}
	for _, ol := range r.GetLimits().GetOperations() {
		if _, known := model.LookupOperation(ol.GetOperation()); !known {
			continue
		}
		if d.Limits.Operations == nil {
			d.Limits.Operations = map[sdk.Operation]sdk.OperationLimit{}
		}
		d.Limits.Operations[sdk.Operation(ol.GetOperation())] = sdk.OperationLimit{MaxBatch: int(ol.GetMaxBatch()), Cost: ol.GetCost()}
	}
	for _, mf := range r.GetConfigSchema().GetFields() {
		f := sdk.ConfigField{
			Name: mf.GetName(), Type: sdk.FieldType(mf.GetType()), Required: mf.GetRequired(),
			Sensitive: mf.GetSensitive(), Description: mf.GetDescription(),
		}
		if mf.GetDefaultJson() != "" {
			var def any
			if err := json.Unmarshal([]byte(mf.GetDefaultJson()), &def); err != nil {
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
