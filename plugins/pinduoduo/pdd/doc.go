// Package pdd is the client of the Pinduoduo open platform gateway
// (拼多多开放平台, gw-api.pinduoduo.com/api/router): the common parameters
// and MD5 signing of every call (Sign, Client), and the classification of
// every documented error_code into the SDK's error kinds (APIError,
// CallError). It knows the gateway's contract and nothing of the canonical
// model: package collector maps what it returns.
package pdd
