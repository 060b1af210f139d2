// Package apitest provides a Backend that keeps everything in memory, a
// StatsSource with a canned answer and a one-line test server around them,
// for the tests of the API, its client and the command line. Its collect
// jobs advance only when they are looked at, so a test drives their
// progress without any clock, and put the products of their succeeded
// items in the catalogue.
//
// The contract (ContractCases, RunContract) runs against this fake and
// against a real agent, so the fake answers as the agent does.
package apitest
