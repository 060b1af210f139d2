// Package clustertest holds what the cluster's tests share: a wait for a
// condition that moves the virtual clock of a testing/synctest bubble
// instead of sleeping, a fenced store that refuses stale fencing tokens
// and records every write it accepts, free loopback addresses and the
// cluster blocks of server agents run as processes (certificates are in
// config/certtest).
package clustertest
