// Package pluginv1 is the generated Go code of the marketsync plugin
// protocol, version 1 (plugin.proto beside it; regenerate with
// `make proto`). Plugin authors use the sdk package instead; hosts carry
// these messages end to end.
package pluginv1
