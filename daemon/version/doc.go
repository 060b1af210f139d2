// Package version holds the build's version, set by the Makefile through
// -ldflags, and the protocol versions this build speaks.
package version
