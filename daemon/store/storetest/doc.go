// Package storetest opens real store databases for the tests of the
// packages that own namespaces.
package storetest
