package alerting

import (
	"maps"
	"slices"
	"testing"

	"github.com/marketsync/marketsync/config"
)

// TestTemplateFuncsMatchConfig: validate parses receiver templates knowing
// only the functions' names; they must be the ones the templates get.
func TestTemplateFuncsMatchConfig(t *testing.T) {
	got := slices.Sorted(maps.Keys(templateFuncs))
	want := slices.Sorted(slices.Values(config.TemplateFuncs))
	if !slices.Equal(got, want) {
		t.Errorf("template functions %v, config knows %v", got, want)
	}
}
