//go:build !linux

package store

import "errors"

var errTrimUnsupported = errors.New("store: trimming mapped files needs Linux")

func trimMappings(string) (int64, error) { return 0, errTrimUnsupported }
