// Package clustertest holds what the cluster's tests share: a wait for a
// condition that moves the virtual clock of a testing/synctest bubble
// instead of sleeping, and a fenced store that refuses stale fencing tokens
// and records every write it accepts (certificates are in config/certtest).
package clustertest
