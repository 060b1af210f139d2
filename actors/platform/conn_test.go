package platform

import (
	"testing"

	"github.com/marketsync/marketsync/sdk/model"
)

// TestEveryOperationTravelsInACall: each operation of the table has its
// member in the oneofs of Call and CallResult (platform.proto), so the
// actor carries it with no code of its own.
func TestEveryOperationTravelsInACall(t *testing.T) {
	for _, op := range model.Operations() {
		c := NewCall(op.NewRequest())
		if got, _ := c.Operation(); got != op {
			t.Errorf("%s: a Call cannot carry its request (add it to Call's oneof in platform.proto)", op.Name)
		}
		r := &CallResult{}
		if fd := oneofField(r.ProtoReflect(), "response", op.NewResponse()); fd == nil {
			t.Errorf("%s: a CallResult cannot carry its response (add it to CallResult's oneof in platform.proto)", op.Name)
		}
	}
}
