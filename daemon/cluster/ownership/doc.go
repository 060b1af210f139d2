// Package ownership gives each resource of a cluster (a platform account,
// later a sync pipeline) one owner node at a time. The preferred owner is
// the first node of a rendezvous-hash ranking over the healthy members,
// by a key shared by every resource of a group that must be owned
// together (a sync pipeline's accounts); the truth is a lease per
// resource in the lock service, whose fencing token the owner passes with
// every write for the resource.
package ownership
