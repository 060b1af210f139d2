// Package ownership gives each resource of a cluster (a platform account,
// later a sync pipeline) one owner node at a time. The preferred owner is
// the first node of the resource's rendezvous-hash ranking over the
// healthy members; the truth is a lease in the lock service, whose fencing
// token the owner passes with every write for the resource.
package ownership
